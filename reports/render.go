package reports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/html"
	"github.com/meshbench/meshbench/reports/markdown"
	"github.com/meshbench/meshbench/reports/plots"
	"github.com/meshbench/meshbench/reports/published"
)

// History is the trend of metrics over main-branch results with their
// change points; see digest.History for the JSON layout.
type History = digest.History

// Input is everything a report shows.
type Input struct {
	Title   string
	Results []*results.Result
	// ResultFiles are the paths the Results were read from; the report links
	// them relative to its own directory. When empty, Render writes a copy
	// of every result under outDir/raw/ and links those instead.
	ResultFiles []string
	Comparison  *results.Comparison // optional
	// ComparisonFile is where Comparison was read from, for a link; optional.
	ComparisonFile string
	History        *History       // optional
	Published      *published.Set // optional; published.Default() loads the embedded figures
	// Now stamps the report; zero means time.Now(). Tests fix it.
	Now time.Time
}

// Output lists what Render wrote.
type Output struct {
	HTML      string   // outDir/report.html
	Markdown  string   // outDir/summary.md
	PNGs      []string // outDir/*.png, one per plot drawn
	Omitted   []string // plots not drawn, each with the reason
	RawFiles  []string // copies written under outDir/raw/, if any
	Verdict   string   // the banner's verdict
	Generated time.Time
}

// Render writes report.html, summary.md and the PNGs into outDir (created
// if needed). Cancelling ctx stops it between plots.
func Render(ctx context.Context, in Input, outDir string) (Output, error) {
	out := Output{Generated: in.Now}
	if out.Generated.IsZero() {
		out.Generated = time.Now().UTC()
	}
	if len(in.Results) == 0 && in.Comparison == nil && in.History == nil {
		return out, fmt.Errorf("report: nothing to render: no results, comparison or history")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return out, fmt.Errorf("report: %w", err)
	}
	d := digest.Build(in.Results)
	if c := in.Comparison; c != nil {
		// A gate's report may carry only the comparison: it still names its
		// scenario and the machine both sides ran on.
		if len(d.Scenarios) == 0 && c.Scenario != "" {
			d.Scenarios = []string{c.Scenario}
		}
		if len(d.Environments) == 0 && c.Environment.CPUModel != "" {
			d.Environments = []results.Environment{c.Environment}
		}
	}
	title := in.Title
	if title == "" {
		title = defaultTitle(d)
	}

	figs, omitted, err := plots.All(ctx, plots.Data{Digest: d, Comparison: in.Comparison, History: in.History, Published: in.Published})
	if err != nil {
		return out, fmt.Errorf("report: plots: %w", err)
	}
	for _, f := range figs {
		p := filepath.Join(outDir, f.Name+".png")
		if err := results.WriteFileAtomic(p, f.PNG); err != nil {
			return out, fmt.Errorf("report: %w", err)
		}
		out.PNGs = append(out.PNGs, p)
	}
	for _, o := range omitted {
		out.Omitted = append(out.Omitted, o.Title+": "+o.Reason)
	}

	links, raw, err := rawLinks(in, outDir)
	if err != nil {
		return out, fmt.Errorf("report: %w", err)
	}
	out.RawFiles = raw
	verdict := html.Verdict(in.Comparison, d)
	out.Verdict = verdict.Word

	page := html.Page{Title: title, Generated: out.Generated, Verdict: verdict, Digest: d, Comparison: in.Comparison,
		History: in.History, Published: in.Published, Figures: figs, Omitted: omitted, Raw: links}
	var hb bytes.Buffer
	if err := html.Render(&hb, page); err != nil {
		return out, fmt.Errorf("report: html: %w", err)
	}
	out.HTML = filepath.Join(outDir, "report.html")
	if err := results.WriteFileAtomic(out.HTML, hb.Bytes()); err != nil {
		return out, fmt.Errorf("report: %w", err)
	}

	var mb bytes.Buffer
	if err := markdown.Render(&mb, markdown.Input{Title: title, Generated: out.Generated, Verdict: verdict.Word,
		VerdictDetail: verdict.Detail, Digest: d, Comparison: in.Comparison, History: in.History,
		Published: in.Published, Omitted: out.Omitted}); err != nil {
		return out, fmt.Errorf("report: markdown: %w", err)
	}
	out.Markdown = filepath.Join(outDir, "summary.md")
	if err := results.WriteFileAtomic(out.Markdown, mb.Bytes()); err != nil {
		return out, fmt.Errorf("report: %w", err)
	}
	return out, nil
}

func defaultTitle(d *digest.Digest) string {
	if len(d.Scenarios) == 1 {
		return "meshbench report: " + d.Scenarios[0]
	}
	return "meshbench report"
}

// rawLinks returns links to the raw JSON relative to outDir, writing copies
// of the results when their files are unknown.
func rawLinks(in Input, outDir string) ([]html.Link, []string, error) {
	var links []html.Link
	var written []string
	rel := func(p string) string {
		abs, err1 := filepath.Abs(p)
		base, err2 := filepath.Abs(outDir)
		if err1 == nil && err2 == nil {
			if r, err := filepath.Rel(base, abs); err == nil {
				return filepath.ToSlash(r)
			}
		}
		return filepath.ToSlash(p)
	}
	if len(in.ResultFiles) > 0 {
		for _, f := range in.ResultFiles {
			links = append(links, html.Link{Text: filepath.Base(f), Href: rel(f)})
		}
	} else {
		for _, r := range in.Results {
			p, err := results.Write(filepath.Join(outDir, "raw"), r)
			if err != nil {
				return nil, nil, err
			}
			written = append(written, p)
			links = append(links, html.Link{Text: filepath.Base(p), Href: rel(p)})
		}
	}
	if in.ComparisonFile != "" {
		links = append(links, html.Link{Text: filepath.Base(in.ComparisonFile) + " (comparison)", Href: rel(in.ComparisonFile)})
	}
	return links, written, nil
}
