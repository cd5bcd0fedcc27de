package compare

import (
	"slices"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// proxyRoles are the components the mesh adds to the data path: the cost
// the gate guards. Their CPU and RSS are summed, which both shrinks the
// Holm family and averages out per-process tick noise.
var proxyRoles = []string{results.RoleClientProxy, results.RoleServerProxy}

// metricDef extracts one metric from a run.
type metricDef struct {
	name, unit string
	get        func(*results.Result) (float64, bool)
	threshold  func(verdict.Thresholds) float64
	absFloor   func(verdict.Thresholds) float64
}

func reportOnly(verdict.Thresholds) float64 { return -1 }

func latency(name string, pick func(results.Percentiles) float64, th func(verdict.Thresholds) float64) metricDef {
	return metricDef{name: name, unit: "ms", threshold: th, get: func(r *results.Result) (float64, bool) {
		return pick(r.Latency), r.Requests > 0
	}}
}

func scheduled(name string, pick func(results.Percentiles) float64) metricDef {
	return metricDef{name: name, unit: "ms", threshold: reportOnly, get: func(r *results.Result) (float64, bool) {
		if r.LatencyScheduled == nil {
			return 0, false
		}
		return pick(*r.LatencyScheduled), true
	}}
}

func sumRoles(field func(*results.Component) float64, roles []string) func(*results.Result) (float64, bool) {
	return func(r *results.Result) (float64, bool) {
		total, found := 0.0, false
		for _, role := range roles {
			if c := r.Component(role); c != nil {
				total += field(c)
				found = true
			}
		}
		return total, found
	}
}

func cpuUs(c *results.Component) float64     { return c.CPUUsPerRequest }
func rssSteady(c *results.Component) float64 { return float64(c.RSSBytesSteady) }
func rssPeak(c *results.Component) float64   { return float64(c.RSSBytesPeak) }
func rssAnon(c *results.Component) float64   { return float64(c.RSSAnonBytesSteady) }
func instr(c *results.Component) float64     { return c.InstructionsPerRequest }

// reference is the machine-speed adjustment of a group: the reference
// component's role and its median CPU per request over the group's runs
// (both sides). The zero value adjusts nothing.
type reference struct {
	role   string
	cpu    func(*results.Result) (float64, bool) // the reference's CPU per request
	center float64
}

// newReference returns the adjustment of Thresholds.Reference for a group,
// or the zero value when none is asked for or the runs lack the component.
func newReference(role string, runs ...[]*results.Result) reference {
	if role == "" {
		return reference{}
	}
	ref := reference{role: role, cpu: sumRoles(cpuUs, []string{role})}
	var v []float64
	for _, rs := range runs {
		v = append(v, values(rs, metricDef{get: ref.cpu})...)
	}
	v = slices.DeleteFunc(v, func(x float64) bool { return x <= 0 })
	if len(v) == 0 {
		return reference{}
	}
	ref.center = stats.Median(v)
	return ref
}

// adjustable are the gated metrics that move with the machine's speed.
// p99.9 (report-only) and RSS (memory does not scale with speed) stay raw.
var adjustable = []string{"latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "cpu_us_per_request/proxies"}

// AdjustedPrefix names a metric adjusted for machine speed: the raw value
// times the group's median reference CPU per request over this run's. The
// constant keeps the value in the raw metric's unit and scale; the test and
// the effect are those of the plain ratio raw/reference.
const AdjustedPrefix = "adj_"

// adjusted is d's value adjusted for machine speed by ref, gated as d was.
func adjusted(d metricDef, ref reference) metricDef {
	adj := d
	adj.name = AdjustedPrefix + d.name
	adj.get = func(r *results.Result) (float64, bool) {
		v, ok := d.get(r)
		rc, found := ref.cpu(r)
		if !ok || !found || rc <= 0 {
			return 0, false
		}
		return v * ref.center / rc, true
	}
	return adj
}

// metricDefs lists, in table order, the metrics of a group whose runs
// include the given component roles; with a reference, the gated latency
// and CPU metrics are adjusted for machine speed.
func metricDefs(roles []string, ref reference) []metricDef {
	defs := []metricDef{
		latency("latency_p50_ms", func(p results.Percentiles) float64 { return p.P50 }, func(t verdict.Thresholds) float64 { return t.P50 }),
		latency("latency_p90_ms", func(p results.Percentiles) float64 { return p.P90 }, func(t verdict.Thresholds) float64 { return t.P90 }),
		latency("latency_p99_ms", func(p results.Percentiles) float64 { return p.P99 }, func(t verdict.Thresholds) float64 { return t.P99 }),
		latency("latency_p999_ms", func(p results.Percentiles) float64 { return p.P999 }, func(t verdict.Thresholds) float64 { return t.P999 }),
		scheduled("latency_scheduled_p50_ms", func(p results.Percentiles) float64 { return p.P50 }),
		scheduled("latency_scheduled_p99_ms", func(p results.Percentiles) float64 { return p.P99 }),
	}
	var proxies []string
	for _, r := range proxyRoles {
		if slices.Contains(roles, r) {
			proxies = append(proxies, r)
		}
	}
	if len(proxies) > 0 {
		defs = append(defs,
			metricDef{name: "cpu_us_per_request/proxies", unit: "µs", get: sumRoles(cpuUs, proxies),
				threshold: func(t verdict.Thresholds) float64 { return t.CPUPerRequest }},
			metricDef{name: "rss_bytes_steady/proxies", unit: "B", get: sumRoles(rssSteady, proxies),
				threshold: func(t verdict.Thresholds) float64 { return t.RSS },
				absFloor:  func(t verdict.Thresholds) float64 { return float64(t.RSSAbsBytes) }},
			metricDef{name: "rss_anon_bytes_steady/proxies", unit: "B", threshold: reportOnly,
				get: func(r *results.Result) (float64, bool) {
					v, ok := sumRoles(rssAnon, proxies)(r)
					return v, ok && v > 0 // older results lack it
				}},
		)
	}
	for _, role := range roles {
		one := []string{role}
		defs = append(defs,
			metricDef{name: "cpu_us_per_request/" + role, unit: "µs", get: sumRoles(cpuUs, one), threshold: reportOnly},
			metricDef{name: "rss_bytes_peak/" + role, unit: "B", get: sumRoles(rssPeak, one), threshold: reportOnly},
		)
	}
	defs = append(defs, metricDef{name: "instructions_per_request/proxies", unit: "instr",
		get: func(r *results.Result) (float64, bool) {
			v, ok := sumRoles(instr, proxies)(r)
			return v, ok && v > 0
		},
		threshold: func(t verdict.Thresholds) float64 { return t.CPUPerRequest }})
	if ref.cpu == nil || !slices.Contains(roles, ref.role) {
		return defs
	}
	// The adjusted rows lead the table, gated; their raw rows stay in place,
	// report-only.
	var adj []metricDef
	for i := range defs {
		if slices.Contains(adjustable, defs[i].name) {
			adj = append(adj, adjusted(defs[i], ref))
			defs[i].threshold = reportOnly
		}
	}
	return append(adj, defs...)
}

// Series returns, per group (lane/mode case) and metric name, the run-level
// values of every metric the gate knows, for history and reports; with a
// reference role (Thresholds.Reference), the adjusted metrics too.
func Series(rs []*results.Result, referenceRole string) map[string]map[string][]float64 {
	out := map[string]map[string][]float64{}
	for key, group := range groupByKey(rs) {
		m := map[string][]float64{}
		for _, d := range metricDefs(rolesOf(group), newReference(referenceRole, group)) {
			if v := values(group, d); len(v) > 0 {
				m[d.name] = v
			}
		}
		out[key] = m
	}
	return out
}
