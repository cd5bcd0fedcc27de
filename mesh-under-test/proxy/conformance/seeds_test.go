package conformance

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzSeeds are the seed corpora this suite gives the HTTP/1.1 fuzz
// targets: every case's request, every upstream script, every chunked
// body, as files under proxy/http1/testdata/fuzz (Go's corpus format).
func fuzzSeeds() map[string]string {
	seeds := map[string]string{}
	add := func(target, name, data string) {
		seeds[filepath.Join(target, name)] = "go test fuzz v1\n[]byte(" + strconv.Quote(data) + ")\n"
	}
	for _, tc := range cases() {
		add("FuzzRequestRead", tc.id, tc.req)
		if tc.up != "" {
			add("FuzzResponseRead", tc.id, tc.up)
		}
		if _, body, ok := strings.Cut(tc.req, "\r\n\r\n"); ok && strings.Contains(strings.ToLower(tc.req), "chunked") {
			add("FuzzCopyChunked", tc.id, body)
		}
	}
	return seeds
}

func http1Testdata(t *testing.T) string {
	return filepath.Join(filepath.Dir(securityDoc(t)), "..", "mesh-under-test", "proxy", "http1", "testdata", "fuzz")
}

// TestFuzzSeedsAreCurrent: the committed seed corpora are the suite's
// (regenerate with FUZZ_SEEDS_UPDATE=1).
func TestFuzzSeedsAreCurrent(t *testing.T) {
	dir := http1Testdata(t)
	for rel, want := range fuzzSeeds() {
		path := filepath.Join(dir, rel)
		if os.Getenv("FUZZ_SEEDS_UPDATE") == "1" {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		if assert.NoError(t, err, "run FUZZ_SEEDS_UPDATE=1 go test ./mesh-under-test/proxy/conformance/") {
			assert.Equal(t, want, string(got), path)
		}
	}
}
