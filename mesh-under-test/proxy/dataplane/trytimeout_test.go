package dataplane

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

// TestPerTryTimeoutSpentConnecting: an attempt whose connect takes the whole
// per-try timeout (an mTLS upstream that holds each handshake 300 ms, a
// per-try timeout of 50 ms) never sends its request, and the proxy answers
// as for any per-try timeout: the attempt retried as a timeout, then 504
// "upstream request timeout". Before, the write that found the deadline
// passed was taken for a reset: 503 "upstream reset before response"
// (TestRetryBudgetFromMeshcontrolCapsRetriesToAHungUpstream saw those on a
// loaded machine, where a connect can take the per-try time).
func TestPerTryTimeoutSpentConnecting(t *testing.T) {
	ca, err := localca.New(24 * time.Hour)
	require.NoError(t, err)
	cf := writeCerts(t, ca, t.TempDir(), clientID)
	scert, skey, err := ca.Issue(serverID, time.Hour)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(scert, skey)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: roots}

	var requests atomic.Int64
	upAddr := rawServer(t, func(c net.Conn) {
		time.Sleep(300 * time.Millisecond) // the slow connect
		tc := tls.Server(c, srvTLS)
		if tc.Handshake() != nil {
			return
		}
		if _, err := http.ReadRequest(bufio.NewReader(tc)); err == nil {
			requests.Add(1)
		}
		_, _ = io.Copy(io.Discard, tc)
	})

	secrets, err := config.Static(nil, nil, &config.StaticTLS{CertFile: cf.cert, KeyFile: cf.key, CAFile: cf.ca})
	require.NoError(t, err)
	up := staticCluster(t, "up", upAddr)
	up.TransportSocket = &corev3.TransportSocket{Name: "envoy.transport_sockets.tls",
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: config.MustAny(&tlsv3.UpstreamTlsContext{
			CommonTlsContext: &tlsv3.CommonTlsContext{
				TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: config.SecretCert}},
				ValidationContextType: &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
					ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: config.SecretCA}}}})}}
	r := withRetry(prefixRoute("/", "up"), "reset", 1)
	r.GetRoute().RetryPolicy.PerTryTimeout = durationpb.New(50 * time.Millisecond)
	res := oneRoute(t, r, nil, up)
	res.Secrets = secrets.Secrets
	p, pa := startProxy(t, res)

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + pa + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, "body %q", body)
	assert.Equal(t, "upstream request timeout\n", string(body))
	assert.Zero(t, requests.Load(), "no request went out after its try's deadline")
	assert.InDelta(t, 1, metricValue(t, p.Metrics().Retries.WithLabelValues("up")), 0, "the timed-out try was retried once")
	assert.InDelta(t, 1, metricValue(t, p.Metrics().LocalReplies.WithLabelValues("upstream_timeout")), 0)
	assert.Zero(t, metricValue(t, p.Metrics().LocalReplies.WithLabelValues("upstream_reset")))
}

// metricValue reads a counter's value.
func metricValue(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

// rawServer accepts TCP connections on 127.0.0.1 until the test ends and
// serves each with handle in a goroutine of its own, closing it after.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}
