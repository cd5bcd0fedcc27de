package html

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/published"
)

// TestEmojivotoBesidePublished: a report of the emojivoto scenario sets
// each rate beside Linkerd's and Istio's figures for emojivoto at it.
func TestEmojivotoBesidePublished(t *testing.T) {
	set, err := published.Default()
	require.NoError(t, err)
	var rs []*results.Result
	for _, lane := range []string{"none", "mesh"} {
		r := &results.Result{Scenario: "emojivoto", Lane: lane, Case: results.Case{QPS: 2000, Connections: 8}, Valid: true, Requests: 10,
			Latency: results.Percentiles{P50: 1, Max: 9}}
		if lane == "mesh" {
			r.Mode, r.Latency = "both", results.Percentiles{P50: 1.25, Max: 12}
		}
		rs = append(rs, r)
	}
	d := digest.Build(rs)
	var b bytes.Buffer
	require.NoError(t, Render(&b, Page{Title: "t", Digest: d, Verdict: Verdict(nil, d), Published: set}))
	html := b.String()
	assert.Contains(t, html, "emojivoto beside the figures published for it")
	assert.Contains(t, html, "linkerd adds 6 ms at p50 (linkerd-blog-2021-11)")
	assert.Regexp(t, `<td>2000</td><td>1(\.0+)?</td><td>1\.25</td><td>0\.250?</td><td>3(\.0+)?</td>`, html)

	b.Reset()
	rs[0].Scenario, rs[1].Scenario = "bookinfo", "bookinfo"
	d = digest.Build(rs)
	require.NoError(t, Render(&b, Page{Title: "t", Digest: d, Verdict: Verdict(nil, d), Published: set}))
	assert.NotContains(t, b.String(), "beside the figures published for it")
}
