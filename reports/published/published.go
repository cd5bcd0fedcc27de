package published

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	pubdata "github.com/meshbench/meshbench/baselines/published"
)

// Kind classifies a figure by what it can be compared with.
type Kind string

const (
	KindAddedLatency Kind = "added_latency" // ms over a no-mesh baseline
	KindProxyCPU     Kind = "proxy_vcpu"    // vCPU per 1000 rps, one proxy
	KindProxyMemory  Kind = "proxy_memory"  // MB, one proxy
	KindOther        Kind = "other"         // shown in the table only
)

// Source is one published entry: who measured, where, and how.
type Source struct {
	ID         string
	Ref        string // URL or repository reference
	Mesh       string
	Version    string
	Proxy      string
	Date       string
	Conditions string // human summary of the test conditions
	Note       string
	// App names the application the source benchmarked (e.g. emojivoto),
	// when it is one this harness runs as a scenario of that name.
	App string
}

// Figure is one published number.
type Figure struct {
	Source     *Source
	Mesh       string // istio, linkerd, none
	Kind       Kind
	Metric     string // as published
	Variant    string // e.g. "server sidecar only", "ambient L4 two ztunnels"
	Percentile string // p50, p90, p99, p99.9, max; empty when not a latency
	Value      float64
	Lo, Hi     float64 // equal to Value unless the source gives a range
	Unit       string
	Derived    bool   // computed here from published numbers
	Formula    string // how, when Derived
	Note       string
	// QPS is the load the figure was measured at, when the source gives
	// one per figure; 0 otherwise.
	QPS float64
}

// Set is every published figure.
type Set struct {
	Files   []string
	Sources []*Source
	Figures []Figure
}

// Default loads the figures embedded in the binary.
func Default() (*Set, error) { return Load(pubdata.FS, ".") }

// LoadDir loads every *.yaml file in dir.
func LoadDir(dir string) (*Set, error) {
	s, err := Load(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return s, nil
}

// Load reads every *.yaml file under dir in fsys.
func Load(fsys fs.FS, dir string) (*Set, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no published figures (*.yaml)")
	}
	s := &Set{}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		if err := s.parse(data); err != nil {
			return nil, fmt.Errorf("published figures %s: %w", n, err)
		}
		s.Files = append(s.Files, n)
	}
	return s, nil
}

// ByKind returns the figures of one kind.
func (s *Set) ByKind(k Kind) []Figure {
	if s == nil {
		return nil
	}
	var out []Figure
	for _, f := range s.Figures {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

type doc struct {
	Entries []map[string]any `json:"entries"`
	Derived []map[string]any `json:"derived_cpu_per_request"`
}

func (s *Set) parse(data []byte) error {
	var d doc
	if err := yaml.Unmarshal(data, &d); err != nil {
		return err
	}
	byID := map[string]*Source{}
	for i, e := range d.Entries {
		src := sourceOf(e)
		if src.ID == "" {
			return fmt.Errorf("entry %d has no id", i)
		}
		s.Sources = append(s.Sources, src)
		byID[src.ID] = src
		ms, _ := e["metrics"].([]any)
		var figs []Figure
		for _, m := range ms {
			mm, ok := m.(map[string]any)
			if !ok {
				continue
			}
			f, err := figureOf(src, e, mm)
			if err != nil {
				return fmt.Errorf("entry %s: %w", src.ID, err)
			}
			figs = append(figs, f)
		}
		s.Figures = append(s.Figures, figs...)
		s.Figures = append(s.Figures, deriveAdded(figs)...)
	}
	for _, m := range d.Derived {
		f, ok := derivedCPU(m, byID)
		if ok {
			s.Figures = append(s.Figures, f)
		}
	}
	return nil
}

func sourceOf(e map[string]any) *Source {
	src := &Source{ID: str(e["id"]), Ref: str(e["source"]), Mesh: str(e["mesh"]), Version: str(e["mesh_version"]),
		Proxy: str(e["proxy"]), Date: str(e["date"]), Note: str(e["note"]), App: str(e["app"])}
	var c []string
	add := func(key, format string) {
		if v, ok := e[key]; ok && v != nil {
			c = append(c, fmt.Sprintf(format, str(v)))
		}
	}
	add("scenario", "%s")
	add("qps", "%s qps")
	add("connections", "%s connections")
	add("payload_bytes", "%s B payload")
	add("protocol", "%s")
	add("mtls", "mTLS %s")
	add("proxy_workers", "%s proxy workers")
	add("duration", "%s")
	add("cluster", "%s")
	add("headline", "%q")
	src.Conditions = strings.Join(c, " · ")
	if src.Conditions == "" {
		src.Conditions = "conditions not stated"
	}
	return src
}

var cpuMetrics = []string{"envoy_vcpu_per_1000rps", "sidecar_vcpu_per_1000rps", "sidecar_vcpu_at_1000rps",
	"waypoint_vcpu_at_1000rps", "ztunnel_vcpu_at_1000rps"}
var memMetrics = []string{"envoy_memory", "sidecar_memory", "sidecar_memory_at_1000rps", "waypoint_memory_at_1000rps",
	"ztunnel_memory_at_1000rps", "proxy_memory_avg", "max_proxy_memory", "proxy_memory"}

func figureOf(src *Source, e, m map[string]any) (Figure, error) {
	val, lo, hi, err := parseValue(m["value"])
	if err != nil {
		return Figure{}, fmt.Errorf("metric %s: %w", str(m["metric"]), err)
	}
	f := Figure{Source: src, Mesh: cmpOr(str(m["mesh"]), src.Mesh), Metric: str(m["metric"]),
		Percentile: normPct(str(m["percentile"])), Value: val, Lo: lo, Hi: hi, Unit: str(m["unit"]),
		Note: strings.TrimSpace(str(m["note"]) + " " + str(m["scenario"]))}
	if q := str(m["qps"]); q != "" {
		f.Note = strings.TrimSpace(q + " qps " + f.Note)
		f.QPS, _ = strconv.ParseFloat(q, 64)
	}
	switch {
	case strings.HasPrefix(f.Metric, "added_latency") && f.Unit == "ms" && f.Percentile != "" && f.Percentile != "max":
		f.Kind = KindAddedLatency
		f.Variant = strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(f.Metric, "added_latency"), "_"), "_", " ")
	case slices.Contains(cpuMetrics, f.Metric):
		f.Kind = KindProxyCPU
		f.Variant = strings.SplitN(f.Metric, "_", 2)[0]
	case slices.Contains(memMetrics, f.Metric) && f.Unit == "MB":
		f.Kind = KindProxyMemory
		f.Variant = strings.ReplaceAll(strings.TrimSuffix(strings.TrimSuffix(f.Metric, "_at_1000rps"), "_memory"), "_", " ")
	default:
		f.Kind = KindOther
	}
	if f.Kind == KindProxyCPU && f.Unit != "vCPU" {
		f.Kind = KindOther
	}
	// published.yaml's notes on the Istio docs family: their CPU and memory
	// figures before 1.20 come from a 1000-service, 2000-sidecar, 70k rps
	// load mesh, not from the two-pod fortio benchmark of their latency.
	if strings.HasPrefix(src.ID, "istio-doc-") && (f.Kind == KindProxyCPU || f.Kind == KindProxyMemory) && versionBefore(src.Version, 1, 20) {
		f.Note = strings.TrimSpace(f.Note + " 70k-rps load mesh")
	}
	return f, nil
}

// versionBefore reports whether a version such as "1.8.3..1.16.2" starts
// below major.minor; unparsable versions are not.
func versionBefore(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
}
