package compare

import (
	"slices"

	"github.com/meshbench/meshbench/harness/gate/stats"
	catalog "github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

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
	ref := reference{role: role, cpu: catalog.CPU(role).Get}
	var v []float64
	for _, rs := range runs {
		v = append(v, values(rs, catalog.Metric{Get: ref.cpu})...)
	}
	v = slices.DeleteFunc(v, func(x float64) bool { return x <= 0 })
	if len(v) == 0 {
		return reference{}
	}
	ref.center = stats.Median(v)
	return ref
}

// AdjustedPrefix names a metric adjusted for machine speed: the raw value
// times the group's median reference CPU per request over this run's. The
// constant keeps the value in the raw metric's unit and scale; the test and
// the effect are those of the plain ratio raw/reference.
const AdjustedPrefix = "adj_"

// adjusted is m's value adjusted for machine speed by ref, gated as m was.
func adjusted(m catalog.Metric, ref reference) catalog.Metric {
	adj := m
	adj.Name = AdjustedPrefix + m.Name
	adj.Get = func(r *results.Result) (float64, bool) {
		v, ok := m.Get(r)
		rc, found := ref.cpu(r)
		if !ok || !found || rc <= 0 {
			return 0, false
		}
		return v * ref.center / rc, true
	}
	return adj
}

// metricDefs lists, in table order, the catalog's compared metrics of a
// group whose runs include the given component roles; with a reference,
// the metrics the catalog marks as moving with the machine's speed (the
// gated latency and CPU) are adjusted for it.
func metricDefs(roles []string, ref reference) []catalog.Metric {
	defs := catalog.Compared(roles)
	if ref.cpu == nil || !slices.Contains(roles, ref.role) {
		return defs
	}
	// The adjusted rows lead the table, gated; their raw rows stay in place,
	// report-only.
	var adj []catalog.Metric
	for i := range defs {
		if defs[i].Adjust {
			adj = append(adj, adjusted(defs[i], ref))
			defs[i].Gate = catalog.Gate{Compared: true}
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
				m[d.Name] = v
			}
		}
		out[key] = m
	}
	return out
}
