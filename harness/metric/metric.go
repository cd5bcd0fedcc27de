package metric

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// Metric is one measured quantity of a run.
type Metric struct {
	// Name is the stable identifier in comparisons, history and reports:
	// "latency_p50_ms", "cpu_us_per_request/proxies".
	Name string
	// Label is the short column header: "p50", "p99.9", "sched. p99".
	Label string
	// Unit of Get's value: "ms", "µs", "B", "instr", "rps".
	Unit string
	// Get reads the metric from a run; false when the run lacks it.
	Get func(*results.Result) (float64, bool)
	// Gate is how the regression gate treats the metric.
	Gate Gate
	// Adjust: the gate's machine-speed adjustment applies (the metric
	// moves with the machine's speed during the run; memory does not).
	Adjust bool
	// Short: a column of the short tables (terminal summary, summary.md,
	// the latency plots); the HTML tables show every metric of a list.
	Short bool
	// Scale multiplies the metric's measured value in r by f, in place
	// (the gate study's synthetic effects); nil when the metric cannot be
	// scaled on its own (a sum of roles that are not its own fields).
	Scale func(r *results.Result, f float64)
}

// Gate is a metric's place in the regression gate.
type Gate struct {
	// Compared: a row of the gate's comparison table (gated or reported
	// only).
	Compared bool
	// Key names the scenario gate setting (verdict.Thresholds, by its YAML
	// name) that overrides Default; "" for a metric that is never gated.
	Key string
	// Default is the relative threshold (0.05 = a 5% slowdown fails);
	// negative: reported only unless the scenario sets Key.
	Default float64
	// FloorKey names the setting of an absolute floor, in Unit, under the
	// relative threshold ("rss_abs_bytes"); FloorDefault is its default.
	FloorKey     string
	FloorDefault float64
}

// Gated reports whether the gate decides on m unless a scenario says
// otherwise.
func (m Metric) Gated() bool { return m.Gate.Compared && m.Gate.Key != "" && m.Gate.Default > 0 }

// Threshold is m's relative threshold under th: the setting named by its
// key when th sets it, else its default; negative means reported only.
func (m Metric) Threshold(th verdict.Thresholds) float64 {
	if m.Gate.Key == "" {
		return -1
	}
	if v := setting(th, m.Gate.Key); v != 0 {
		return v
	}
	return m.Gate.Default
}

// AbsFloor is m's absolute threshold floor under th, 0 for none.
func (m Metric) AbsFloor(th verdict.Thresholds) float64 {
	if m.Gate.FloorKey == "" {
		return 0
	}
	if v := setting(th, m.Gate.FloorKey); v != 0 {
		return v
	}
	return m.Gate.FloorDefault
}

// setting reads the field of th whose YAML name is key (0 when unset). The
// scenario's gate section is decoded into verdict.Thresholds, so its YAML
// names are the keys of the overrides.
func setting(th verdict.Thresholds, key string) float64 {
	v := reflect.ValueOf(th)
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if name != key {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.Float64:
			return f.Float()
		case reflect.Int, reflect.Int64:
			return float64(f.Int())
		}
	}
	// Keys are the catalog's own constants; TestKeysNameSettings keeps
	// every one of them pointing at a numeric setting.
	panic(fmt.Sprintf("metric: no numeric gate setting %q in verdict.Thresholds", key))
}
