package local

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/platform"
)

// A component that never turns ready is a failure naming it, what was
// awaited at which URL, the bound, and the last answer seen (the run's
// result carries this message); one that exits while awaited ends the wait
// with its exit status; a Ctrl-C ends the wait at once.
func TestWaitReadyFailures(t *testing.T) {
	unready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unready.Close()
	sleeper := func(t *testing.T, args ...string) *process {
		p, err := start(slog.New(slog.DiscardHandler), "app", "app", "/bin/sh", append([]string{"-c"}, args...), nil)
		require.NoError(t, err)
		t.Cleanup(func() { p.stop(time.Second) })
		return p
	}

	t.Run("never ready", func(t *testing.T) {
		p := sleeper(t, "sleep 30")
		err := waitReady(context.Background(), p, unready.URL+"/ready", 300*time.Millisecond)
		var ce *platform.ComponentError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "app", ce.Component)
		assert.Equal(t, "waiting for 200 OK from "+unready.URL+"/ready: not within 300ms; last seen: 503 Service Unavailable", ce.Err.Error())
	})
	t.Run("never accepts", func(t *testing.T) {
		p := sleeper(t, "sleep 30")
		addr := strings.TrimPrefix(unready.URL, "http://")
		unready.Close() // nothing listens there now
		err := waitReady(context.Background(), p, "tcp://"+addr, 200*time.Millisecond)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "app: waiting for a connection accepted at "+addr+": not within 200ms; last seen: dial tcp "+addr+": connect: connection refused")
	})
	t.Run("exits while awaited", func(t *testing.T) {
		p := sleeper(t, "echo bye; exit 3")
		err := waitReady(context.Background(), p, "tcp://127.0.0.1:1", 10*time.Second)
		var ce *platform.ComponentError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "exit status 3", ce.ExitStatus)
		assert.Contains(t, ce.LogTail, "bye")
	})
	t.Run("cancelled", func(t *testing.T) {
		p := sleeper(t, "sleep 30")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := waitReady(ctx, p, "tcp://127.0.0.1:1", time.Minute)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 10*time.Second, "the cancel, not the minute's bound, ended it")
	})
}
