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

	write := func(b []byte) {
		time.Sleep(20 * time.Millisecond) // a distinct mtime
		require.NoError(t, os.WriteFile(path, b, 0o600))
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
