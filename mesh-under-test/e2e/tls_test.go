package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

const nodeSecret = "e2e-node-token-secret"

// secureMesh is a mesh whose meshcontrol serves ADS and the CA over TLS
// (--tls) and authenticates each proxy with its own node token.
type secureMesh struct {
	*mesh
	listen string // meshcontrol's gRPC address
	rootCA string // root-cert.pem: what the proxies verify meshcontrol with
}

func newSecureMesh(t *testing.T, mtls string, policy func(*meshconfig.Policy)) *secureMesh {
	t.Helper()
	m := &mesh{t: t, app: startApp(t), inbound: freeAddr(t), outA: freeAddr(t), outB: freeAddr(t)}
	m.file = filepath.Join(t.TempDir(), "mesh.yaml")
	m.write(mtls, policy, 1)
	caDir := t.TempDir()
	s := &secureMesh{mesh: m, listen: freeAddr(t), rootCA: filepath.Join(caDir, ca.RootCertFile)}
	m.controlA = freeAddr(t)
	start(t, "meshcontrol", "--mesh", m.file, "--listen", s.listen, "--admin", m.controlA, "--tls", "--ca-dir", caDir,
		"--node-token-secret", nodeSecret, "--debounce", "1ms")
	awaitAdmin(t, m.controlA)
	return s
}

// startProxy runs meshproxy as node id against the secure meshcontrol,
// trusting rootCA and presenting tok (extra: more meshproxy flags); it
// returns its admin address.
func (s *secureMesh) startProxy(id, rootCA, tok string, extra ...string) string {
	admin := freeAddr(s.t)
	args := append([]string{"--id", id, "--xds", s.listen, "--xds-ca", rootCA, "--admin", admin, "--log-level", "warn"}, extra...)
	if tok != "" {
		args = append(args, "--xds-token", tok)
	}
	start(s.t, "meshproxy", args...)
	return admin
}

func ready(admin string) bool {
	resp, err := http.Get("http://" + admin + "/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestADSAndCAOverTLSEndToEnd: the real binaries with meshcontrol --tls and
// meshproxy --xds-ca: each proxy, holding only its own node token, gets its
// configuration and its workload certificate over TLS, and strict mTLS
// traffic flows. A proxy trusting another root (it cannot verify
// meshcontrol) or holding no token, or another node's token, never gets a
// configuration.
//
// Under strict mTLS a proxy without a certificate cannot run its
// configuration anyway; without mTLS only ADS authentication keeps the
// proxy with no token out, so both modes run.
func TestADSAndCAOverTLSEndToEnd(t *testing.T) {
	for _, mode := range []string{meshconfig.MTLSStrict, meshconfig.MTLSDisable} {
		t.Run(mode, func(t *testing.T) { adsOverTLS(t, mode) })
	}
}

func adsOverTLS(t *testing.T, mode string) {
	s := newSecureMesh(t, mode, nil)
	for _, id := range []string{"web", "client-a"} {
		s.startProxy(id, s.rootCA, ca.NodeToken(nodeSecret, id))
	}
	await(t, s.outA, "GET", "/", http.StatusOK)

	otherRoot := filepath.Join(t.TempDir(), "other-root.pem")
	other, err := ca.New(ca.Options{})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(otherRoot, other.RootPEM(), 0o600))
	refused := map[string]string{
		"another root": s.startProxy("client-b", otherRoot, ca.NodeToken(nodeSecret, "client-b")),
		"no token":     s.startProxy("client-b", s.rootCA, ""),
		"wrong token":  s.startProxy("client-b", s.rootCA, ca.NodeToken("not-the-secret", "client-b")),
		"a's token":    s.startProxy("client-b", s.rootCA, ca.NodeToken(nodeSecret, "client-a")),
		// meshcontrol's certificate names meshcontrol, localhost and its
		// --listen host, not this.
		"wrong server name": s.startProxy("client-b", s.rootCA, ca.NodeToken(nodeSecret, "client-b"), "--xds-server-name", "not-meshcontrol.example"),
	}
	// As a sidecar on Kubernetes: it dials an address (the Service's
	// ClusterIP) and verifies the name meshcontrol.
	good := s.startProxy("client-b", s.rootCA, ca.NodeToken(nodeSecret, "client-b"), "--xds-server-name", "meshcontrol")
	require.Eventually(t, func() bool { return ready(good) }, 20*time.Second, 50*time.Millisecond,
		"the proxy with client-b's own token gets its configuration")
	// The good proxy started after the refused ones and is configured; give
	// them as long again (their retries back off from 100 ms).
	assert.Never(t, func() bool {
		for name, admin := range refused {
			if ready(admin) {
				t.Logf("%s: configured", name)
				return true
			}
		}
		return false
	}, 3*time.Second, 100*time.Millisecond, "a proxy that cannot authenticate (or verify meshcontrol) is never configured")
}

// TestADSRefusesUnauthenticatedCallers: raw gRPC callers against the real
// meshcontrol --tls: plaintext, no token, a wrong token, another node's
// token, and a good token on a stream that then asks for another node's
// configuration are all refused; the good token alone gets an answer.
func TestADSRefusesUnauthenticatedCallers(t *testing.T) {
	s := newSecureMesh(t, meshconfig.MTLSStrict, nil)
	pemBytes, err := os.ReadFile(s.rootCA)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes))
	secure := grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	plain := grpc.WithTransportCredentials(insecure.NewCredentials())

	a, b := ca.NodeToken(nodeSecret, "client-a"), ca.NodeToken(nodeSecret, "client-b")
	cases := []struct {
		name          string
		dial          grpc.DialOption
		token, header string // bearer token and the x-mesh-node header
		node          string // the node the request names (ADS and Sign)
		ads, sign     codes.Code
	}{
		{"plaintext client", plain, a, "client-a", "client-a", codes.Unavailable, codes.Unavailable},
		{"no token", secure, "", "client-a", "client-a", codes.Unauthenticated, codes.Unauthenticated},
		{"wrong token", secure, "bogus", "client-a", "client-a", codes.Unauthenticated, codes.Unauthenticated},
		{"token of another node", secure, b, "client-a", "client-a", codes.Unauthenticated, codes.Unauthenticated},
		// Sign names its node in the request: it needs no header.
		{"no node header", secure, a, "", "client-a", codes.Unauthenticated, codes.OK},
		{"request for another node", secure, a, "client-a", "client-b", codes.PermissionDenied, codes.Unauthenticated},
		{"own token", secure, a, "client-a", "client-a", codes.OK, codes.OK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := grpc.NewClient(s.listen, tc.dial)
			require.NoError(t, err)
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			md := metadata.MD{}
			if tc.token != "" {
				md.Set("authorization", "Bearer "+tc.token)
			}
			if tc.header != "" {
				md.Set(caapi.NodeMetadata, tc.header)
			}
			resp, err := adsFetch(metadata.NewOutgoingContext(ctx, md), conn, tc.node)
			assert.Equal(t, tc.ads, status.Code(err), "ADS: %v", err)
			if tc.ads == codes.OK {
				assert.NotEmpty(t, resp.GetResources(), "client-a's clusters")
			}
			// The CA listens on the same port: plaintext is refused there
			// too, and a token signs only its own node.
			_, err = signGRPC(ctx, conn, tc.token, &caapi.SignRequest{NodeID: tc.node, CSRPEM: csr(t)})
			assert.Equal(t, tc.sign, status.Code(err), "CA Sign: %v", err)
		})
	}
}

