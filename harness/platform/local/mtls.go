package local

import (
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"

	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// certPair is one workload's certificate files; Combined holds the
// certificate followed by its key (HAProxy's crt format).
type certPair struct{ Cert, Key, Combined string }

// mtlsSet is what a lane needs for the mTLS case: a CA and a SPIFFE
// certificate for each proxy position (the ingress gateway's too, for the
// reference lanes' ingress modes), written under the topology's
// directory. Every lane of one case uses the same kind of material (ECDSA
// P-256 from one CA), so their TLS costs compare.
type mtlsSet struct {
	CA                      string
	Client, Server, Gateway certPair
}

// mtls writes (once per topology) and returns the lane's certificates.
func (t *topology) mtls() (*mtlsSet, error) {
	dir, err := t.dir()
	if err != nil {
		return nil, err
	}
	d := filepath.Join(dir, "mtls")
	m := &mtlsSet{CA: filepath.Join(d, "ca.crt"), Client: pairIn(d, "client-proxy"), Server: pairIn(d, "server-proxy"),
		Gateway: pairIn(d, gatewayName)}
	if _, err := os.Stat(m.CA); err == nil {
		return m, nil
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("mtls dir: %w", err)
	}
	ca, err := localca.New(48 * time.Hour)
	if err != nil {
		return nil, fmt.Errorf("mtls CA: %w", err)
	}
	for _, p := range []struct {
		pair certPair
		sa   string
	}{{m.Client, "client-proxy"}, {m.Server, "server-proxy"}, {m.Gateway, gatewayName}} {
		c, k, err := ca.Issue("spiffe://cluster.local/ns/meshbench/sa/"+p.sa, 24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("mtls issue %s: %w", p.sa, err)
		}
		err = errors.Join(os.WriteFile(p.pair.Cert, c, 0o600), os.WriteFile(p.pair.Key, k, 0o600),
			os.WriteFile(p.pair.Combined, append(append([]byte{}, c...), k...), 0o600))
		if err != nil {
			return nil, fmt.Errorf("mtls write: %w", err)
		}
	}
	if err := os.WriteFile(m.CA, ca.PEM, 0o600); err != nil { // last: its presence means complete
		return nil, fmt.Errorf("mtls write: %w", err)
	}
	return m, nil
}

func pairIn(dir, name string) certPair {
	return certPair{Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key"),
		Combined: filepath.Join(dir, name+".pem")}
}

// For returns the certificate of a proxy position.
func (m *mtlsSet) For(s side) certPair {
	switch {
	case s.Inbound:
		return m.Server
	case s.Role == results.RoleGateway:
		return m.Gateway
	}
	return m.Client
}

// originatesMTLS reports whether s calls its upstream over mTLS in case c:
// every outbound position whose upstream is a sidecar's inbound listener.
func originatesMTLS(c results.Case, s side) bool { return c.MTLS && !s.Inbound && !s.PlainUpstream }

// readyURLFor is the readiness probe of a reference proxy: its listener,
// unless it terminates mTLS (the plain-HTTP probe cannot pass), in which
// case the client-side proxy's probe, which goes through it, covers both.
func readyURLFor(c results.Case, s side) string {
	if c.MTLS && s.Inbound {
		return ""
	}
	if c.Protocol == results.ProtocolGRPC || c.Protocol == results.ProtocolTCP {
		return "tcp://" + s.Listen // no HTTP/1.1 probe: an accepted connection is the sign
	}
	return urlFor(s.Listen)
}
