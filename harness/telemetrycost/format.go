package telemetrycost

import (
	"fmt"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

// AddedText is a cell's added cost as text: "+12.3 [+10.1, +14.0] µs" (the
// interval at Confidence), or "" for the reference and cells without a
// comparison.
func (c Cell) AddedText(unit string) string {
	if !c.Compared {
		return ""
	}
	f := func(v float64) string { return fmt.Sprintf("%+.3g", v) }
	s := fmt.Sprintf("%s [%s, %s] %s", f(c.Added.Estimate), f(c.Added.Lo), f(c.Added.Hi), unit)
	if c.Added.Confidence < Confidence-1e-9 {
		// Too few runs for the level asked: the interval spans every
		// pairwise difference and covers only this much.
		s += fmt.Sprintf(" (%.0f%% interval)", c.Added.Confidence*100)
	}
	return s
}

// Alpha is the one-sided level at which a cell counts as telling a cost
// apart from noise.
const Alpha = 0.05

// Significant says whether the run tells the variant's cost apart from
// noise: its interval excludes zero and the one-sided Mann-Whitney test
// agrees at Alpha (1: costs more; -1: costs less, the test's other tail);
// 0 when it cannot tell, as with one or two runs a side, whose interval
// is a single difference or covers too little.
func (c Cell) Significant() int {
	switch {
	case !c.Compared:
		return 0
	case c.Added.Lo > 0 && c.P <= Alpha:
		return 1
	case c.Added.Hi < 0 && c.P >= 1-Alpha:
		return -1
	}
	return 0
}

// Text is a tracing variant's span check in one line.
func (s *Spans) Text() string {
	if s == nil {
		return ""
	}
	verdict := "ok"
	if !s.OK() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %d traces (expected %.0f at %g%%), %d spans, %d complete, %d broken links; %d/%d runs within bounds",
		verdict, s.Traces, s.Expected, s.SamplingPercent, s.Spans, s.Complete, s.BrokenLinks, s.WithinBounds, s.Runs)
}
