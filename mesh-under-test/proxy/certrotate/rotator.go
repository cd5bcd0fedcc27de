package certrotate

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Options configure a Rotator.
type Options struct {
	// Conn reaches meshcontrol's CA.
	Conn   *grpcwire.Conn
	NodeID string
	// Token returns the current credential (a file may be re-read: a
	// projected service-account token rotates too).
	Token func() (string, error)
	// TTL is the lifetime to ask for (0: the CA's default).
	TTL    time.Duration
	Logger *slog.Logger
}

// Rotator keeps a workload certificate fresh and publishes it as SDS
// secrets. It implements the xds package's CertSource.
type Rotator struct {
	opts    Options
	changed chan struct{}

	mu       sync.RWMutex
	secrets  []*tlsv3.Secret
	notAfter time.Time
	issued   int
}

// NewRotator returns a Rotator; call Start before using Secrets.
func New(opts Options) *Rotator {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Rotator{opts: opts, changed: make(chan struct{}, 1)}
}

// Start obtains the first certificate (retrying until ctx ends) and then
// renews it in the background at half its remaining lifetime.
func (r *Rotator) Start(ctx context.Context) error {
	delay := 100 * time.Millisecond
	for {
		err := r.renew(ctx)
		if err == nil {
			break
		}
		r.opts.Logger.Warn("certificate request failed, retrying", "error", err, "in", delay)
		select {
		case <-ctx.Done():
			return fmt.Errorf("first certificate: %w", err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
	go r.loop(ctx)
	return nil
}

func (r *Rotator) loop(ctx context.Context) {
	for {
		r.mu.RLock()
		wait := time.Until(r.notAfter) / 2
		r.mu.RUnlock()
		wait = max(wait, 50*time.Millisecond)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := r.renew(ctx); err != nil {
			// The current certificate stays valid until notAfter; retry soon.
			r.opts.Logger.Warn("certificate renewal failed", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

func (r *Rotator) renew(ctx context.Context) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return fmt.Errorf("create CSR: %w", err)
	}
	token, err := r.opts.Token()
	if err != nil {
		return fmt.Errorf("read token: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := caapi.Sign(ctx, r.opts.Conn, token, &caapi.SignRequest{
		NodeID: r.opts.NodeID, CSRPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}), TTLSeconds: int64(r.opts.TTL / time.Second),
	})
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	secrets := []*tlsv3.Secret{
		{Name: xdsconfig.SecretCert, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: inline(resp.CertPEM), PrivateKey: inline(keyPEM),
		}}},
		{Name: xdsconfig.SecretRoots, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa: inline(resp.RootPEM),
		}}},
	}
	r.mu.Lock()
	r.secrets, r.notAfter = secrets, resp.NotAfter
	r.issued++
	r.mu.Unlock()
	r.opts.Logger.Info("workload certificate issued", "identity", resp.Identity, "not_after", resp.NotAfter)
	select {
	case r.changed <- struct{}{}:
	default:
	}
	return nil
}

func inline(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}

// Secrets returns the current certificate and trust bundle secrets.
func (r *Rotator) Secrets() []*tlsv3.Secret {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.secrets
}

// Changed is signalled after each renewal.
func (r *Rotator) Changed() <-chan struct{} { return r.changed }

// Issued counts certificates obtained so far.
func (r *Rotator) Issued() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.issued
}
