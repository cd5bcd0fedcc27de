package dataplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

const (
	clientID = "spiffe://cluster.local/ns/default/sa/client"
	serverID = "spiffe://cluster.local/ns/default/sa/server"
)

type certFiles struct{ cert, key, ca string }

func writeCerts(t testing.TB, ca *localca.CA, dir, id string) certFiles {
	t.Helper()
	c, k, err := ca.Issue(id, time.Hour)
	require.NoError(t, err)
	f := certFiles{filepath.Join(dir, id[strings.LastIndex(id, "/")+1:]+".crt"), filepath.Join(dir, id[strings.LastIndex(id, "/")+1:]+".key"),
		filepath.Join(dir, "ca.crt")}
	// write key first, cert last: the poller reloads on the cert's change
	require.NoError(t, os.WriteFile(f.key+".tmp", k, 0o600))
	require.NoError(t, os.Rename(f.key+".tmp", f.key))
	require.NoError(t, os.WriteFile(f.ca, ca.PEM, 0o600))
	require.NoError(t, os.WriteFile(f.cert+".tmp", c, 0o600))
	require.NoError(t, os.Rename(f.cert+".tmp", f.cert))
	return f
}

// runStatic runs a proxy from static resources through a PollSource, as
// meshproxy does, and returns it once ready.
func runStatic(t *testing.T, load func() (xdsconfig.Resources, error)) *Proxy {
	t.Helper()
	p := New(Options{ID: "test", Log: slog.New(slog.DiscardHandler), H2XNet: testH2XNet})
	ctx, cancel := context.WithCancel(context.Background())
	src := &config.PollSource{Load: load, Interval: 20 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
	go func() { _ = src.Run(ctx, p) }()
	t.Cleanup(func() {
		cancel()
		sctx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer c2()
		_ = p.Shutdown(sctx)
	})
	require.Eventually(t, p.Ready, 5*time.Second, time.Millisecond)
	return p
}

// meshPair starts app <- server proxy (inbound, mTLS mode) <- client proxy
// (outbound, originating mTLS) and returns the client proxy's and server
// proxy's addresses.
func meshPair(t *testing.T, mode string) (clientAddr, serverAddr string, ca *localca.CA, dir string) {
	app, _ := echoServer(t)
	return meshPairTo(t, mode, app.Listener.Addr().String())
}

func meshPairTo(t *testing.T, mode, appAddr string) (clientAddr, serverAddr string, ca *localca.CA, dir string) {
	ca, err := localca.New(24 * time.Hour)
	require.NoError(t, err)
	dir = t.TempDir()
	cf := writeCerts(t, ca, dir, clientID)
	sf := writeCerts(t, ca, dir, serverID)
	inAddr := "127.0.0.1:" + freePort(t)
	sp := runStatic(t, func() (xdsconfig.Resources, error) {
		return config.Static(nil, []config.Mapping{{Listen: inAddr, Upstream: appAddr}},
			&config.StaticTLS{CertFile: sf.cert, KeyFile: sf.key, CAFile: sf.ca, Mode: mode})
	})
	_ = sp
	outAddr := "127.0.0.1:" + freePort(t)
	runStatic(t, func() (xdsconfig.Resources, error) {
		return config.Static([]config.Mapping{{Listen: outAddr, Upstream: inAddr}}, nil,
			&config.StaticTLS{CertFile: cf.cert, KeyFile: cf.key, CAFile: cf.ca})
	})
	return outAddr, inAddr, ca, dir
}

func TestMTLSBetweenSidecarsStrict(t *testing.T) {
	outAddr, inAddr, _, _ := meshPair(t, config.ModeStrict)
	resp := get(t, "http://"+outAddr+"/hello", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "/hello", resp.Header.Get("X-Path"))
	// strict: a plaintext client is refused
	_, err := http.Get("http://" + inAddr + "/")
	assert.Error(t, err)
}

func TestMTLSPermissiveAcceptsBoth(t *testing.T) {
	outAddr, inAddr, _, _ := meshPair(t, config.ModePermissive)
	assert.Equal(t, 200, get(t, "http://"+outAddr+"/m", nil).StatusCode)
	assert.Equal(t, 200, get(t, "http://"+inAddr+"/plain", nil).StatusCode)
}

func TestCertificateRotationWithoutDroppingRequests(t *testing.T) {
	outAddr, inAddr, ca, dir := meshPair(t, config.ModeStrict)
	serial := func() string {
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		c, err := tls.Dial("tcp", inAddr, &tls.Config{RootCAs: roots, ServerName: "localhost",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				cp, kp, err := ca.Issue(clientID, time.Hour)
				if err != nil {
					return nil, err
				}
				c, err := tls.X509KeyPair(cp, kp)
				return &c, err
			}})
		require.NoError(t, err)
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	var failures, ok atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("http://" + outAddr + "/r")
				if err != nil || resp.StatusCode != 200 {
					failures.Add(1)
				} else {
					ok.Add(1)
				}
				if resp != nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			}
		})
	}
	// Requests flow before and after the rotation: counted, not assumed
	// from a sleep (a loaded machine may carry only a few in 50 ms).
	require.Eventually(t, func() bool { return ok.Load()+failures.Load() >= 6 }, 10*time.Second, 5*time.Millisecond,
		"requests before the rotation")
	writeCerts(t, ca, dir, serverID) // rotate the server's certificate on disk
	require.Eventually(t, func() bool { return serial() != before }, 5*time.Second, 20*time.Millisecond)
	rotated := ok.Load() + failures.Load()
	require.Eventually(t, func() bool { return ok.Load()+failures.Load() >= rotated+6 }, 10*time.Second, 5*time.Millisecond,
		"requests after the rotation")
	close(stop)
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Greater(t, ok.Load(), int64(10))
}

