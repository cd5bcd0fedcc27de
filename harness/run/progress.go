package run

import (
	"fmt"
	"io"
	"time"

	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// progress prints one line per run: position, elapsed time and ETA.
type progress struct {
	w       io.Writer
	total   int
	began   time.Time
	perRun  time.Duration // estimate until a run has finished
	doneN   int
	current plan.Run
}

func newProgress(w io.Writer, s *scenario.Scenario, total int) *progress {
	return &progress{w: w, total: total, began: time.Now(), perRun: s.Warmup.Duration + s.Duration.Duration + time.Second}
}

func (p *progress) eta() time.Duration {
	per := p.perRun
	if p.doneN > 0 {
		per = time.Since(p.began) / time.Duration(p.doneN)
	}
	return per * time.Duration(p.total-p.doneN)
}

func (p *progress) start(r plan.Run) {
	p.current = r
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %-16s %-28s rep %d   elapsed %s  ETA %s\n", p.doneN+1, p.total, r.LaneKey(), r.Case.Name,
		r.Repetition, round(time.Since(p.began)), round(p.eta()))
}

func (p *progress) done(res *results.Result) {
	p.doneN++
	if p.w == nil {
		return
	}
	mark := ""
	if !res.Valid {
		mark = "  INVALID: " + fmt.Sprint(res.InvalidReasons)
	}
	fmt.Fprintf(p.w, "        p50 %.3f ms  p99 %.3f ms  %.0f qps  %d errors%s\n", res.Latency.P50, res.Latency.P99, res.AchievedQPS, res.Errors, mark)
}

// skip counts a run that will not happen (its lane is unavailable).
func (p *progress) skip() { p.total--; p.current.Order-- }

func (p *progress) finish() {
	if p.w != nil {
		fmt.Fprintf(p.w, "done: %d runs in %s\n", p.total, round(time.Since(p.began)))
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
