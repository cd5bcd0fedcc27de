package export

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/perf/benchfmt"

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

// ToBenchfmt converts a result to one benchmark line: iterations are the
// completed requests; latencies in seconds (units ending in -sec, which
// benchstat scales to ms/µs), CPU per request in seconds per request and
// steady RSS in bytes per component role (summed over components sharing one), achieved request rate and errors.
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
	add := func(v float64, unit string) { out.Values = append(out.Values, benchfmt.Value{Value: v, Unit: unit}) }
	const ms = 1e-3
	p := r.Latency
	for _, pv := range []struct {
		name string
		v    float64
	}{{"p50", p.P50}, {"p75", p.P75}, {"p90", p.P90}, {"p99", p.P99}, {"p99.9", p.P999}, {"max", p.Max}} {
		add(pv.v*ms, pv.name+"-sec")
	}
	if s := r.LatencyScheduled; s != nil {
		add(s.P50*ms, "scheduled-p50-sec")
		add(s.P99*ms, "scheduled-p99-sec")
	}
	add(r.AchievedQPS, "req/s")
	add(float64(r.Errors), "errors")
	// One value per unit: components sharing a role (a service graph's
	// apps) are summed.
	var roles []string
	cpu, rss := map[string]float64{}, map[string]float64{}
	for _, c := range r.Components {
		if _, seen := cpu[c.Role]; !seen {
			roles = append(roles, c.Role)
		}
		cpu[c.Role] += c.CPUUsPerRequest * 1e-6
		rss[c.Role] += float64(c.RSSBytesSteady)
	}
	for _, role := range roles {
		add(cpu[role], role+"-cpu-sec/req")
		add(rss[role], role+"-rss-B")
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
