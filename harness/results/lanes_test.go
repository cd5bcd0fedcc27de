package results

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLaneLabel(t *testing.T) {
	tests := []struct {
		label, lane, mode, err string
	}{
		{label: "none", lane: "none"},
		{label: "mesh", lane: "mesh", mode: "both"},
		{label: "mesh/clientonly", lane: "mesh", mode: "clientonly"},
		{label: "mesh/ingress", lane: "mesh", mode: "ingress"},
		{label: "mesh/ingress+both", lane: "mesh", mode: "ingress+both"},
		{label: "nginx", lane: "nginx"},
		{label: "nginx/ingress", lane: "nginx", mode: "ingress"},
		{label: "haproxy/ingress+both", lane: "haproxy", mode: "ingress+both"},
		{label: "istio", lane: "istio", mode: "both"},
		{label: "istio/serveronly", lane: "istio", mode: "serveronly"},
		{label: "istio/ingress", err: `unknown lane "istio/ingress"`},
		{label: "linkerd", lane: "linkerd"},
		{label: "linkerd/clientonly", err: `unknown lane "linkerd/clientonly"`},
		{label: "nginx/both", err: `unknown lane "nginx/both"`},
		{label: "haproxy/clientonly", err: `unknown lane "haproxy/clientonly"`},
		{label: "httputil/ingress", err: `unknown lane "httputil/ingress"`},
		{label: "mesh/sideways", err: `unknown lane "mesh/sideways"`},
		{label: "envoy", err: `unknown lane "envoy" (known: none, mesh, mesh/both, mesh/clientonly, mesh/serveronly, mesh/ingress, mesh/ingress+both, haproxy, haproxy/ingress, haproxy/ingress+both, nginx, nginx/ingress, nginx/ingress+both, httputil, istio, istio/both, istio/clientonly, istio/serveronly, linkerd)`},
	}
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			l, mode, err := ParseLaneLabel(tc.label)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.lane, l.Name)
			assert.Equal(t, tc.mode, mode)
			assert.Equal(t, tc.label, LaneLabel(SplitLaneLabel(tc.label)), "split and join round-trip")
		})
	}
}

func TestLaneUnsupportedCases(t *testing.T) {
	h1 := Case{Protocol: "http1"}
	h2 := Case{Protocol: "h2"}
	h1mtls := Case{Protocol: "http1", MTLS: true}
	tests := []struct {
		label string
		c     Case
		want  string // substring of the reason; "" when supported
	}{
		{"nginx", h1, ""},
		{"nginx", h1mtls, ""},
		{"nginx", h2, "cannot carry h2"},
		{"haproxy", h2, ""},
		{"haproxy", Case{Protocol: "tcp"}, ""},
		{"haproxy/ingress", h1mtls, ""},
		{"haproxy/ingress+both", h2, ""},
		{"haproxy/ingress", Case{Protocol: "grpc", MTLS: true}, ""},
		{"haproxy/ingress", Case{Protocol: "tcp"}, "do not run tcp"},
		{"haproxy/ingress+both", Case{Protocol: "tcp"}, "do not run tcp"},
		{"nginx/ingress", h1mtls, ""},
		{"nginx/ingress+both", h1, ""},
		{"nginx/ingress", h2, "cannot carry h2"},
		{"nginx/ingress+both", Case{Protocol: "tcp"}, "stream module"},
		{"httputil", h2, ""},
		{"mesh/both", h1mtls, ""},
		{"mesh/clientonly", h1mtls, "mTLS needs both sidecars"},
		{"mesh/serveronly", h1, ""},
		{"mesh/ingress", h1mtls, ""},
		{"mesh/ingress+both", h1mtls, ""},
		{"mesh/ingress", h2, ""},
		{"mesh/ingress", Case{Protocol: "tcp"}, "opaque TCP through it is not implemented"},
		{"mesh/ingress+both", Case{Protocol: "tcp"}, "opaque TCP"},
		{"none", h2, ""},
		{"istio", h1mtls, ""},
		{"istio/clientonly", h1mtls, "mTLS needs both sidecars"},
		{"istio/serveronly", h1, ""},
		{"linkerd", h1mtls, ""},
		{"linkerd", h1, "has no switch to turn it off"},
	}
	for _, tc := range tests {
		t.Run(tc.label+"-"+tc.c.Protocol, func(t *testing.T) {
			l, mode, err := ParseLaneLabel(tc.label)
			require.NoError(t, err)
			got := l.Unsupported(mode, tc.c)
			if tc.want == "" {
				assert.Empty(t, got)
			} else {
				assert.Contains(t, got, tc.want)
			}
		})
	}
}

// TestEveryLaneHasAnIngressFormOrSaysWhyNot: Istio's benchmark has an
// ingress mode; every proxy lane either offers one or states the reason.
func TestEveryLaneHasAnIngressFormOrSaysWhyNot(t *testing.T) {
	for _, l := range Lanes() {
		if l.Name == LaneNone {
			assert.Empty(t, l.NoIngress)
			continue
		}
		ingress := false
		for _, m := range l.Modes {
			ingress = ingress || IsIngressMode(m)
		}
		assert.True(t, ingress != (l.NoIngress != ""), "lane %s: an ingress mode or a NoIngress reason, not both", l.Name)
	}
}

// TestReferenceLanesIngressForms: HAProxy and nginx have both ingress modes,
// their bare names stay the sidecar (both) form with no mode, so results
// stored before the modes existed keep their labels; httputil still says why
// it has none.
func TestReferenceLanesIngressForms(t *testing.T) {
	for _, name := range []string{LaneHAProxy, LaneNginx} {
		l, ok := LookupLane(name)
		require.True(t, ok, name)
		assert.Equal(t, []string{ModeIngress, ModeIngressBoth}, l.Modes, name)
		assert.Empty(t, l.DefaultMode, name)
		assert.Empty(t, l.NoIngress, name)
		label, err := CanonicalLaneLabel(name)
		require.NoError(t, err)
		assert.Equal(t, name, label, "the bare name is the sidecar form's label")
		assert.Equal(t, name, (&Result{Lane: name}).LaneLabel())
	}
	l, _ := LookupLane(LaneHTTPUtil)
	assert.Empty(t, l.Modes)
	assert.Contains(t, l.NoIngress, "no TLS termination by SNI")
}
