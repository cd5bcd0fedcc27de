package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
)

// secret is a compiled SDS Secret: a certificate, a trust bundle, or both.
type secret struct {
	cert  *tls.Certificate
	roots *x509.CertPool
	sans  []string
}

func readDataSource(d *corev3.DataSource) ([]byte, error) {
	switch s := d.GetSpecifier().(type) {
	case *corev3.DataSource_Filename:
		b, err := os.ReadFile(s.Filename)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.Filename, err)
		}
		return b, nil
	case *corev3.DataSource_InlineBytes:
		return s.InlineBytes, nil
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), nil
	default:
		return nil, fmt.Errorf("data source %T: %w", s, match.ErrUnsupported)
	}
}

func compileSecret(s *tlsv3.Secret) (*secret, error) {
	out := &secret{}
	var err error
	switch t := s.GetType().(type) {
	case *tlsv3.Secret_TlsCertificate:
		out.cert, err = compileCert(t.TlsCertificate)
	case *tlsv3.Secret_ValidationContext:
		out.roots, out.sans, err = compileValidation(t.ValidationContext)
	default:
		err = fmt.Errorf("secret type %T: %w", t, match.ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: secret %q: %w", ErrInvalid, s.GetName(), err)
	}
	return out, nil
}

func compileCert(c *tlsv3.TlsCertificate) (*tls.Certificate, error) {
	certPEM, err := readDataSource(c.GetCertificateChain())
	if err != nil {
		return nil, fmt.Errorf("certificate_chain: %w", err)
	}
	keyPEM, err := readDataSource(c.GetPrivateKey())
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	b, err := tlsid.ParseBundle(certPEM, keyPEM, nil)
	if err != nil {
		return nil, err
	}
	return b.Cert, nil
}

func compileValidation(v *tlsv3.CertificateValidationContext) (*x509.CertPool, []string, error) {
	sans, err := compileSANs(v)
	if err != nil {
		return nil, nil, err
	}
	if v.GetTrustedCa() == nil {
		return nil, sans, nil
	}
	caPEM, err := readDataSource(v.GetTrustedCa())
	if err != nil {
		return nil, nil, fmt.Errorf("trusted_ca: %w", err)
	}
	b, err := tlsid.ParseBundle(nil, nil, caPEM)
	if err != nil {
		return nil, nil, err
	}
	return b.Roots, sans, nil
}

// compileSANs accepts exact URI SAN matches (SPIFFE IDs), which is what a
// mesh control plane sends.
func compileSANs(v *tlsv3.CertificateValidationContext) ([]string, error) {
	var out []string
	add := func(m *matcherv3.StringMatcher) error {
		e, ok := m.GetMatchPattern().(*matcherv3.StringMatcher_Exact)
		if !ok {
			return fmt.Errorf("subject alt name matcher %T: %w (only exact)", m.GetMatchPattern(), match.ErrUnsupported)
		}
		out = append(out, e.Exact)
		return nil
	}
	for _, m := range v.GetMatchTypedSubjectAltNames() {
		if m.GetSanType() != tlsv3.SubjectAltNameMatcher_URI {
			return nil, fmt.Errorf("san_type %v: %w (only URI)", m.GetSanType(), match.ErrUnsupported)
		}
		if err := add(m.GetMatcher()); err != nil {
			return nil, err
		}
	}
	for _, m := range v.GetMatchSubjectAltNames() { //nolint:staticcheck // deprecated but common
		if err := add(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tlsRefs resolves a CommonTlsContext into a shared store and SAN list.
// Inline material is registered as a synthetic secret named after owner.
func (cc *compileCtx) tlsRefs(owner string, c *tlsv3.CommonTlsContext) (*tlsid.Store, []string, error) {
	certName := ""
	switch {
	case len(c.GetTlsCertificateSdsSecretConfigs()) > 0:
		certName = c.GetTlsCertificateSdsSecretConfigs()[0].GetName()
	case len(c.GetTlsCertificates()) > 0:
		cert, err := compileCert(c.GetTlsCertificates()[0])
		if err != nil {
			return nil, nil, err
		}
		certName = "inline-cert:" + owner
		cc.secrets[certName] = &secret{cert: cert}
	}
	caName := ""
	var sans []string
	switch v := c.GetValidationContextType().(type) {
	case nil:
	case *tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig:
		caName = v.ValidationContextSdsSecretConfig.GetName()
	case *tlsv3.CommonTlsContext_ValidationContext:
		roots, s, err := compileValidation(v.ValidationContext)
		if err != nil {
			return nil, nil, err
		}
		caName, sans = "inline-ca:"+owner, s
		cc.secrets[caName] = &secret{roots: roots, sans: s}
	case *tlsv3.CommonTlsContext_CombinedValidationContext:
		caName = v.CombinedValidationContext.GetValidationContextSdsSecretConfig().GetName()
		s, err := compileSANs(v.CombinedValidationContext.GetDefaultValidationContext())
		if err != nil {
			return nil, nil, err
		}
		sans = s
	default:
		return nil, nil, fmt.Errorf("validation context %T: %w", v, match.ErrUnsupported)
	}
	if s := cc.secrets[caName]; s != nil && len(sans) == 0 {
		sans = s.sans
	}
	st, err := cc.store(certName, caName)
	return st, sans, err
}
