package load

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"fortio.org/fortio/fgrpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/meshbench/meshbench/harness/results"
)

// appServer runs ServeApp for protocol on 127.0.0.1 and returns its target URL.
func appServer(t *testing.T, protocol string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeApp(ctx, ln, protocol) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return "http://" + ln.Addr().String() + "/echo"
}

// TestEveryProtocolAgainstItsApp drives each runner against the app the
// platforms start for that protocol: same engine, same schedule, same
// exact percentiles, whatever the protocol.
func TestEveryProtocolAgainstItsApp(t *testing.T) {
	catalog := slices.Clone(results.Protocols())
	slices.Sort(catalog)
	require.Equal(t, catalog, Protocols(), "one runner per protocol of the catalog")
	for _, proto := range Protocols() {
		t.Run(proto, func(t *testing.T) {
			url := appServer(t, proto)
			rep, err := Run(context.Background(), Options{URL: url, QPS: 200, Connections: 4, Duration: time.Second,
				PayloadBytes: 1024, Protocol: proto, Uniform: true})
			require.NoError(t, err)
			require.NotNil(t, rep.Schedule)
			assert.Equal(t, rep.Schedule.Slots, rep.Requests+rep.Schedule.NotSent, "every slot sent or charged")
			assert.Greater(t, rep.Requests, int64(50), "a quarter of the 200-slot schedule went out")
			assert.Zero(t, rep.Errors, "%v", rep.ErrorsByStatus)
			assert.Greater(t, rep.Latency.P50, 0.0)
			assert.LessOrEqual(t, rep.Latency.P50, rep.Latency.P99)
			require.NotNil(t, rep.Scheduled, "the intended-time view works for every protocol")
			assert.Equal(t, rep.Requests, rep.Histogram.Count)
		})
	}
}

// TestRunnersCountFailures: a target that is not there is an error per
// request (or a run error), never a latency of success.
func TestRunnersCountFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String() + "/echo"
	require.NoError(t, ln.Close())
	for _, proto := range []string{"grpc", "tcp", "http1"} {
		t.Run(proto, func(t *testing.T) {
			rep, err := Run(context.Background(), Options{URL: dead, QPS: 50, Connections: 1, Duration: 300 * time.Millisecond,
				Protocol: proto, Timeout: 200 * time.Millisecond})
			if err != nil {
				return // refusing to start is an honest outcome too
			}
			assert.Equal(t, rep.Requests, rep.Errors, "%v", rep.ErrorsByStatus)
			assert.NotEmpty(t, rep.ErrorsByStatus)
		})
	}
}

func TestHostPort(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:80/echo": "127.0.0.1:80", "tcp://[::1]:9": "[::1]:9", "127.0.0.1:5": "127.0.0.1:5",
	} {
		assert.Equal(t, want, hostPort(in), in)
	}
}

// hungPing is a Ping service that never answers.
type hungPing struct{}

func (hungPing) Ping(ctx context.Context, _ *fgrpc.PingMessage) (*fgrpc.PingMessage, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestGRPCRequestsAreBounded: a gRPC server that accepts calls and never
// answers makes every request a failure after the phase's timeout; the
// phase ends near its duration (fortio's runner waited without a bound).
func TestGRPCRequestsAreBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer()
	fgrpc.RegisterPingServerServer(s, hungPing{})
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)

	began := time.Now()
	rep, err := Run(context.Background(), Options{URL: "http://" + ln.Addr().String(), QPS: 20, Connections: 2,
		Duration: 300 * time.Millisecond, Protocol: "grpc", Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 5*time.Second, "the phase waited for answers that never came")
	require.Positive(t, rep.Requests)
	assert.Equal(t, rep.Requests, rep.Errors, "%v", rep.ErrorsByStatus)
	assert.Equal(t, map[string]int64{"grpc ERROR": rep.Errors}, rep.ErrorsByStatus)
}