// TestRBACBySpiffeIdentityPathAndMethod drives an inbound listener from xDS
// resources (SDS secrets, DownstreamTlsContext, RBAC filter) and calls it
// with different client identities.
func TestRBACBySpiffeIdentityPathAndMethod(t *testing.T) {
	ca, err := localca.New(24 * time.Hour)
	require.NoError(t, err)
	app, _ := echoServer(t)
	sc, sk, err := ca.Issue(serverID, time.Hour)
	require.NoError(t, err)
	secrets := []*tlsv3.Secret{
		{Name: "default", Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: sc}},
			PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: sk}}}}},
		{Name: "ROOTCA", Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: ca.PEM}}}}},
	}
	exact := func(s string) *matcherv3.StringMatcher {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
	}
	rbac := &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Action: rbacv3.RBAC_ALLOW, Policies: map[string]*rbacv3.Policy{
		"client-reads-public": {
			Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: []*rbacv3.Permission{
				{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{Rule: &matcherv3.PathMatcher_Path{
					Path: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: "/public"}}}}}},
				{Rule: &rbacv3.Permission_Header{Header: &routev3.HeaderMatcher{Name: ":method",
					HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: exact("GET")}}}},
			}}}}},
			Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Authenticated_{
				Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: exact(clientID)}}}},
		}}}}
	l := hcmListener(t, "inbound", corev3.TrafficDirection_INBOUND,
		[]*hcmFilter{httpFilter("envoy.filters.http.rbac", rbac)}, vhost([]string{"*"}, prefixRoute("/", "app")))
	l.FilterChains[0].TransportSocket = &corev3.TransportSocket{Name: "tls", ConfigType: &corev3.TransportSocket_TypedConfig{
		TypedConfig: config.MustAny(&tlsv3.DownstreamTlsContext{RequireClientCertificate: wrapperspb.Bool(true),
			CommonTlsContext: &tlsv3.CommonTlsContext{
				TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: "default"}},
				ValidationContextType: &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
					ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: "ROOTCA"}}}})}}
	res := xdsconfig.Resources{Secrets: secrets, Clusters: []*clusterT{staticCluster(t, "app", app.Listener.Addr().String())},
		Listeners: []*listenerv3.Listener{l}}
	p, pa := startProxy(t, res)

	clientFor := func(id string) *http.Client {
		cp, kp, err := ca.Issue(id, time.Hour)
		require.NoError(t, err)
		cert, err := tls.X509KeyPair(cp, kp)
		require.NoError(t, err)
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost",
			Certificates: []tls.Certificate{cert}}}}
	}
	tests := []struct {
		name, id, method, path string
		want                   int
	}{
		{"allowed", clientID, "GET", "/public/x", 200},
		{"wrong path", clientID, "GET", "/private", 403},
		{"wrong method", clientID, "POST", "/public/x", 403},
		{"wrong identity", "spiffe://cluster.local/ns/default/sa/intruder", "GET", "/public/x", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "https://"+pa+tc.path, nil)
			resp, err := clientFor(tc.id).Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
	// The inbound metrics carry the peer's identity as source. A request is
	// counted once its answer is flushed (as Envoy's stats at stream end),
	// so the client may have read the answer first: wait for the count.
	counted := func() bool {
		mfs, err := p.Metrics().Registry.Gather()
		if err != nil {
			return false
		}
		for _, mf := range mfs {
			if mf.GetName() != "meshproxy_requests_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "source" && lp.GetValue() == clientID {
						return true
					}
				}
			}
		}
		return false
	}
	assert.Eventually(t, counted, 5*time.Second, 10*time.Millisecond, "source label is the client's SPIFFE ID")
}
