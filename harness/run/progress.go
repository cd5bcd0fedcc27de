package run

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// progress prints one line per run: position, elapsed time and ETA; the
// result or the failure (with the component's last output); and one line
// per lane and case that is unavailable.
type progress struct {
	w      io.Writer
	total  int // runs planned
	toMake int // runs that will be made (the ETA counts only these)
	began  time.Time
	perRun time.Duration // estimate until a run has finished
	doneN  int           // runs recorded
	madeN  int           // runs made
	told   map[string]bool
}

func newProgress(w io.Writer, s *scenario.Scenario, runs []plan.Run) *progress {
	p := &progress{w: w, total: len(runs), began: time.Now(), perRun: s.Warmup.Duration + s.Duration.Duration + time.Second,
		told: map[string]bool{}}
	for _, r := range runs {
		if r.Unavailable == "" {
			p.toMake++
		}
	}
	return p
}

func (p *progress) eta() time.Duration {
	per := p.perRun
	if p.madeN > 0 {
		per = time.Since(p.began) / time.Duration(p.madeN)
	}
	return per * time.Duration(p.toMake-p.madeN)
}

func (p *progress) start(r plan.Run) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %-16s %-28s rep %d   elapsed %s  ETA %s\n", p.doneN+1, p.total, r.LaneKey(), r.Case.Name,
		r.Repetition, round(time.Since(p.began)), round(p.eta()))
}

func (p *progress) done(r plan.Run, res *results.Result) {
	p.doneN++
	switch {
	case res.Unavailable == "":
		p.madeN++
	case r.Unavailable == "":
		p.toMake-- // the platform cannot run the lane: learnt at run time
	}
	if p.w == nil {
		return
	}
	switch {
	case res.Unavailable != "":
		// Once per lane and case: the reason is the same for every repetition.
		if k := res.Key(); !p.told[k] {
			p.told[k] = true
			fmt.Fprintf(p.w, "        %-16s %-28s unavailable: %s\n", r.LaneKey(), r.Case.Name, res.Unavailable)
		}
	case res.Failure != nil:
		f := res.Failure
		fmt.Fprintf(p.w, "        FAILED (%s): %s\n", f.Phase, f.Error)
		if tail := lastLines(f.LogTail, 5); tail != "" {
			fmt.Fprintf(p.w, "        last output of %s:\n%s\n", f.Component, tail)
		}
	default:
		mark := ""
		if !res.Valid {
			mark = "  INVALID: " + fmt.Sprint(res.InvalidReasons)
		}
		fmt.Fprintf(p.w, "        p50 %.3f ms  p99 %.3f ms  %.0f qps  %d errors%s\n", res.Latency.P50, res.Latency.P99, res.AchievedQPS, res.Errors, mark)
	}
}

func (p *progress) finish() {
	if p.w != nil {
		fmt.Fprintf(p.w, "done: %d runs made of %d planned in %s\n", p.madeN, p.total, round(time.Since(p.began)))
	}
}

// lastLines returns the last n non-empty lines of s, indented.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, "          "+l)
		}
	}
	return strings.Join(out, "\n")
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
