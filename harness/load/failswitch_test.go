package load

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFailSwitch: the echo app behind a switch answers the status it is
// told to fail with, over a real socket, and echoes again once healed.
func TestFailSwitch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sw FailSwitch
	go func() { _ = ServeSwitchedEcho(ctx, ln, &sw) }()
	get := func() int {
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get("http://" + ln.Addr().String() + "/echo")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		name string
		do   func()
		want int
	}{
		{"serves", func() {}, 200},
		{"failing", func() { sw.Fail(503) }, 503},
		{"another status", func() { sw.Fail(500) }, 500},
		{"healed", sw.Heal, 200},
	}
	for _, s := range steps {
		s.do()
		assert.Equal(t, s.want, get(), s.name)
	}
}
