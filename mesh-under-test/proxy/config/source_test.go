package config

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// compilingApplier is the seam's fake: it compiles like the proxy does
// and remembers what it accepted.
type compilingApplier struct {
	mu       sync.Mutex
	c        *Compiler
	accepted []string
	rejected int
}

func (a *compilingApplier) Apply(_ context.Context, r xdsconfig.Resources) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.c.Compile(r); err != nil {
		a.rejected++
		return err
	}
	a.accepted = append(a.accepted, r.Version)
	return nil
}

func (a *compilingApplier) counts() (int, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.accepted), a.rejected
}

func TestPollSourceReloadsAndKeepsLastGoodOnBadFile(t *testing.T) {
	good, err := os.ReadFile("testdata/static.yaml")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "proxy.yaml")
	require.NoError(t, os.WriteFile(path, good, 0o600))
	a := &compilingApplier{c: NewCompiler()}
	src := &PollSource{Load: func() (xdsconfig.Resources, error) { return ParseFile(path) }, Files: []string{path},
		Interval: 10 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, a) }()
	require.Eventually(t, func() bool { n, _ := a.counts(); return n == 1 }, 5*time.Second, 5*time.Millisecond)

	write := func(b []byte) { // atomically: this test is not about half-written files
		time.Sleep(20 * time.Millisecond) // a distinct mtime
		tmp := path + ".tmp"
		require.NoError(t, os.WriteFile(tmp, b, 0o600))
		require.NoError(t, os.Rename(tmp, path))
	}
	write([]byte(strings.Replace(string(good), "reviews-v2, timeout", "nosuch, timeout", 1)))
	require.Eventually(t, func() bool { _, r := a.counts(); return r == 1 }, 5*time.Second, 5*time.Millisecond)
	n, _ := a.counts()
	assert.Equal(t, 1, n, "bad file not applied")
	write([]byte(strings.Replace(string(good), "timeout: 2s", "timeout: 3s", 1)))
	require.Eventually(t, func() bool { n, _ := a.counts(); return n == 2 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	assert.NoError(t, <-done)

	// a bad file at start is an error: a proxy must not start on it
	require.NoError(t, os.WriteFile(path, []byte("static_resources: {listeners: [{bogus: 1}]}"), 0o600))
	err = (&PollSource{Load: func() (xdsconfig.Resources, error) { return ParseFile(path) }, Log: slog.New(slog.DiscardHandler)}).
		Run(context.Background(), a)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		path := filepath.Join(dir, "proxy.yaml")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	good, err := os.ReadFile("testdata/static.yaml")
	require.NoError(t, err)

	r, err := ParseFile(write(string(good)))
	require.NoError(t, err)
	assert.Len(t, r.Listeners, 1)
	assert.NotEmpty(t, r.Clusters)
	assert.Equal(t, "outbound_8080", r.Listeners[0].GetName())
	assert.True(t, strings.HasPrefix(r.Version, "file@"), r.Version)
	_, err = NewCompiler().Compile(r)
	require.NoError(t, err, "the fixture compiles")

	camel, err := ParseFile(write(`{"staticResources": {"clusters": [{"name": "c", "connectTimeout": "1s"}]}}`))
	require.NoError(t, err)
	require.Len(t, camel.Clusters, 1)
	assert.Equal(t, "c", camel.Clusters[0].GetName())

	empty, err := ParseFile(write("static_resources:\n"))
	require.NoError(t, err)
	assert.Empty(t, empty.Listeners)

	for _, tc := range []struct{ name, body, want string }{
		{"another bootstrap section", "admin: {address: {}}\nstatic_resources: {}", `field "admin": meshproxy reads only static_resources`},
		{"unknown section", "static_resources: {routes: []}", `static_resources: unknown field "routes"`},
		{"unknown resource field", "static_resources: {listeners: [{name: a}, {bogus: 1}]}", "static_resources.listeners[1]"},
		{"not a list", "static_resources: {clusters: {name: c}}", "static_resources.clusters"},
		{"not an object", "- a\n- b", "the file"},
		{"twice", `{"static_resources": {}, "staticResources": {}}`, "given twice"},
		{"unknown typed_config", "static_resources: {listeners: [{name: a, filter_chains: [{filters: [{name: x, typed_config: {'@type': type.googleapis.com/no.Such}}]}]}]}", "static_resources.listeners[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(tc.body)
			_, err := ParseFile(path)
			require.ErrorIs(t, err, ErrInvalid)
			assert.ErrorContains(t, err, path, "names the file")
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
