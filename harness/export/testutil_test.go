package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// realResult is a result a local run of the mesh/both lane wrote, with
// three errors added (two 503s, one socket error) so error mapping is seen.
func realResult(t *testing.T) *results.Result {
	t.Helper()
	r, err := results.Read("testdata/mesh-both.json")
	require.NoError(t, err)
	require.NotEmpty(t, r.Histogram.Buckets)
	return r
}