// TestADSAcceptsWorkloadCertificate: instead of a token, a proxy may
// authenticate on ADS with its workload certificate (verified against the
// mesh root): for its own node only.
func TestADSAcceptsWorkloadCertificate(t *testing.T) {
	s := newSecureMesh(t, meshconfig.MTLSStrict, nil)
	pemBytes, err := os.ReadFile(s.rootCA)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes))

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	require.NoError(t, err)
	// The proxy's own CA client (grpcwire over TLS) against meshcontrol.
	conn, err := grpcwire.New(grpcwire.Options{Addr: s.listen, TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	signed, err := caapi.Sign(ctx, conn, ca.NodeToken(nodeSecret, "client-a"),
		&caapi.SignRequest{NodeID: "client-a", CSRPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})})
	require.NoError(t, err)
	block, _ := pem.Decode(signed.CertPEM)
	require.NotNil(t, block)
	cert := tls.Certificate{Certificate: [][]byte{block.Bytes}, PrivateKey: key}

	for _, tc := range []struct {
		header string
		want   codes.Code
	}{{"client-a", codes.OK}, {"client-b", codes.Unauthenticated}} {
		t.Run(tc.header, func(t *testing.T) {
			c, err := grpc.NewClient(s.listen, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
				RootCAs: pool, MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}})))
			require.NoError(t, err)
			defer c.Close()
			_, err = adsFetch(metadata.AppendToOutgoingContext(ctx, caapi.NodeMetadata, tc.header), c, tc.header)
			assert.Equal(t, tc.want, status.Code(err), "client-a's certificate naming node %s: %v", tc.header, err)
		})
	}
}

// adsFetch opens a state-of-the-world ADS stream, asks for node's clusters
// and returns the first response.
func adsFetch(ctx context.Context, conn *grpc.ClientConn, node string) (*discoverygrpc.DiscoveryResponse, error) {
	st, err := discoverygrpc.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.Send(&discoverygrpc.DiscoveryRequest{Node: &corev3.Node{Id: node}, TypeUrl: resource.ClusterType}); err != nil {
		if _, rerr := st.Recv(); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	return st.Recv()
}

func csr(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// signGRPC is caapi.Sign over a grpc-go connection: these cases dial with
// grpc-go's credentials (plaintext included, which the proxy's client
// refuses to combine with a token).
func signGRPC(ctx context.Context, conn *grpc.ClientConn, token string, req *caapi.SignRequest) (*caapi.SignResponse, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	resp := &caapi.SignResponse{}
	return resp, conn.Invoke(ctx, caapi.SignMethod, req, resp, grpc.CallContentSubtype(caapi.CodecName))
}
