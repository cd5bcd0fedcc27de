package load

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// stallingServer answers at once, except that request number every+every/2,
// 2*every+every/2, ... (at most n of them) waits stall first: a system under
// test with rare, long hiccups.
func stallingServer(t *testing.T, every int64, n int64, stall time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var count, stalls atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if c := count.Add(1); c%every == every/2 && stalls.Add(1) <= n {
			time.Sleep(stall)
		}
		w.WriteHeader(http.StatusOK)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpsrv.Serve(ctx, ln, h) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String() + "/"
}

// The case: six single requests stall for 300 ms at 1000 qps over
// 16 connections. Wrk2's intended time puts every slot that fell due during
// a stall into the histogram, so the stalls reach the p99; the service time
// of the other requests stays low, and the run stays valid: the system under
// test was slow, the load client was not starved.
func TestStallShowsInIntendedTime(t *testing.T) {
	if testing.Short() {
		t.Skip("3 s of load")
	}
	url := stallingServer(t, 500, 6, 300*time.Millisecond)
	rep, err := Run(context.Background(), Options{URL: url, QPS: 1000, Connections: 16, Duration: 3 * time.Second, Uniform: true})
	require.NoError(t, err)
	require.NotNil(t, rep.Scheduled)
	require.NotNil(t, rep.Schedule)
	t.Logf("service %+v\nintended %+v\nschedule %+v", rep.Latency, *rep.Scheduled, *rep.Schedule)
	assert.GreaterOrEqual(t, rep.Scheduled.P99, 100.0, "intended-time p99 shows the stalls")
	assert.Less(t, rep.Latency.P99, 10.0, "service-time p99 of the other requests stays low")
	assert.GreaterOrEqual(t, rep.Latency.Max, 300.0, "the stalled requests themselves")
	// Each stall blocks one connection for ~19 of its 16 ms slots.
	assert.GreaterOrEqual(t, rep.Schedule.NotSent, int64(6*15))
	assert.GreaterOrEqual(t, rep.Schedule.NotSentWaitMs.Max, 250.0)
	assert.Equal(t, rep.Requests+rep.Schedule.NotSent, rep.Schedule.Slots)
	assert.InDelta(t, 3000, rep.Schedule.Slots, 60, "every slot of the schedule is counted")
	assert.False(t, rep.FellBehind, "a slow system under test does not invalidate the run: %s", rep.StarvedReason)
}
