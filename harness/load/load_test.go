package load

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeEcho(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String() + "/echo"
}

func TestRunFixedQPS(t *testing.T) {
	url := echoServer(t)
	for _, proto := range []string{"http1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			rep, err := Run(context.Background(), Options{URL: url, QPS: 200, Connections: 4, Duration: time.Second, PayloadBytes: 1024, Protocol: proto, Uniform: true})
			require.NoError(t, err)
			// Every slot of the 1 s schedule is accounted for: sent, or
			// charged as not sent. How many went out depends on how busy the
			// machine is; the accounting does not.
			require.NotNil(t, rep.Schedule)
			// A starved client may not reach the schedule's last slots
			// before the duration ends (fortio stops there); never more.
			assert.LessOrEqual(t, rep.Schedule.Slots, int64(202))
			assert.Equal(t, rep.Schedule.Slots, rep.Requests+rep.Schedule.NotSent)
			assert.Greater(t, rep.Requests, int64(50), "a quarter of the schedule went out")
			assert.LessOrEqual(t, rep.AchievedQPS, 200*1.05, "open loop never exceeds the rate")
			assert.Zero(t, rep.Errors)
			l := rep.Latency
			assert.Greater(t, l.P50, 0.0)
			for _, pair := range [][2]float64{{l.P50, l.P75}, {l.P75, l.P90}, {l.P90, l.P99}, {l.P99, l.P999}, {l.P999, l.Max}} {
				assert.LessOrEqual(t, pair[0], pair[1])
			}
			require.NotNil(t, rep.Scheduled)
			// Latency from the scheduled start can only be longer.
			assert.GreaterOrEqual(t, rep.Scheduled.Max, l.Max*0.999)
			assert.Equal(t, rep.Requests, rep.Histogram.Count)
		})
	}
}

func TestRunCountsErrorsByStatus(t *testing.T) {
	url := echoServer(t) + "?status=503"
	rep, err := Run(context.Background(), Options{URL: url, QPS: 100, Connections: 2, Duration: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, rep.Requests, rep.Errors)
	assert.Equal(t, rep.Requests, rep.ErrorsByStatus["503"])
}

func TestServerAndClient(t *testing.T) {
	url := echoServer(t)
	srv := httptest.NewServer(NewServer(slog.New(slog.DiscardHandler)).Handler())
	defer srv.Close()
	c := &Client{Base: srv.URL}
	rep, err := c.Run(context.Background(), Options{URL: url, QPS: 100, Connections: 2, Duration: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.Greater(t, rep.Requests, int64(40))
	_, err = c.Run(context.Background(), Options{URL: url, QPS: 100, Duration: time.Second, Protocol: "quic"})
	assert.ErrorContains(t, err, `protocol "quic" not supported`)
}

func TestOptionsNormalize(t *testing.T) {
	tests := []struct {
		o       Options
		wantErr string
	}{
		{Options{QPS: 0, Duration: time.Second}, "qps"},
		{Options{QPS: 10}, "duration"},
		{Options{QPS: -1, Duration: time.Hour}, "exceeds"},
		{Options{QPS: -1, Duration: time.Second}, ""},
	}
	for _, tc := range tests {
		err := tc.o.Normalize()
		if tc.wantErr == "" {
			require.NoError(t, err)
			assert.Equal(t, DefaultResolution, tc.o.Resolution)
			continue
		}
		assert.ErrorContains(t, err, tc.wantErr)
	}
}

func TestRunMaxQPS(t *testing.T) {
	url := echoServer(t)
	rep, err := Run(context.Background(), Options{URL: url, QPS: -1, Connections: 2, Duration: 300 * time.Millisecond})
	require.NoError(t, err)
	assert.Greater(t, rep.Requests, int64(100), "as fast as possible is much faster than fortio's default 8 qps")
	assert.Nil(t, rep.Scheduled, "no schedule in max-QPS mode")
	assert.False(t, rep.FellBehind)
}
