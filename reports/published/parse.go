package published

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The YAML is written for people: these helpers read its loose values.

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "on"
		}
		return "off"
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = str(p)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " " + str(x[k])
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(x)
	}
}

// parseValue reads 0.5, "4-6", "29.0k-33.7k".
func parseValue(v any) (val, lo, hi float64, err error) {
	switch x := v.(type) {
	case float64:
		return x, x, x, nil
	case string:
		parts := strings.SplitN(x, "-", 2)
		nums := make([]float64, len(parts))
		for i, p := range parts {
			p = strings.TrimSpace(p)
			mult := 1.0
			if strings.HasSuffix(p, "k") {
				mult, p = 1000, strings.TrimSuffix(p, "k")
			}
			f, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return 0, 0, 0, fmt.Errorf("value %q: %w", x, err)
			}
			nums[i] = f * mult
		}
		if len(nums) == 1 {
			return nums[0], nums[0], nums[0], nil
		}
		return (nums[0] + nums[1]) / 2, nums[0], nums[1], nil
	default:
		return 0, 0, 0, fmt.Errorf("value %v of type %T", v, v)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func normPct(p string) string {
	if p == "" || strings.HasPrefix(p, "p") || p == "max" {
		return p
	}
	return "p" + p
}

// deriveAdded turns a source's absolute latencies of a mesh and of `none`,
// at the same percentile and load, into added latency.
func deriveAdded(figs []Figure) []Figure {
	var out []Figure
	for _, f := range figs {
		if f.Metric != "latency" || f.Mesh == "none" || f.Mesh == "" || f.Percentile == "" || f.Percentile == "max" || f.Unit != "ms" {
			continue
		}
		for _, b := range figs {
			if b.Metric == "latency" && b.Mesh == "none" && b.Percentile == f.Percentile && b.Note == f.Note && b.Unit == "ms" {
				d := f
				d.Kind, d.Metric, d.Derived = KindAddedLatency, "added_latency", true
				d.Value, d.Lo, d.Hi = f.Value-b.Value, f.Lo-b.Hi, f.Hi-b.Lo
				d.Formula = fmt.Sprintf("latency(%s) %g ms − latency(none) %g ms, %s, same source", f.Mesh, f.Value, b.Value, f.Percentile)
				out = append(out, d)
			}
		}
	}
	return out
}

// derivedCPU reads a derived_cpu_per_request row (µs of CPU per request) as
// vCPU per 1000 rps (µs/req ÷ 1000). Rows whose source already publishes a
// vCPU figure are skipped: they would repeat it in other units.
func derivedCPU(m map[string]any, byID map[string]*Source) (Figure, bool) {
	id := strings.SplitN(str(m["source"]), "..", 2)[0]
	src := byID[id]
	if src == nil || strings.HasPrefix(id, "istio-doc") {
		return Figure{}, false
	}
	val, lo, hi, err := parseValue(m["us_cpu_per_request"])
	if err != nil {
		return Figure{}, false
	}
	mesh := src.Mesh
	if p := str(m["proxy"]); strings.Contains(p, "linkerd") {
		mesh = "linkerd"
	} else if strings.Contains(p, "envoy") {
		mesh = "istio"
	}
	return Figure{Source: src, Mesh: mesh, Kind: KindProxyCPU, Metric: "us_cpu_per_request", Variant: str(m["proxy"]),
		Value: val / 1000, Lo: lo / 1000, Hi: hi / 1000, Unit: "vCPU", Derived: true,
		Formula: fmt.Sprintf("%s µs CPU per request ÷ 1000 = vCPU per 1000 rps", str(m["us_cpu_per_request"])),
		Note:    str(m["note"])}, true
}
