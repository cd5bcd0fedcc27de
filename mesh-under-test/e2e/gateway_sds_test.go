package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

// TestGatewaySDSCredentials: the gateway's certificates are credentials
// in the mesh file that meshcontrol serves over SDS on the gateway's ADS
// stream (delta and state-of-the-world): SNI picks the right one; a new
// certificate written into the mesh file is served to new handshakes
// while a connection opened before the rotation keeps working.
func TestGatewaySDSCredentials(t *testing.T) {
	for _, proto := range []string{"delta", "sotw"} {
		t.Run(proto, func(t *testing.T) { testGatewaySDS(t, proto) })
	}
}

func testGatewaySDS(t *testing.T, xdsProtocol string) {
	ca, err := localca.New(time.Hour)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	cred := func(name string, hosts ...string) meshconfig.Credential {
		c, k, err := ca.IssueServer(hosts, time.Hour)
		require.NoError(t, err)
		return meshconfig.Credential{Name: name, Certificate: string(c), PrivateKey: string(k)}
	}
	web := startApp(t)
	gw, webIn := freeAddr(t), freeAddr(t)
	mc := &meshconfig.Mesh{Revision: 1,
		Services: []meshconfig.Service{{Name: "web", Endpoints: []meshconfig.Endpoint{{Address: webIn}}}},
		Proxies: []meshconfig.Proxy{
			{ID: "web", Service: "web", Inbound: &meshconfig.Inbound{Address: webIn, App: web.srv.Listener.Addr().String()}},
			{ID: "ingress", Gateway: &meshconfig.Gateway{Mode: meshconfig.GatewayIngress, Address: gw,
				Servers: []meshconfig.GatewayServer{
					{Hosts: []string{"a.example.com"}, TLS: &meshconfig.GatewayTLS{CredentialName: "cred-a"}},
					{Hosts: []string{"*.b.example.com"}, TLS: &meshconfig.GatewayTLS{CredentialName: "cred-b"}},
				},
				Routes: []meshconfig.GatewayRoute{{Service: "web"}}}},
		},
		Credentials: []meshconfig.Credential{cred("cred-a", "a.example.com"), cred("cred-b", "*.b.example.com")},
		Policy:      meshconfig.Policy{MTLS: meshconfig.MTLSStrict},
	}
	mc.Normalize()
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, mc.WriteFile(file))
	listen, admin := freeAddr(t), freeAddr(t)
	start(t, "meshcontrol", "--mesh", file, "--listen", listen, "--admin", admin, "--bootstrap-token", token, "--debounce", "1ms")
	awaitAdmin(t, admin)
	for _, id := range []string{"web", "ingress"} {
		start(t, "meshproxy", "--id", id, "--xds", listen, "--xds-token", token, "--xds-protocol", xdsProtocol, "--admin", freeAddr(t), "--log-level", "warn")
	}
	// handshake returns the serial of the certificate the gateway presents
	// for sni, and its names.
	handshake := func(sni string) (*tls.Conn, *x509.Certificate, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", gw,
			&tls.Config{ServerName: sni, RootCAs: roots, NextProtos: []string{"http/1.1"}})
		if err != nil {
			return nil, nil, err
		}
		return c, c.ConnectionState().PeerCertificates[0], nil
	}
	get := func(c *tls.Conn, br *bufio.Reader, host, target string) (int, error) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, host); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	require.Eventually(t, func() bool {
		c, _, err := handshake("a.example.com")
		if err != nil {
			return false
		}
		defer c.Close()
		s, err := get(c, bufio.NewReader(c), "a.example.com", "/ready")
		return err == nil && s == 200
	}, 20*time.Second, 50*time.Millisecond, "ingress gateway serving with its SDS certificates")

	for _, tt := range []struct{ sni, want string }{{"a.example.com", "a.example.com"}, {"x.b.example.com", "*.b.example.com"}} {
		c, cert, err := handshake(tt.sni)
		require.NoError(t, err, tt.sni)
		c.Close()
		assert.Equal(t, []string{tt.want}, cert.DNSNames, "SNI %s gets credential %s's certificate", tt.sni, tt.want)
	}
	_, _, err = handshake("c.example.com")
	assert.Error(t, err, "no server names c.example.com")

	// A connection open across the rotation.
	old, oldCert, err := handshake("a.example.com")
	require.NoError(t, err)
	defer old.Close()
	oldBR := bufio.NewReader(old)
	s, err := get(old, oldBR, "a.example.com", "/before")
	require.NoError(t, err)
	require.Equal(t, 200, s)

	rotated := cred("cred-a", "a.example.com")
	mc.Credentials[0] = rotated
	mc.Revision = 2
	require.NoError(t, mc.WriteFile(file))
	newCert := leaf(t, rotated.Certificate)
	require.NotEqual(t, oldCert.SerialNumber, newCert.SerialNumber)
	require.Eventually(t, func() bool {
		c, cert, err := handshake("a.example.com")
		if err != nil {
			return false
		}
		c.Close()
		return cert.SerialNumber.Cmp(newCert.SerialNumber) == 0
	}, 20*time.Second, 50*time.Millisecond, "a new handshake gets the rotated certificate")
	c, cert, err := handshake("x.b.example.com")
	require.NoError(t, err)
	c.Close()
	assert.Equal(t, []string{"*.b.example.com"}, cert.DNSNames, "the other credential is unchanged")

	s, err = get(old, oldBR, "a.example.com", "/after")
	require.NoError(t, err, "the connection opened before the rotation is not dropped")
	assert.Equal(t, 200, s)
	assert.Contains(t, web.seen(), "GET /after")
}

// leaf parses the first certificate of a PEM chain.
func leaf(t *testing.T, chain string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(chain))
	require.NotNil(t, b, "PEM certificate")
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	return c
}
