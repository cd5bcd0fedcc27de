package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// TestAuthorizationByIdentityPathAndMethod: with strict mTLS, the server
// proxy allows a to GET anything and b to GET /public only.
func TestAuthorizationByIdentityPathAndMethod(t *testing.T) {
	m := newMesh(t, meshconfig.MTLSStrict, func(p *meshconfig.Policy) {
		p.Authorization = []meshconfig.Authorization{{Service: "web", Allow: []meshconfig.AuthzRule{
			{From: []string{idA}, Methods: []string{"GET"}},
			{From: []string{idB}, Paths: []string{"/public"}, Methods: []string{"GET"}},
		}}}
	})
	await(t, m.outA, "GET", "/private", 200)
	await(t, m.outB, "GET", "/public", 200)
	tests := []struct {
		name           string
		via            string
		method, target string
		want           int
	}{
		{"a may read private", m.outA, "GET", "/private", 200},
		{"a may not post", m.outA, "POST", "/private", 403},
		{"b may read public", m.outB, "GET", "/public/x", 200},
		{"b may not read private", m.outB, "GET", "/private", 403},
		{"b may not post public", m.outB, "POST", "/public", 403},
		{"b path trick", m.outB, "GET", "/public/../private", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := raw(tt.via, tt.method, tt.target)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	count := map[string]int{}
	for _, r := range m.app.seen() {
		count[r]++
	}
	assert.Equal(t, 2, count["GET /private"], "a's two reads of /private reached the app, b's did not")
	assert.Zero(t, count["POST /private"]+count["POST /public"], "denied methods never reach the app")
}

// TestIssueExamplePublicOnlyAndRateLimit is the case the issue found
// unenforced: allow paths [/public] and a 0.01 rps limit.
func TestIssueExamplePublicOnlyAndRateLimit(t *testing.T) {
	m := newMesh(t, meshconfig.MTLSPermissive, func(p *meshconfig.Policy) {
		p.Authorization = []meshconfig.Authorization{{Service: "web", Allow: []meshconfig.AuthzRule{{Paths: []string{"/public"}}}}}
		p.RateLimits = []meshconfig.RateLimit{{Service: "web", RequestsPerSecond: 0.01, Burst: 1}}
	})
	await(t, m.inbound, "GET", "/private", 403)
	got, err := raw(m.inbound, "GET", "/admin")
	require.NoError(t, err)
	assert.Equal(t, 403, got)
	ok, limited := 0, 0
	for range 4 {
		s, err := raw(m.inbound, "GET", "/public")
		require.NoError(t, err)
		switch s {
		case 200:
			ok++
		case 429:
			limited++
		}
	}
	assert.Equal(t, 1, ok, "a burst of 1 at 0.01 rps lets one request through")
	assert.Equal(t, 3, limited)
	for _, s := range m.app.seen() {
		assert.Equal(t, "GET /public", s, "only allowed, unlimited requests reach the app")
	}
}

// TestPathTricksDenied: under DENY /admin and ALLOW /public, every
// spelling of /admin the proxy normalises is refused, on the inbound
// listener directly (raw bytes, no client proxy in between).
func TestPathTricksDenied(t *testing.T) {
	m := newMesh(t, meshconfig.MTLSPermissive, func(p *meshconfig.Policy) {
		p.Authorization = []meshconfig.Authorization{
			{Service: "web", Deny: []meshconfig.AuthzRule{{Paths: []string{"/admin"}}}},
		}
	})
	await(t, m.inbound, "GET", "/admin", 403)
	for _, target := range []string{"/admin", "//admin", "/./admin", "/x/../admin", "/%61dmin", "/%2e/admin",
		"/%2E%2e/admin", "/x/%2e%2e/admin", "///admin/x", "/public/../admin"} {
		got, err := raw(m.inbound, "GET", target)
		require.NoError(t, err, target)
		assert.Equal(t, 403, got, "DENY /admin: %s", target)
	}
	got, err := raw(m.inbound, "GET", "/ok/./x")
	require.NoError(t, err)
	assert.Equal(t, 200, got)
	assert.Equal(t, []string{"GET /ok/x"}, m.app.seen()[len(m.app.seen())-1:], "the app receives the normalised path")

	m.write(meshconfig.MTLSPermissive, func(p *meshconfig.Policy) {
		p.Authorization = []meshconfig.Authorization{{Service: "web", Allow: []meshconfig.AuthzRule{{Paths: []string{"/public"}}}}}
	}, 2)
	await(t, m.inbound, "GET", "/other", 403)
	for _, target := range []string{"/public/../admin", "/public/%2e%2e/admin", "/public/..%2fadmin"} {
		got, err := raw(m.inbound, "GET", target)
		require.NoError(t, err, target)
		assert.NotEqual(t, 200, got, "ALLOW /public: %s", target)
	}
	for _, s := range m.app.seen() {
		assert.NotContains(t, s, "admin", "no spelling of /admin reached the app")
	}
}

// TestFaultInjection: the client proxy aborts and delays as the route
// rules say.
func TestFaultInjection(t *testing.T) {
	m := newMesh(t, meshconfig.MTLSDisable, func(p *meshconfig.Policy) {
		p.Routes = []meshconfig.ServiceRoutes{{Service: "web", Rules: []meshconfig.Rule{
			{Match: meshconfig.Match{PathPrefix: "/abort"}, Fault: &meshconfig.Fault{Abort: &meshconfig.FaultAbort{Percent: 100, Status: 418}}},
			{Match: meshconfig.Match{PathPrefix: "/slow"}, Fault: &meshconfig.Fault{Delay: &meshconfig.FaultDelay{Percent: 100, Duration: meshconfig.Duration(300 * time.Millisecond)}}},
		}}}
	})
	await(t, m.outA, "GET", "/abort", 418)
	t0 := time.Now()
	got, err := raw(m.outA, "GET", "/slow")
	require.NoError(t, err)
	assert.Equal(t, 200, got)
	assert.GreaterOrEqual(t, time.Since(t0), 300*time.Millisecond)
	got, err = raw(m.outA, "GET", "/fast")
	require.NoError(t, err)
	assert.Equal(t, 200, got)
	assert.NotContains(t, m.app.seen(), "GET /abort")
}

// TestUpgradeRefused: meshcontrol lists no upgrade types, so an Upgrade
// is refused by both proxies and never reaches the app.
func TestUpgradeRefused(t *testing.T) {
	m := newMesh(t, meshconfig.MTLSPermissive, nil)
	await(t, m.outA, "GET", "/", 200)
	for _, addr := range []string{m.outA, m.inbound} {
		got, err := raw(addr, "GET", "/ws", "Upgrade: websocket", "Connection: Upgrade")
		require.NoError(t, err)
		assert.Equal(t, 403, got)
	}
	assert.NotContains(t, m.app.seen(), "GET /ws")
}
