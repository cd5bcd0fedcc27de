package dataplane

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	faultcommon "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/assert"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// TestPerTryTimeoutStartsAfterFaultDelay: a held request's first attempt
// reuses the request's start time instead of reading the clock
// (serveOne), except when admission slept. A fault delay of 300 ms before
// an upstream that answers in 150 ms under a 400 ms per-try timeout must
// be one attempt that succeeds: with the start time, the attempt would
// have 100 ms left, time out and be retried (two upstream hits) or fail.
func TestPerTryTimeoutStartsAfterFaultDelay(t *testing.T) {
	var hits atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		hits.Add(1)
		time.Sleep(150 * time.Millisecond)
	}))
	t.Cleanup(slow.Close)
	r := withRetry(prefixRoute("/", "up"), "reset", 1)
	r.GetRoute().RetryPolicy.PerTryTimeout = durationpb.New(400 * time.Millisecond)
	r.TypedPerFilterConfig = map[string]*anypb.Any{"envoy.filters.http.fault": config.MustAny(&faultv3.HTTPFault{
		Delay: &faultcommon.FaultDelay{FaultDelaySecifier: &faultcommon.FaultDelay_FixedDelay{FixedDelay: durationpb.New(300 * time.Millisecond)},
			Percentage: &typev3.FractionalPercent{Numerator: 100}}})}
	_, pa := startProxy(t, oneRoute(t, r, []*hcmFilter{httpFilter("envoy.filters.http.fault", &faultv3.HTTPFault{})},
		staticCluster(t, "up", slow.Listener.Addr().String())))
	for range 2 { // the second on a kept-alive (held) connection
		assert.Equal(t, 200, get(t, "http://"+pa+"/", nil).StatusCode)
	}
	assert.Equal(t, int64(2), hits.Load(), "one attempt per request")
}
