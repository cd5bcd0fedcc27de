package dataplane

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// TestDocsListTheRetryConditions keeps docs/proxy.md's retries row true:
// it lists exactly the catalog's retry_on values, in its order, and the
// body bounds it states are the code's.
func TestDocsListTheRetryConditions(t *testing.T) {
	b, err := os.ReadFile("../../../docs/proxy.md")
	require.NoError(t, err)
	doc := string(b)
	i := strings.Index(doc, "| retries on ")
	require.Positive(t, i, "docs/proxy.md has the retries row")
	row := doc[i:]
	row = row[:strings.Index(row, " (the last five")]
	var listed []string
	for _, m := range regexp.MustCompile("`([a-z0-9-]+)`").FindAllStringSubmatch(row, -1) {
		listed = append(listed, m[1])
	}
	var names []string
	for _, c := range resilience.RetryConditions {
		names = append(names, c.Name)
	}
	assert.Equal(t, names, listed)

	assert.Contains(t, doc, "at most 1 MiB, Envoy's default listener buffer limit")
	assert.Equal(t, 1<<20, resilience.DefaultBufferLimit)
	assert.Contains(t, doc, "keep their 64 KiB bound on a body sent with a length")
	assert.Equal(t, 64<<10, maxBufferedBody)
}
