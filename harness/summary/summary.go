package summary

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/meshbench/meshbench/harness/results"
)

// Row is the median of one lane and case over its valid repetitions. A row
// with no valid run (N == 0) carries no numbers, only the reasons why its
// runs were invalid.
type Row struct {
	Lane, Case          string
	N, Invalid          int
	Reasons             []string // distinct reasons of the invalid runs
	P50, P90, P99, P999 float64
	QPS                 float64
	CPUUs               map[string]float64 // role -> us per request
	RSSMB               map[string]float64 // role -> peak MB
	PSSMB               map[string]float64 // role -> steady proportional set size MB
}

// roles in column order.
var roles = []string{results.RoleClientProxy, results.RoleServerProxy, results.RoleApp, results.RoleLoadgen, results.RoleControlPlane}

// Rows groups results by lane and case.
func Rows(rs []*results.Result) []Row {
	groups := map[[2]string][]*results.Result{}
	var keys [][2]string
	for _, r := range rs {
		lane := r.Lane
		if r.Mode != "" {
			lane += "/" + r.Mode
		}
		k := [2]string{lane, r.Case.Name}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i][1] != keys[j][1] {
			return keys[i][1] < keys[j][1]
		}
		return laneRank(keys[i][0]) < laneRank(keys[j][0])
	})
	var out []Row
	for _, k := range keys {
		out = append(out, row(k[0], k[1], groups[k]))
	}
	return out
}

func laneRank(l string) string {
	if l == "none" {
		return "0"
	}
	if strings.HasPrefix(l, "mesh") {
		return "1" + l
	}
	return "2" + l
}

func row(lane, cas string, rs []*results.Result) Row {
	r := Row{Lane: lane, Case: cas, CPUUs: map[string]float64{}, RSSMB: map[string]float64{}, PSSMB: map[string]float64{}}
	var valid []*results.Result
	for _, x := range rs {
		if x.Valid {
			valid = append(valid, x)
			continue
		}
		r.Invalid++
		for _, why := range x.InvalidReasons {
			if !slices.Contains(r.Reasons, why) {
				r.Reasons = append(r.Reasons, why)
			}
		}
	}
	r.N = len(valid)
	if r.N == 0 {
		// Numbers from invalid runs would be read as results: none at all.
		return r
	}
	med := func(f func(*results.Result) float64) float64 {
		v := make([]float64, 0, len(valid))
		for _, x := range valid {
			v = append(v, f(x))
		}
		return Median(v)
	}
	r.P50 = med(func(x *results.Result) float64 { return x.Latency.P50 })
	r.P90 = med(func(x *results.Result) float64 { return x.Latency.P90 })
	r.P99 = med(func(x *results.Result) float64 { return x.Latency.P99 })
	r.P999 = med(func(x *results.Result) float64 { return x.Latency.P999 })
	r.QPS = med(func(x *results.Result) float64 { return x.AchievedQPS })
	for _, role := range roles {
		if valid[0].Component(role) == nil {
			continue
		}
		r.CPUUs[role] = med(func(x *results.Result) float64 { return comp(x, role).CPUUsPerRequest })
		r.RSSMB[role] = med(func(x *results.Result) float64 { return float64(comp(x, role).RSSBytesPeak) / (1 << 20) })
		r.PSSMB[role] = med(func(x *results.Result) float64 { return float64(comp(x, role).PSSBytesSteady) / (1 << 20) })
	}
	return r
}

// comp sums the components of a role (a service graph has one sidecar and
// one app per service): the cost per entry request of all of them.
func comp(r *results.Result, role string) results.Component {
	var sum results.Component
	for _, c := range r.Components {
		if c.Role != role {
			continue
		}
		sum.CPUUsPerRequest += c.CPUUsPerRequest
		sum.RSSBytesPeak += c.RSSBytesPeak
		sum.PSSBytesSteady += c.PSSBytesSteady
	}
	return sum
}

// Median of v (0 for empty).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Print writes the summary table.
func Print(w io.Writer, rs []*results.Result) {
	rows := Rows(rs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "lane\tcase\tn\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tqps\tcpu us/req: client-proxy\tserver-proxy\tapp\tloadgen\tcontrol\tproxy RSS (PSS) MB\t")
	for _, r := range rows {
		n := fmt.Sprint(r.N)
		if r.Invalid > 0 {
			n += fmt.Sprintf(" (+%d invalid)", r.Invalid)
		}
		if r.N == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Lane, r.Case, n, strings.Repeat("-\t", 11))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f\t", r.Lane, r.Case, n, r.P50, r.P90, r.P99, r.P999, r.QPS)
		for _, role := range roles {
			if v, ok := r.CPUUs[role]; ok {
				fmt.Fprintf(tw, "%.1f\t", v)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintf(tw, "%s\t\n", proxyRSS(r))
	}
	tw.Flush()
	printNoValid(w, rows)
	printAdded(w, rows)
}

// printNoValid names each group without a valid run and why.
func printNoValid(w io.Writer, rows []Row) {
	var lines []string
	for _, r := range rows {
		if r.N == 0 {
			lines = append(lines, fmt.Sprintf("  %-16s %-28s %d invalid: %s", r.Lane, r.Case, r.Invalid, reasons(r.Reasons)))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintln(w, "\nno valid run, no numbers shown:")
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	}
}

func reasons(rs []string) string {
	if len(rs) == 0 {
		return "no reason recorded"
	}
	return strings.Join(rs, "; ")
}

func proxyRSS(r Row) string {
	var parts []string
	for _, role := range []string{results.RoleClientProxy, results.RoleServerProxy} {
		if v, ok := r.RSSMB[role]; ok {
			parts = append(parts, fmt.Sprintf("%.1f (%.1f)", v, r.PSSMB[role]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " / ")
}

// printAdded shows each lane's latency over the none lane of the same case.
func printAdded(w io.Writer, rows []Row) {
	base := map[string]Row{}
	for _, r := range rows {
		if r.Lane == "none" {
			base[r.Case] = r
		}
	}
	var lines []string
	for _, r := range rows {
		b, ok := base[r.Case]
		if !ok || r.Lane == "none" || r.N == 0 || b.N == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-16s %-28s %+.3f / %+.3f / %+.3f ms", r.Lane, r.Case, r.P50-b.P50, r.P90-b.P90, r.P99-b.P99))
	}
	if len(lines) > 0 {
		fmt.Fprintln(w, "\nlatency added over none (p50 / p90 / p99):")
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	}
}
