package run

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// Phases of a run, recorded in a failed run's result.
const (
	PhaseUp      = "up"      // bringing the lane's topology up
	PhaseWarmup  = "warmup"  // the discarded warm-up load
	PhaseMeasure = "measure" // the measured window
)

// FailedError reports the runs that failed; their results (valid: false,
// with the cause) are among those Execute returns and wrote.
type FailedError struct {
	Failed []*results.Result
	made   map[string]int // lane label -> runs attempted
}

// Error is one line per lane with failed runs: how many, and the first
// failure's cause.
func (e *FailedError) Error() string {
	byLane := map[string][]*results.Result{}
	for _, r := range e.Failed {
		byLane[r.LaneLabel()] = append(byLane[r.LaneLabel()], r)
	}
	lanes := make([]string, 0, len(byLane))
	for l := range byLane {
		lanes = append(lanes, l)
	}
	sort.Strings(lanes)
	var b strings.Builder
	fmt.Fprintf(&b, "runs failed in %d lane(s) (each recorded with valid: false and its cause):", len(lanes))
	for _, l := range lanes {
		first := byLane[l][0].Failure
		fmt.Fprintf(&b, "\n  %s: %d of %d runs failed; first, in phase %s: %s", l, len(byLane[l]), e.made[l], first.Phase, first.Error)
	}
	return b.String()
}

// FailedLanes returns the labels of the lanes with failed runs, sorted.
func (e *FailedError) FailedLanes() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range e.Failed {
		if l := r.LaneLabel(); !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// notMade is the result of a run that was not made: identity, no
// measurement, invalid.
func notMade(o Options, r plan.Run, seed int64) *results.Result {
	s := o.Scenario
	return &results.Result{
		Schema: results.Schema, Scenario: s.Name, ScenarioKind: s.Kind, Platform: o.Platform.Name(),
		Lane: r.Lane, Mode: r.Mode, Case: r.Case, Repetition: r.Repetition, Order: r.Order + o.OrderOffset, Seed: seed,
		Started: time.Now().UTC(), Labels: o.Labels, TargetQPS: r.Case.QPS, Environment: o.Env,
	}
}

func unavailableResult(o Options, r plan.Run, seed int64, reason string) *results.Result {
	res := notMade(o, r, seed)
	res.Unavailable = reason
	res.InvalidReasons = []string{"unavailable: " + reason}
	return res
}

func failedResult(o Options, r plan.Run, seed int64, phase string, err error) *results.Result {
	res := notMade(o, r, seed)
	res.Failure = failure(phase, err)
	res.InvalidReasons = []string{"failed: " + res.Failure.Error}
	return res
}

// failure describes err: the component at fault, its exit status and last
// output when the platform knows them. Error is one line; the output goes
// to LogTail.
func failure(phase string, err error) *results.Failure {
	f := &results.Failure{Phase: phase, Error: err.Error()}
	var ce *platform.ComponentError
	if errors.As(err, &ce) {
		f.Component, f.ExitStatus, f.LogTail = ce.Component, ce.ExitStatus, ce.LogTail
		if i := strings.Index(f.Error, "; last output:\n"); i >= 0 {
			f.Error = f.Error[:i] + f.Error[i+len("; last output:\n")+len(ce.LogTail):]
		}
	}
	f.Error = strings.Join(strings.Fields(f.Error), " ")
	return f
}
