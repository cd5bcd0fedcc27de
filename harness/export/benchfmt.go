package export

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// BenchName is the benchmark name of a result: its lane and case as
// sub-benchmark keys, so benchstat can project on them
// (benchstat -col /lane ...).
func BenchName(r *results.Result) string {
	lane := r.Lane
	if r.Mode != "" {
		lane += "-" + r.Mode
	}
	clean := strings.NewReplacer(" ", "_", "/", "-")
	return fmt.Sprintf("Meshbench/lane=%s/case=%s", clean.Replace(lane), clean.Replace(r.Case.Name))
}

// BenchMetrics lists the metrics a run's benchmark line carries, from the
// metric catalog: every latency percentile, the scheduled-start ones, the
// achieved rate, and what the gate compares for the run's component roles
// (the proxies summed, then CPU per request and peak RSS per role), plus
// each role's steady RSS.
func BenchMetrics(r *results.Result) []metric.Metric {
	var roles []string
	for _, c := range r.Components {
		if !slices.Contains(roles, c.Role) {
			roles = append(roles, c.Role)
		}
	}
	ms := append(metric.Latency(), metric.Scheduled()...)
	ms = append(ms, metric.QPS())
	ms = append(ms, metric.Compared(roles)...)
	for _, role := range roles {
		ms = append(ms, metric.RSSSteady(role))
	}
	var out []metric.Metric
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.Name] {
			seen[m.Name] = true
			out = append(out, m)
		}
	}
	return out
}

// ToBenchfmt converts a result to one benchmark line: iterations are the
// completed requests; one value per catalog metric the run has
// (BenchMetrics), its unit the metric's catalog name and its value in the
// catalog's unit ("latency_p50_ms", "cpu_us_per_request/proxies"), so
// benchstat's rows carry the names meshbench compare prints; and the error
// rate under the gate's name for it (errors per request).
func ToBenchfmt(r *results.Result) *benchfmt.Result {
	out := &benchfmt.Result{Name: benchfmt.Name(BenchName(r)), Iters: int(max(r.Requests, 1))}
	env := r.Environment
	for _, kv := range [][2]string{{"goos", env.OS}, {"goarch", env.Arch}, {"cpu", env.CPUModel},
		{"scenario", r.Scenario}, {"platform", r.Platform}, {"machine", env.MachineID},
		{"build", r.Labels["build"]}, {"revision", env.GitRevision}} {
		if kv[1] != "" {
			out.Config = append(out.Config, benchfmt.Config{Key: kv[0], Value: []byte(kv[1]), File: true})
		}
	}
	for _, m := range BenchMetrics(r) {
		if v, ok := m.Get(r); ok {
			out.Values = append(out.Values, benchfmt.Value{Value: v, Unit: m.Name})
		}
	}
	if er := metric.ErrorRate(); r.Requests > 0 {
		v, _ := er.Get(r)
		out.Values = append(out.Values, benchfmt.Value{Value: v, Unit: er.Name})
	}
	return out
}

// WriteBenchfmt writes one benchmark line per result, with file
// configuration lines (goos, cpu, scenario, build...) where they change.
func WriteBenchfmt(w io.Writer, rs []*results.Result) error {
	bw := benchfmt.NewWriter(w)
	for _, r := range rs {
		if err := bw.Write(ToBenchfmt(r)); err != nil {
			return fmt.Errorf("benchfmt %s: %w", r.Key(), err)
		}
	}
	return nil
}
