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
	return fmt.Sprintf("%s [%s, %s] %s", f(c.Added.Estimate), f(c.Added.Lo), f(c.Added.Hi), unit)
}

// Significant reports whether the interval excludes zero: the variant
// costs more (1), less (-1), or the run cannot tell (0).
func (c Cell) Significant() int {
	switch {
	case !c.Compared:
		return 0
	case c.Added.Lo > 0:
		return 1
	case c.Added.Hi < 0:
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
