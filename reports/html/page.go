package html

import (
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/telemetrycost"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/plots"
	"github.com/meshbench/meshbench/reports/published"
)

// Link is a relative link to a raw file.
type Link struct {
	Text string
	Href string
}

// VerdictInfo is what the banner says.
type VerdictInfo struct {
	Word   string // PASS | FAIL | INCONCLUSIVE | REPORT
	Detail string
}

// Page is everything the page shows.
type Page struct {
	Title      string
	Generated  time.Time
	Verdict    VerdictInfo
	Digest     *digest.Digest
	Comparison *results.Comparison
	History    *digest.History
	Published  *published.Set
	Figures    []plots.Figure
	Omitted    []plots.Omission
	Raw        []Link
}

// Verdict is the banner for a comparison, or a report-only banner.
func Verdict(c *results.Comparison, d *digest.Digest) VerdictInfo {
	if c == nil {
		v := VerdictInfo{Word: "REPORT", Detail: fmt.Sprintf("No comparison: %d runs in %d lanes, not gated.", d.Runs, len(d.Lanes))}
		if len(d.Invalid) > 0 {
			v.Detail += fmt.Sprintf(" %d runs invalid and excluded.", len(d.Invalid))
		}
		return v
	}
	n := map[string]int{}
	for _, m := range c.Metrics {
		if m.Gated {
			n[m.Verdict]++
		}
	}
	v := VerdictInfo{Word: c.Verdict, Detail: fmt.Sprintf("%s vs %s: %d gated metrics, %d FAIL, %d INCONCLUSIVE, %d PASS (%d rounds, family α %g).",
		c.Candidate, c.Base, n[results.Fail]+n[results.Inconclusive]+n[results.Pass], n[results.Fail], n[results.Inconclusive], n[results.Pass], c.Rounds, c.Alpha)}
	if v.Word == "" {
		v.Word = results.Inconclusive
	}
	return v
}

//go:embed report.html.tmpl
var tmplFS embed.FS

var tmpl = template.Must(template.New("report.html.tmpl").Funcs(funcs).ParseFS(tmplFS, "report.html.tmpl"))

// mib formats bytes as MiB with one decimal, the unit of every memory
// figure on the page.
func mib(b float64) string { return fmt.Sprintf("%.1f", b/(1<<20)) }

// Render writes the page.
func Render(w io.Writer, p Page) error {
	if p.Digest == nil {
		p.Digest = digest.Build(nil)
	}
	return tmpl.Execute(w, newView(p))
}

var funcs = template.FuncMap{
	"ms":   ms,
	"num":  num,
	"pct":  func(v float64) string { return fmt.Sprintf("%+.1f%%", v*100) },
	"mib":  mib,
	"mibi": func(b int64) string { return mib(float64(b)) },
	// mibOpt: a figure older results or some platforms lack shows as "–", not 0
	"mibOpt": func(b int64) string {
		if b == 0 {
			return "–"
		}
		return mib(float64(b))
	},
	"pval":      func(p float64) string { return fmt.Sprintf("%.3g", p) },
	"lower":     strings.ToLower,
	"caseLabel": digest.CaseLabel,
	"onoff":     onoff,
	"addedText": func(c telemetrycost.Cell, unit string) string { return c.AddedText(unit) },
	"colTitle":  telemetrycost.Title,
	"png": func(b []byte) template.URL {
		// The bytes are our own PNG encoding: a data: URI is safe here.
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
	"cite":      Cite,
	"time":      stamp,
	"join":      strings.Join,
	"component": func(r *results.Result, role string) *results.Component { return r.Component(role) },
	"val": func(v float64, unit string) string {
		d, _ := digest.Display(v, unit)
		return ms(d)
	},
	"unit": func(unit string) string {
		_, u := digest.Display(0, unit)
		return u
	},
}

// Cite prints a source reference as text without its scheme, so the page
// names its sources but never links or loads anything outside itself.
func Cite(ref string) string {
	return strings.NewReplacer("https://", "", "http://", "").Replace(ref)
}

// ms prints milliseconds with three significant digits.
func ms(v float64) string { return digest.Sig3(v) }

func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return ms(v)
}

func onoff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
