package dataplane

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// TestInboundSubjectAltNamesEnforced: an inbound listener whose
// DownstreamTlsContext lists match_typed_subject_alt_names accepts only
// clients presenting one of them, though every certificate here comes
// from the same trusted CA.
func TestInboundSubjectAltNamesEnforced(t *testing.T) {
	ca, err := localca.New(24 * time.Hour)
	require.NoError(t, err)
	app, _ := echoServer(t)
	sc, sk, err := ca.Issue(serverID, time.Hour)
	require.NoError(t, err)
	inline := func(b []byte) *corev3.DataSource {
		return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
	}
	l := hcmListener(t, "inbound", corev3.TrafficDirection_INBOUND, nil, vhost([]string{"*"}, prefixRoute("/", "app")))
	l.FilterChains[0].TransportSocket = &corev3.TransportSocket{Name: "tls", ConfigType: &corev3.TransportSocket_TypedConfig{
		TypedConfig: config.MustAny(&tlsv3.DownstreamTlsContext{RequireClientCertificate: wrapperspb.Bool(true),
			CommonTlsContext: &tlsv3.CommonTlsContext{
				TlsCertificates: []*tlsv3.TlsCertificate{{CertificateChain: inline(sc), PrivateKey: inline(sk)}},
				ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
					TrustedCa: inline(ca.PEM),
					MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{SanType: tlsv3.SubjectAltNameMatcher_URI,
						Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: clientID}}}},
				}}}})}}
	_, pa := startProxy(t, xdsconfig.Resources{Version: "1", Listeners: []*listenerv3.Listener{l},
		Clusters: []*clusterT{staticCluster(t, "app", app.Listener.Addr().String())}})

	get := func(id string) (int, error) {
		cp, kp, err := ca.Issue(id, time.Hour)
		require.NoError(t, err)
		cert, err := tls.X509KeyPair(cp, kp)
		require.NoError(t, err)
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost",
			Certificates: []tls.Certificate{cert}}}}
		resp, err := c.Get("https://" + pa + "/")
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	status, err := get(clientID)
	require.NoError(t, err)
	assert.Equal(t, 200, status, "the listed identity is accepted")
	_, err = get("spiffe://cluster.local/ns/default/sa/intruder")
	assert.Error(t, err, "another identity from the same CA fails the handshake")
}
