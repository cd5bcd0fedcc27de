package ca_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"sync/atomic"
	"testing"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/certrotate"
)

const identity = "spiffe://cluster.local/ns/default/sa/echo"

// serve runs the CA service on 127.0.0.1:0 and returns a client conn.
func serve(t *testing.T, auth ca.Authenticator) (*ca.CA, *grpcwire.Conn) {
	t.Helper()
	authority, err := ca.New(ca.Options{})
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := grpc.NewServer()
	(&ca.Service{CA: authority, Auth: auth}).Register(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpcwire.New(grpcwire.Options{Addr: lis.Addr().String()})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return authority, conn
}

func bootstrap() ca.BootstrapToken {
	return ca.BootstrapToken{Token: "s3cret", IdentityOf: func(node string) (string, bool) {
		return identity, node == "echo-proxy"
	}}
}

func leaf(t *testing.T, secrets []*tlsv3.Secret) (*x509.Certificate, *x509.CertPool) {
	t.Helper()
	require.Len(t, secrets, 2)
	assert.Equal(t, translate.SecretCert, secrets[0].Name)
	assert.Equal(t, translate.SecretRoots, secrets[1].Name)
	tc := secrets[0].GetTlsCertificate()
	pair, err := tls.X509KeyPair(tc.CertificateChain.GetInlineBytes(), tc.PrivateKey.GetInlineBytes())
	require.NoError(t, err, "certificate matches the proxy's private key")
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(secrets[1].GetValidationContext().TrustedCa.GetInlineBytes()))
	return cert, roots
}

func TestIssueAndRotate(t *testing.T) {
	_, conn := serve(t, bootstrap())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := certrotate.New(certrotate.Options{Conn: conn, NodeID: "echo-proxy", TTL: 2 * time.Second, Token: func() (string, error) { return "s3cret", nil }})
	require.NoError(t, r.Start(ctx))

	first, roots := leaf(t, r.Secrets())
	require.Len(t, first.URIs, 1)
	assert.Equal(t, identity, first.URIs[0].String())
	assert.WithinDuration(t, time.Now().Add(2*time.Second), first.NotAfter, 2*time.Second)
	_, err := first.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "chains to the mesh root")

	// Rotation at half the lifetime, announced on Changed.
	<-r.Changed() // the first issue
	select {
	case <-r.Changed():
	case <-time.After(5 * time.Second):
		t.Fatal("no rotation")
	}
	second, _ := leaf(t, r.Secrets())
	assert.NotEqual(t, first.SerialNumber, second.SerialNumber)
	assert.NotEqual(t, first.PublicKey, second.PublicKey, "a rotation brings a new key")
	assert.True(t, second.NotAfter.After(first.NotAfter))
	assert.GreaterOrEqual(t, r.Issued(), 2)
}

func TestRefusals(t *testing.T) {
	authority, conn := serve(t, bootstrap())
	ctx := context.Background()
	csr := func(uri string) []byte { return newCSR(t, uri) }
	cases := []struct {
		name, token, node string
		csr               []byte
		code              codes.Code
	}{
		{"bad token", "wrong", "echo-proxy", csr(""), codes.Unauthenticated},
		{"unknown node", "s3cret", "nobody", csr(""), codes.Unauthenticated},
		{"other identity", "s3cret", "echo-proxy", csr("spiffe://cluster.local/ns/default/sa/admin"), codes.InvalidArgument},
		{"garbage csr", "s3cret", "echo-proxy", []byte("not pem"), codes.InvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := caapi.Sign(ctx, conn, tc.token, &caapi.SignRequest{NodeID: tc.node, CSRPEM: tc.csr})
			require.Error(t, err)
			assert.Equal(t, int(tc.code), grpcwire.Code(err), err.Error())
		})
	}
	resp, err := caapi.Sign(ctx, conn, "s3cret", &caapi.SignRequest{NodeID: "echo-proxy", CSRPEM: csr(identity)})
	require.NoError(t, err)
	assert.Equal(t, identity, resp.Identity)
	assert.Equal(t, authority.RootPEM(), resp.RootPEM)
	block, _ := pem.Decode(resp.CertPEM)
	require.NotNil(t, block)
}

// TestSignBeforeMeshLoaded: until meshcontrol has loaded its mesh every node
// is unknown; the CA says so as Unavailable (retry), not Unauthenticated
// (bad credentials), and signs once the mesh is loaded.
func TestSignBeforeMeshLoaded(t *testing.T) {
	authority, err := ca.New(ca.Options{})
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var loaded atomic.Bool
	g := grpc.NewServer()
	(&ca.Service{CA: authority, Auth: bootstrap(), Ready: loaded.Load}).Register(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpcwire.New(grpcwire.Options{Addr: lis.Addr().String()})
	require.NoError(t, err)
	defer conn.Close()

	req := &caapi.SignRequest{NodeID: "echo-proxy", CSRPEM: newCSR(t, identity)}
	_, err = caapi.Sign(context.Background(), conn, "s3cret", req)
	assert.Equal(t, int(codes.Unavailable), grpcwire.Code(err), "%v", err)
	loaded.Store(true)
	_, err = caapi.Sign(context.Background(), conn, "s3cret", req)
	assert.NoError(t, err)
}
