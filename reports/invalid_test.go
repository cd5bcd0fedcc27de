package reports_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/summary"
	"github.com/meshbench/meshbench/reports"
)

// allInvalid is the local fixture with every httputil run invalid (as the
// nginx lane with h2 was: every request failed) and one mesh/both run of
// one case invalid.
func allInvalid(t *testing.T) reports.Input {
	t.Helper()
	in := fixture(t, "local")
	in.ResultFiles = nil // the runs differ from the files now
	partly := false
	for _, r := range in.Results {
		switch {
		case r.Lane == "httputil":
			r.Valid, r.InvalidReasons = false, []string{"8000 errors in 8000 requests"}
		case r.Lane == "mesh" && r.Case.QPS == 250 && r.Case.Connections == 4 && !partly:
			r.Valid, r.InvalidReasons, partly = false, []string{"load generator fell behind: 200 of 250 qps"}, true
		}
	}
	require.True(t, partly)
	return in
}

// section cuts one <section id=...> out of the page.
func section(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<section id="`+id+`">`)
	require.NotEqual(t, -1, start, "no section %s", id)
	end := strings.Index(page[start:], "</section>")
	require.NotEqual(t, -1, end)
	return page[start : start+end+len("</section>")]
}

// TestAllInvalidGroupShowsNoNumbers: the terminal summary, the Markdown
// and the HTML agree: a lane and case without a valid run shows its run
// count and why, no numbers, and no overhead; a partly invalid group shows
// the medians of its valid runs and its invalid count.
func TestAllInvalidGroupShowsNoNumbers(t *testing.T) {
	in := allInvalid(t)
	out, err := reports.Render(context.Background(), in, t.TempDir())
	require.NoError(t, err)
	md, err := os.ReadFile(out.Markdown)
	require.NoError(t, err)
	page, err := os.ReadFile(out.HTML)
	require.NoError(t, err)
	var term bytes.Buffer
	summary.Print(&term, in.Results)

	digits := regexp.MustCompile(`[0-9]`)
	t.Run("terminal", func(t *testing.T) {
		rows := 0
		for _, line := range strings.Split(term.String(), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || f[0] != "httputil" {
				continue
			}
			rows++
			if strings.Contains(line, "invalid:") { // the why, under the table
				assert.Contains(t, line, "2 invalid: 8000 errors in 8000 requests")
				continue
			}
			assert.Contains(t, line, " 0 (+2 invalid)")
			after := line[strings.Index(line, "invalid)")+len("invalid)"):]
			assert.False(t, digits.MatchString(after), "numbers for a lane without a valid run: %q", line)
		}
		assert.Equal(t, 8, rows, "4 table rows and 4 reasons:\n%s", term.String())
		assert.Contains(t, term.String(), "1 (+1 invalid)")
		added := term.String()[strings.Index(term.String(), "latency added over none"):]
		assert.NotContains(t, added, "httputil")
		assert.Contains(t, added, "mesh/both")
		golden(t, "summary-all-invalid.txt", term.Bytes())
	})
	t.Run("markdown", func(t *testing.T) {
		s := string(md)
		assert.Equal(t, 4, strings.Count(s, "| httputil | 0 (+2 invalid) | no valid run: 8000 errors in 8000 requests | — | — | — | — |"), s)
		assert.Contains(t, s, "| mesh/both | 1 (+1 invalid) |")
		ovh := s[strings.Index(s, "### Overhead"):strings.Index(s, "<details><summary>Latency")]
		assert.NotContains(t, ovh, "httputil")
		golden(t, "summary-all-invalid.md", md)
	})
	t.Run("html", func(t *testing.T) {
		lat := section(t, string(page), "latency")
		assert.Equal(t, 4, strings.Count(lat, `<td class="l">httputil</td><td>0 (+2 invalid)</td><td class="l" colspan="10">no valid run: 8000 errors in 8000 requests</td></tr>`), lat)
		assert.Contains(t, lat, "<td>1 (+1 invalid)</td>")
		ovh := section(t, string(page), "overhead")
		assert.NotContains(t, ovh, "httputil")
		assert.Contains(t, ovh, "mesh/both")
		golden(t, "report-all-invalid-latency.html", []byte(lat+"\n"+ovh+"\n"))
	})
}
