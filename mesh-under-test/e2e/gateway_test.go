package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

const idIngress = "spiffe://cluster.local/ns/default/sa/ingress"

// gatewayMesh is meshcontrol, two services behind sidecars (web, shop)
// under strict mTLS, an ingress gateway in front of them and an egress
// gateway that lets the mesh reach one outside service (ext) and no other
// (forbidden).
type gatewayMesh struct {
	web, shop, ext, forbidden *app
	ingress, egress           string
	webInbound                string
	clientOut                 string            // a sidecar's outbound port bound to ext
	admin                     map[string]string // proxy id -> admin address
	roots                     *x509.CertPool
}

func startGatewayMesh(t *testing.T) *gatewayMesh {
	t.Helper()
	g := &gatewayMesh{web: startApp(t), shop: startApp(t), ext: startApp(t), forbidden: startApp(t), ingress: freeAddr(t), egress: freeAddr(t),
		clientOut: freeAddr(t), admin: map[string]string{}}
	dir := t.TempDir()
	ca, err := localca.New(time.Hour)
	require.NoError(t, err)
	g.roots = x509.NewCertPool()
	g.roots.AddCert(ca.Cert)
	certs := func(name string, hosts ...string) *meshconfig.GatewayTLS {
		c, k, err := ca.IssueServer(hosts, time.Hour)
		require.NoError(t, err)
		out := &meshconfig.GatewayTLS{CertFile: filepath.Join(dir, name+".pem"), KeyFile: filepath.Join(dir, name+"-key.pem")}
		require.NoError(t, os.WriteFile(out.CertFile, c, 0o600))
		require.NoError(t, os.WriteFile(out.KeyFile, k, 0o600))
		return out
	}
	webIn, shopIn := freeAddr(t), freeAddr(t)
	g.webInbound = webIn
	addr := func(a *app) string { return a.srv.Listener.Addr().String() }
	mc := &meshconfig.Mesh{Revision: 1,
		Services: []meshconfig.Service{
			{Name: "web", Endpoints: []meshconfig.Endpoint{{Address: webIn}}},
			{Name: "shop", Endpoints: []meshconfig.Endpoint{{Address: shopIn}}},
			{Name: "ext", Endpoints: []meshconfig.Endpoint{{Address: addr(g.ext)}}},
			{Name: "forbidden", Endpoints: []meshconfig.Endpoint{{Address: addr(g.forbidden)}}},
		},
		Proxies: []meshconfig.Proxy{
			{ID: "web", Service: "web", Inbound: &meshconfig.Inbound{Address: webIn, App: addr(g.web)}},
			{ID: "shop", Service: "shop", Inbound: &meshconfig.Inbound{Address: shopIn, App: addr(g.shop)}},
			{ID: "ingress", Gateway: &meshconfig.Gateway{Mode: meshconfig.GatewayIngress, Address: g.ingress,
				Servers: []meshconfig.GatewayServer{
					{Hosts: []string{"a.example.com"}, TLS: certs("a", "a.example.com")},
					{Hosts: []string{"*.b.example.com"}, TLS: certs("b", "*.b.example.com")},
					{Hosts: []string{"*"}},
				},
				Routes: []meshconfig.GatewayRoute{
					{Hosts: []string{"a.example.com"}, Match: meshconfig.Match{PathPrefix: "/shop"}, Service: "shop"},
					{Service: "web"},
				}}},
			{ID: "egress", Gateway: &meshconfig.Gateway{Mode: meshconfig.GatewayEgress, Address: g.egress, AllowedHosts: []string{"ext"}}},
			{ID: "client", Outbound: []meshconfig.Outbound{{Address: g.clientOut, Service: "ext"}}, Egress: []string{"ext"}},
		},
		Policy: meshconfig.Policy{MTLS: meshconfig.MTLSStrict, Authorization: []meshconfig.Authorization{{Service: "web",
			Deny:  []meshconfig.AuthzRule{{Paths: []string{"/admin"}}},
			Allow: []meshconfig.AuthzRule{{From: []string{idIngress}}}}}},
	}
	mc.Normalize()
	file := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, mc.WriteFile(file))
	listen, admin := freeAddr(t), freeAddr(t)
	start(t, "meshcontrol", "--mesh", file, "--listen", listen, "--admin", admin, "--bootstrap-token", token, "--debounce", "1ms")
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + admin + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}, 10*time.Second, 10*time.Millisecond, "meshcontrol admin up")
	for _, id := range []string{"web", "shop", "ingress", "egress", "client"} {
		g.admin[id] = freeAddr(t)
		start(t, "meshproxy", "--id", id, "--xds", listen, "--xds-token", token, "--admin", g.admin[id], "--log-level", "warn")
	}
	// Every proxy has its configuration (and, under strict mTLS, its
	// certificate) before a test sends: a gateway ready before the shop
	// sidecar answered 503 for /shop/cart on a loaded machine.
	require.Eventually(t, func() bool {
		for _, admin := range g.admin {
			if !ready(admin) {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "every proxy of the gateway mesh ready")
	return g
}

// viaTLS sends one HTTP/1.1 request over TLS with the given SNI and Host,
// and returns the status and the names on the certificate the gateway
// presented.
func (g *gatewayMesh) viaTLS(sni, host, target string) (int, []string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", g.ingress,
		&tls.Config{ServerName: sni, RootCAs: g.roots, NextProtos: []string{"http/1.1"}})
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	names := c.ConnectionState().PeerCertificates[0].DNSNames
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host); err != nil {
		return 0, names, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, names, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, names, nil
}

// hostRaw sends a plaintext request with a Host header.
func hostRaw(addr, host, target string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestIngressGateway: meshcontrol configures meshproxy as an ingress
// gateway; over real sockets, SNI picks each server's certificate, host
// and path pick the service, the sidecars behind accept the gateway only
// over mTLS (strict: a plaintext call to a sidecar fails) with its
// identity (web allows only the gateway), and the sidecar's policy holds
// for requests through the gateway, path tricks included.
func TestIngressGateway(t *testing.T) {
	g := startGatewayMesh(t)
	require.Eventually(t, func() bool {
		s, _, err := g.viaTLS("a.example.com", "a.example.com", "/ready")
		s2, _, err2 := g.viaTLS("a.example.com", "a.example.com", "/shop/ready")
		return err == nil && s == 200 && err2 == nil && s2 == 200
	}, 20*time.Second, 50*time.Millisecond, "ingress gateway serving both routes")

	t.Run("SNI picks the certificate", func(t *testing.T) {
		for _, tt := range []struct{ sni, want string }{
			{"a.example.com", "a.example.com"},
			{"x.b.example.com", "*.b.example.com"},
			{"A.EXAMPLE.COM", "a.example.com"},
		} {
			_, names, err := g.viaTLS(tt.sni, "a.example.com", "/")
			require.NoError(t, err, tt.sni)
			assert.Equal(t, []string{tt.want}, names, "certificate for SNI %s", tt.sni)
		}
		_, _, err := g.viaTLS("c.example.com", "c.example.com", "/")
		assert.Error(t, err, "no server names c.example.com: the handshake is refused")
		_, _, err = g.viaTLS("b.example.com", "b.example.com", "/")
		assert.Error(t, err, "*.b.example.com does not cover b.example.com")
	})

	t.Run("host and path route into the mesh", func(t *testing.T) {
		for _, tt := range []struct {
			sni, host, target string
			want              *app
		}{
			{"a.example.com", "a.example.com", "/shop/cart", g.shop},
			{"a.example.com", "a.example.com", "/home", g.web},
			{"x.b.example.com", "x.b.example.com", "/shop/cart", g.web}, // the /shop route is a.example.com's only
		} {
			before := len(tt.want.seen())
			s, _, err := g.viaTLS(tt.sni, tt.host, tt.target)
			require.NoError(t, err)
			require.Equal(t, 200, s, "%s %s", tt.host, tt.target)
			seen := tt.want.seen()
			require.Len(t, seen, before+1, "%s %s reached the expected app", tt.host, tt.target)
			assert.Equal(t, "GET "+tt.target, seen[before])
		}
		s, err := hostRaw(g.ingress, "anything", "/plain")
		require.NoError(t, err)
		assert.Equal(t, 200, s, "the plaintext server takes any host")
	})

	t.Run("mTLS and policy of the sidecar behind", func(t *testing.T) {
		_, err := hostRaw(g.webInbound, "web", "/home")
		assert.Error(t, err, "strict mTLS: web's sidecar refuses a plaintext caller, so the gateway's 200s came over mTLS")
		for _, target := range []string{"/admin", "//admin", "/x/../admin", "/%61dmin"} {
			s, _, err := g.viaTLS("a.example.com", "a.example.com", target)
			require.NoError(t, err)
			assert.Equal(t, 403, s, "web denies %s, through the gateway too", target)
		}
		for _, s := range g.web.seen() {
			assert.NotContains(t, s, "admin")
		}
	})
}

// TestEgressGateway: the egress gateway forwards to the services it
// allows and answers 403 for every other host, which never sees the
// request.
func TestEgressGateway(t *testing.T) {
	g := startGatewayMesh(t)
	require.Eventually(t, func() bool {
		s, err := hostRaw(g.egress, "ext", "/")
		return err == nil && s == 200
	}, 20*time.Second, 50*time.Millisecond, "egress gateway serving")
	for _, tt := range []struct {
		host string
		want int
	}{
		{"ext", 200},
		{"ext.default.svc.cluster.local", 200},
		{"forbidden", 403},
		{"forbidden.default.svc.cluster.local", 403},
		{"web", 403},
		{"example.org", 403},
	} {
		s, err := hostRaw(g.egress, tt.host, "/out")
		require.NoError(t, err, tt.host)
		assert.Equal(t, tt.want, s, "Host %s", tt.host)
	}
	assert.Empty(t, g.forbidden.seen(), "a denied destination never sees the request")
	assert.Empty(t, g.web.seen())

	// The one way out: a sidecar calling ext reaches it through the gateway.
	before := gatewayRequests(t, g.admin["egress"])
	s, err := hostRaw(g.clientOut, "ext", "/via-sidecar")
	require.NoError(t, err)
	assert.Equal(t, 200, s)
	assert.Contains(t, g.ext.seen(), "GET /via-sidecar")
	// The proxy counts a request after its response is written.
	assert.Eventually(t, func() bool { return gatewayRequests(t, g.admin["egress"]) == before+1 }, 5*time.Second, 20*time.Millisecond,
		"the sidecar's request went through the egress gateway")
}

// gatewayRequests sums meshproxy_requests_total of a proxy's listeners
// (its /metrics).
func gatewayRequests(t *testing.T, admin string) int {
	t.Helper()
	return int(counterSum(t, admin, "meshproxy_requests_total", nil))
}

// counterSum sums a proxy's counter family name over the series whose
// labels include every pair of want (its /metrics).
func counterSum(t *testing.T, admin, name string, want map[string]string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	n := 0.0
	for _, m := range fams[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range want {
			ok = ok && got[k] == v
		}
		if ok {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}
