package load

import (
	"fmt"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// DefaultStarveLag is the p99 of the load client's own lag above which a
// run is invalid. Fortio never sends a late request in no-catch-up mode when
// the system under test is slow: it skips the slot. So a request that left
// late with its connection free was delayed by the client itself (its
// timers, the Go scheduler, CPU contention or steal on its machine), which
// is what this bounds.
const DefaultStarveLag = 5 * time.Millisecond

// starved returns why the load client was starved, or "" if it was not.
func starved(s results.Schedule, bound time.Duration) string {
	if bound <= 0 {
		bound = DefaultStarveLag
	}
	limit := float64(bound) / 1e6
	if s.LatenessMs.P99 <= limit {
		return ""
	}
	return fmt.Sprintf("its own send lag p99 %.2f ms exceeds %.2f ms (%d of %d slots sent late)",
		s.LatenessMs.P99, limit, s.SentLate, s.Slots)
}
