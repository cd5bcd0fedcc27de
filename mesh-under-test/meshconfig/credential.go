package meshconfig

import (
	"crypto/tls"
	"fmt"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Credential is a gateway certificate the control plane holds and serves
// over SDS (Istio's credentialName: a gateway server names it, meshcontrol
// sends the secret on the gateway's own ADS stream, and the gateway uses
// it for that server's SNI names). The PEM is in the mesh file (or the
// policy ConfigMap) itself, so a new certificate is a new revision of the
// file: meshcontrol pushes the secret alone, the gateway serves it to new
// handshakes and connections already open keep theirs.
type Credential struct {
	Name string `yaml:"name" json:"name,omitempty"`
	// Certificate is the PEM certificate chain, leaf first.
	Certificate string `yaml:"certificate" json:"certificate,omitempty"`
	// PrivateKey is the PEM private key of the leaf.
	PrivateKey string `yaml:"privateKey" json:"privateKey,omitempty"`
}

// Credential returns the named credential, or nil.
func (m *Mesh) Credential(name string) *Credential {
	for i := range m.Credentials {
		if m.Credentials[i].Name == name {
			return &m.Credentials[i]
		}
	}
	return nil
}

// validateCredentials checks names and that each certificate and key
// parse and belong together, so a broken credential is a load error
// naming it, not a NACK at the gateway.
func (m *Mesh) validateCredentials(c *checker) map[string]bool {
	names := map[string]bool{}
	for i, cr := range m.Credentials {
		p := fmt.Sprintf("credentials[%d]", i)
		switch {
		case cr.Name == "":
			c.add(p+".name", "required")
		case cr.Name == xdsconfig.SecretCert || cr.Name == xdsconfig.SecretRoots:
			c.add(p+".name", "%q is the SDS name of the workload's own certificate or trust bundle", cr.Name)
		case names[cr.Name]:
			c.add(p+".name", "duplicate credential %q", cr.Name)
		}
		names[cr.Name] = true
		if cr.Certificate == "" || cr.PrivateKey == "" {
			c.add(p, "certificate and privateKey (PEM) are required")
			continue
		}
		if _, err := tls.X509KeyPair([]byte(cr.Certificate), []byte(cr.PrivateKey)); err != nil {
			c.add(p, "certificate and privateKey: %v", err)
		}
	}
	return names
}
