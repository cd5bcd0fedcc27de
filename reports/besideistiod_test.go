package reports_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/reports"
)

// TestControlPlaneTableBesideIstiod renders the results of a real
// beside-istiod run (testdata/beside-istiod: meshcontrol and istiod, the
// same 20 services x 10 proxies and churn, from `meshbench run` on a loaded
// machine: a rendering fixture, not a measurement): the control-plane table
// has one row per control plane, side by side, with its own numbers.
func TestControlPlaneTableBesideIstiod(t *testing.T) {
	rs, files, err := reports.ReadResults("testdata/beside-istiod")
	require.NoError(t, err)
	require.Len(t, rs, 2)
	out, err := reports.Render(context.Background(), reports.Input{Results: rs, ResultFiles: files}, t.TempDir())
	require.NoError(t, err)
	page, err := os.ReadFile(out.HTML)
	require.NoError(t, err)
	html := string(page)
	start := strings.Index(html, `<section id="control-plane">`)
	require.GreaterOrEqual(t, start, 0, "the report has a control-plane table")
	section := html[start : start+strings.Index(html[start:], "</section>")]
	rows := strings.Split(section, "<tr>")
	for _, r := range rs {
		cp := r.ControlPlane
		require.NotNil(t, cp)
		var row string
		for _, x := range rows {
			if strings.HasPrefix(x, `<td class="l">`+cp.Name+`</td>`) {
				row = x
			}
		}
		require.NotEmpty(t, row, "a row for %s", cp.Name)
		for _, want := range []string{fmt.Sprintf("<td>%d</td><td>%d</td>", cp.Pushes, cp.BytesPushed), "<td>yes</td>"} {
			assert.Contains(t, row, want, cp.Name)
		}
	}
}
