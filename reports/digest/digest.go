package digest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// Digest is a set of results condensed for reporting.
type Digest struct {
	Scenarios    []string // distinct scenario names, in order of appearance
	Kinds        []string
	Platforms    []string
	Lanes        []string       // lane labels ("none", "mesh/both", ...), none first
	Cases        []results.Case // distinct cases, in matrix order
	Groups       []*Group       // one per lane and case that has at least one run
	Environments []results.Environment
	Mesh         map[string]*results.MeshFeatures // by lane label, from the first run that has it
	Invalid      []InvalidRun
	Runs         int // all runs, valid or not
	Repetitions  int // the highest repetition count of any group
	WarmupS      float64
	DurationS    float64
	Seeds        []int64
	First, Last  time.Time
	ControlPlane []*results.Result // runs that carry a control-plane record
}

// InvalidRun is a run excluded from every median and plot.
type InvalidRun struct {
	Key     string
	Order   int
	Reasons []string
}

// Group is every run of one lane in one case.
type Group struct {
	Lane        string
	Case        results.Case
	Runs        []*results.Result // valid runs only
	Invalid     int
	Reasons     []string             // distinct reasons of the invalid runs
	Latency     results.Percentiles  // per-percentile medians over runs
	Scheduled   *results.Percentiles // medians, when every run recorded it
	AchievedQPS float64              // median
	Requests    int64                // sum
	Errors      int64                // sum
	Histogram   []results.Bucket     // merged over runs, sorted by End
	Components  []ComponentStat      // by role order
}

// ComponentStat is one role's cost in a group, as medians over runs.
type ComponentStat struct {
	Role            string
	Name            string
	CPUUsPerRequest float64
	VCPUPer1000RPS  float64
	RSSSteadyBytes  float64
	RSSPeakBytes    int64 // the highest peak of any run
	CPUSource       string
	// Per-run values, for fits and spreads.
	VCPUSamples []float64
}

// LaneLabel is the label of a result's lane: "mesh/both", "none", ...
func LaneLabel(r *results.Result) string {
	if r.Mode != "" {
		return r.Lane + "/" + r.Mode
	}
	return r.Lane
}

// variantSep joins a lane and the build it ran ("mesh/both @candidate").
const variantSep = " @"

// SplitLane splits a lane label into the lane and the build variant, if any.
func SplitLane(label string) (lane, variant string) {
	lane, variant, _ = strings.Cut(label, variantSep)
	return lane, variant
}

// variantOf names the build a run measured when the results mix builds:
// the gate's build label (base, candidate), else the git revision when
// there is more than one. Runs of different builds are never pooled.
func variantOf(rs []*results.Result) func(*results.Result) string {
	builds, revs := map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		if b := r.Labels["build"]; b != "" {
			builds[b] = true
		}
		revs[r.Environment.GitRevision] = true
	}
	switch {
	case len(builds) > 1:
		return func(r *results.Result) string { return r.Labels["build"] }
	case len(revs) > 1:
		return func(r *results.Result) string {
			rev := r.Environment.GitRevision
			if len(rev) > 8 {
				rev = rev[:8]
			}
			return rev
		}
	default:
		return func(*results.Result) string { return "" }
	}
}

// variantRank puts the base build before the candidate.
func variantRank(v string) int {
	switch v {
	case "", "base":
		return 0
	case "candidate":
		return 1
	default:
		return 2
	}
}

// laneRank orders lanes the way a reader compares them: baseline first, then
// our mesh, then live meshes, then reference proxies; builds within a lane.
func laneRank(label string) int {
	l, v := SplitLane(label)
	return laneKind(l)*10 + variantRank(v)
}

func laneKind(l string) int {
	switch {
	case l == "none":
		return 0
	case l == "mesh/both" || l == "mesh":
		return 1
	case strings.HasPrefix(l, "mesh/"):
		return 2
	case strings.HasPrefix(l, "istio"):
		return 3
	case strings.HasPrefix(l, "linkerd"):
		return 4
	default:
		return 5
	}
}

// RoleOrder is the order in which component roles are shown.
var RoleOrder = []string{results.RoleClientProxy, results.RoleServerProxy, results.RoleControlPlane, results.RoleApp, results.RoleLoadgen}

func roleRank(r string) int {
	if i := slices.Index(RoleOrder, r); i >= 0 {
		return i
	}
	return len(RoleOrder)
}

