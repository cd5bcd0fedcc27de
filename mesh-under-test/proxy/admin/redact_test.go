package admin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

type fakeSource struct{ r xdsconfig.Resources }

func (f fakeSource) Ready() bool                            { return true }
func (f fakeSource) Resources() (xdsconfig.Resources, bool) { return f.r, true }

func keyPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func inlineCert(key string) *tlsv3.TlsCertificate {
	return &tlsv3.TlsCertificate{
		CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "CERT-CHAIN-STAYS"}},
		PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: key}},
	}
}

func transportSocket(t *testing.T, m proto.Message) *corev3.TransportSocket {
	t.Helper()
	a, err := anypb.New(m)
	require.NoError(t, err)
	return &corev3.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}
}

// TestConfigDumpRedactsPrivateKeys serves a configuration with inline keys
// in a listener, a cluster and a secret (bytes and string DataSources) and
// reads /config_dump over a real socket: no PEM private key, no key bytes.
func TestConfigDumpRedactsPrivateKeys(t *testing.T) {
	lkey, ckey, skey := keyPEM(t), keyPEM(t), keyPEM(t)
	down := &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{TlsCertificates: []*tlsv3.TlsCertificate{inlineCert(lkey)}}}
	up := &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{TlsCertificates: []*tlsv3.TlsCertificate{inlineCert(ckey)}}}
	secretCert := inlineCert("")
	secretCert.PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: []byte(skey)}}
	secretCert.Password = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "hunter2"}}
	r := xdsconfig.Resources{
		Version:   "v1",
		Listeners: []*listenerv3.Listener{{Name: "in", FilterChains: []*listenerv3.FilterChain{{TransportSocket: transportSocket(t, down)}}}},
		Clusters:  []*clusterv3.Cluster{{Name: "out", TransportSocket: transportSocket(t, up)}},
		Secrets: []*tlsv3.Secret{
			{Name: "default", Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: secretCert}},
			{Name: "opaque", Type: &tlsv3.Secret_GenericSecret{GenericSecret: &tlsv3.GenericSecret{
				Secret: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "opaque-secret"}}}}},
		},
	}
	srv := httptest.NewServer(Handler(fakeSource{r}, prometheus.NewRegistry()))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/config_dump")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	body := string(b)

	require.NotContains(t, body, "PRIVATE KEY")
	for _, secret := range []string{"hunter2", "opaque-secret", strings.Split(lkey, "\n")[1], strings.Split(ckey, "\n")[1]} {
		require.NotContains(t, body, secret)
	}
	// The base64 of the inline-bytes key must not appear either.
	require.NotContains(t, body, "LS0tLS1CRUdJTi")           // base64 of "-----BEGIN"
	require.Equal(t, 5, strings.Count(body, Redacted), body) // 3 keys, a password, a generic secret
	require.Contains(t, body, "CERT-CHAIN-STAYS")            // redaction is targeted, the rest is dumped
	require.Contains(t, body, `"name": "opaque"`)
}

func TestRedactCatchesStrayPEMKeys(t *testing.T) {
	v := map[string]any{"headers": []any{map[string]any{"value": "-----BEGIN RSA PRIVATE KEY-----\nabc"}}, "ok": "x"}
	got := redact(v).(map[string]any)
	require.Equal(t, Redacted, got["headers"].([]any)[0].(map[string]any)["value"])
	require.Equal(t, "x", got["ok"])
}
