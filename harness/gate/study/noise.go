package study

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// Noise is the run-to-run spread of one variant's metrics over its usable
// runs: the robust coefficient of variation, 1.4826 * MAD / median (equal
// to the CV for normal data, but not dominated by the few runs a
// contention burst ruins).
type Noise struct {
	Variant string             `json:"variant"`
	Runs    int                `json:"runs"`
	CV      map[string]float64 `json:"robust_cv"`
}

// NoiseOf measures every variant's spread, of the adjusted metrics too
// when th names a reference component.
func NoiseOf(d *Data, th verdict.Thresholds) []Noise {
	tolerance := th.BehindTolerance
	var out []Noise
	for _, v := range d.Variants() {
		var rs []*results.Result
		for _, r := range d.runs[v] {
			if d.IncludeInvalid || compare.Usable(r, tolerance) {
				rs = append(rs, d.evidence(r))
			}
		}
		n := Noise{Variant: v, Runs: len(rs), CV: map[string]float64{}}
		for _, metrics := range compare.Series(rs, th.Reference) {
			for m, vals := range metrics {
				n.CV[m] = robustCV(vals)
			}
		}
		out = append(out, n)
	}
	return out
}

func robustCV(v []float64) float64 {
	med := stats.Median(v)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - med)
	}
	sort.Float64s(dev)
	if med == 0 {
		return 0
	}
	return 1.4826 * stats.Median(dev) / math.Abs(med)
}

// WriteNoise prints the spread table.
func WriteNoise(w io.Writer, ns []Noise) {
	fmt.Fprint(w, "| variant | usable runs |")
	studied := StudiedMetrics()
	for _, m := range studied {
		fmt.Fprintf(w, " %s |", m.Label)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", repeat("---|", len(studied)))
	for _, n := range ns {
		fmt.Fprintf(w, "| %s | %d |", n.Variant, n.Runs)
		for _, m := range studied {
			if adj, ok := n.CV[compare.AdjustedPrefix+m.Name]; ok {
				fmt.Fprintf(w, " %.1f%% (adj. %.1f%%) |", 100*n.CV[m.Name], 100*adj)
				continue
			}
			fmt.Fprintf(w, " %.1f%% |", 100*n.CV[m.Name])
		}
		fmt.Fprintln(w)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