// Build condenses rs. It never fails: absent data yields empty fields that
// the renderers omit with a note.
func Build(rs []*results.Result) *Digest {
	d := &Digest{Mesh: map[string]*results.MeshFeatures{}, Runs: len(rs)}
	groups := map[string]*Group{}
	seenEnv := map[string]bool{}
	variant := variantOf(rs)
	for _, r := range rs {
		lane := LaneLabel(r)
		if v := variant(r); v != "" {
			lane += variantSep + v
		}
		d.Scenarios = appendNew(d.Scenarios, r.Scenario)
		d.Kinds = appendNew(d.Kinds, r.ScenarioKind)
		d.Platforms = appendNew(d.Platforms, r.Platform)
		d.Lanes = appendNew(d.Lanes, lane)
		envKey := r.Environment.MachineID + "|" + r.Environment.GitRevision
		if !seenEnv[envKey] {
			seenEnv[envKey] = true
			d.Environments = append(d.Environments, r.Environment)
		}
		if r.Mesh != nil && d.Mesh[lane] == nil {
			d.Mesh[lane] = r.Mesh
		}
		if !slices.Contains(d.Seeds, r.Seed) {
			d.Seeds = append(d.Seeds, r.Seed)
		}
		d.WarmupS, d.DurationS = max(d.WarmupS, r.WarmupS), max(d.DurationS, r.DurationS)
		if d.First.IsZero() || r.Started.Before(d.First) {
			d.First = r.Started
		}
		if r.Started.After(d.Last) {
			d.Last = r.Started
		}
		if r.ControlPlane != nil {
			// A control-plane run measures convergence, not the data path:
			// it has its own table and plot, and no latency to aggregate.
			d.ControlPlane = append(d.ControlPlane, r)
			if !r.Valid {
				d.Invalid = append(d.Invalid, InvalidRun{Key: r.Key(), Order: r.Order, Reasons: r.InvalidReasons})
			}
			continue
		}
		if !slices.ContainsFunc(d.Cases, func(c results.Case) bool { return c == r.Case }) {
			d.Cases = append(d.Cases, r.Case)
		}
		key := lane + "\x00" + r.Case.Name + fmt.Sprint(r.Case)
		g := groups[key]
		if g == nil {
			g = &Group{Lane: lane, Case: r.Case}
			groups[key] = g
			d.Groups = append(d.Groups, g)
		}
		if !r.Valid {
			g.Invalid++
			for _, why := range r.InvalidReasons {
				g.Reasons = appendNew(g.Reasons, why)
			}
			d.Invalid = append(d.Invalid, InvalidRun{Key: r.Key(), Order: r.Order, Reasons: r.InvalidReasons})
			continue
		}
		g.Runs = append(g.Runs, r)
	}
	slices.SortStableFunc(d.Lanes, func(a, b string) int { return cmp.Compare(laneRank(a), laneRank(b)) })
	slices.SortStableFunc(d.Cases, compareCases)
	for _, g := range d.Groups {
		g.condense()
		d.Repetitions = max(d.Repetitions, len(g.Runs)+g.Invalid)
	}
	slices.SortStableFunc(d.Groups, func(a, b *Group) int {
		if c := compareCases(a.Case, b.Case); c != 0 {
			return c
		}
		return cmp.Compare(laneRank(a.Lane), laneRank(b.Lane))
	})
	return d
}

func compareCases(a, b results.Case) int {
	return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.PayloadBytes, b.PayloadBytes),
		cmpBool(a.MTLS, b.MTLS), cmp.Compare(a.QPS, b.QPS), cmp.Compare(a.Connections, b.Connections),
		cmp.Compare(a.Name, b.Name))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}

func appendNew(xs []string, x string) []string {
	if x == "" || slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// Group returns the group of lane in case c, or nil.
func (d *Digest) Group(lane string, c results.Case) *Group {
	for _, g := range d.Groups {
		if g.Lane == lane && g.Case == c {
			return g
		}
	}
	return nil
}

// Median of xs (which it sorts); 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// CaseLabel is a short human description of a case.
func CaseLabel(c results.Case) string {
	qps := "max qps"
	if c.QPS > 0 {
		qps = fmt.Sprintf("%g qps", c.QPS)
	}
	tls := ""
	if c.MTLS {
		tls = " · mTLS"
	}
	return fmt.Sprintf("%s · %d conn · %d B · %s%s", qps, c.Connections, c.PayloadBytes, c.Protocol, tls)
}

// Display converts a value in a comparison's unit to the unit a reader
// wants: bytes become MiB; everything else is shown as is.
func Display(v float64, unit string) (float64, string) {
	if unit == "B" {
		return v / (1 << 20), "MiB"
	}
	return v, unit
}
