package server

import (
	"context"
	"log/slog"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"google.golang.org/genproto/googleapis/rpc/status"

	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
)

const eds = translate.TypeEndpoint

func req(node, version, nonce string) *discoveryv3.DiscoveryRequest {
	r := &discoveryv3.DiscoveryRequest{TypeUrl: eds, VersionInfo: version, ResponseNonce: nonce}
	if node != "" {
		r.Node = &corev3.Node{Id: node}
	}
	return r
}

func TestConvergenceWaitsForEveryAffectedProxy(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry())
	tr := newTracker(slog.New(slog.DiscardHandler), m, time.Minute)
	// Streams 1 and 2 subscribe to EDS for proxies a and b; c never connects.
	_ = tr.onRequest(1, req("a", "", ""))
	_ = tr.onRequest(2, req("b", "", ""))
	assert.Equal(t, 2.0, value(m.ConnectedProxies))

	c := tr.newChange(time.Now().Add(-50 * time.Millisecond))
	for _, n := range []string{"a", "b", "c"} {
		tr.expect(c, n, map[string]uint64{eds: 3})
	}
	tr.seal(c)
	_ = tr.onRequest(1, req("", "r1-x-3", "n1"))
	assert.Equal(t, uint64(0), histCount(m), "b has not ACKed yet")
	_ = tr.onRequest(2, req("", "r1-x-2", "n2"))
	assert.Equal(t, uint64(0), histCount(m), "an older version does not count")
	_ = tr.onRequest(2, req("", "r1-x-4", "n3"))
	assert.Equal(t, uint64(1), histCount(m), "a newer version does")

	// A NACK is counted, and the proxy is recorded at the version it
	// rejected so the cache does not re-send it in a loop.
	tr.onResponse(context.Background(), 1, req("", "", ""), &discoveryv3.DiscoveryResponse{Nonce: "n9", VersionInfo: "r2-x-5", TypeUrl: eds})
	nack := req("", "r1-x-3", "n9")
	nack.ErrorDetail = &status.Status{Message: "bad"}
	_ = tr.onRequest(1, nack)
	assert.Equal(t, "r2-x-5", nack.VersionInfo)
	assert.Equal(t, 1.0, value(m.Nacks.WithLabelValues(eds)))
	assert.Equal(t, "r1-x-3", tr.acked("a", eds), "a still runs what it last accepted")

	// A proxy that disconnects is no longer waited for.
	c2 := tr.newChange(time.Now())
	tr.expect(c2, "a", map[string]uint64{eds: 9})
	tr.expect(c2, "b", map[string]uint64{eds: 9})
	tr.seal(c2)
	tr.onClosed(1, nil)
	_ = tr.onRequest(2, req("", "r3-x-9", "n4"))
	assert.Equal(t, uint64(2), histCount(m))
	assert.Equal(t, []string{"b"}, tr.connected())
}

func histCount(m *metrics.Metrics) uint64 {
	var out dto.Metric
	_ = m.Convergence.Write(&out)
	return out.GetHistogram().GetSampleCount()
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var out dto.Metric
	_ = c.Write(&out)
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.GetGauge().GetValue()
}

// TestRejectedChangeNeverConverges: a change a proxy NACKed is counted as
// rejected, and the ACK of a later change does not make it converge.
func TestRejectedChangeNeverConverges(t *testing.T) {
	for _, delta := range []bool{false, true} {
		m := metrics.New(prometheus.NewRegistry())
		tr := newTracker(slog.New(slog.DiscardHandler), m, time.Minute)
		send := func(nonce, version string) {
			if delta {
				tr.onDeltaResponse(1, &discoveryv3.DeltaDiscoveryRequest{TypeUrl: eds},
					&discoveryv3.DeltaDiscoveryResponse{Nonce: nonce, SystemVersionInfo: version, TypeUrl: eds})
				return
			}
			tr.onResponse(context.Background(), 1, req("", "", ""), &discoveryv3.DiscoveryResponse{Nonce: nonce, VersionInfo: version, TypeUrl: eds})
		}
		answer := func(version, nonce string, nack bool) {
			if delta {
				r := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: eds, ResponseNonce: nonce}
				if nack {
					r.ErrorDetail = &status.Status{Message: "bad"}
				}
				_ = tr.onDeltaRequest(1, r)
				return
			}
			r := req("", version, nonce)
			if nack {
				r.ErrorDetail = &status.Status{Message: "bad"}
			}
			_ = tr.onRequest(1, r)
		}
		if delta {
			_ = tr.onDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{TypeUrl: eds, Node: &corev3.Node{Id: "a"}})
		} else {
			_ = tr.onRequest(1, req("a", "", ""))
		}
		bad := tr.newChange(time.Now())
		tr.expect(bad, "a", map[string]uint64{eds: 5})
		tr.seal(bad)
		send("n5", "r1-x-5")
		answer("r1-x-4", "n5", true)
		assert.Equal(t, 1.0, value(m.ChangesRejected), "delta=%v", delta)

		good := tr.newChange(time.Now())
		tr.expect(good, "a", map[string]uint64{eds: 6})
		tr.seal(good)
		send("n6", "r1-x-6")
		answer("r1-x-6", "n6", false)
		assert.Equal(t, uint64(1), histCount(m), "only the good change converged (delta=%v)", delta)
		assert.Equal(t, 1.0, value(m.ChangesRejected))
	}
}
