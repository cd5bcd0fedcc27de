package xds

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// CertSource supplies the proxy's SDS secrets (workload certificate and
// trust bundle). Secrets returns the current ones; Changed is signalled
// after each rotation. Implementations must be safe for concurrent use.
type CertSource interface {
	Secrets() []*tlsv3.Secret
	Changed() <-chan struct{}
}

// Observer sees the protocol as it happens (the control-plane scenario
// measures convergence with it). Calls come from the client's goroutine
// and must not block.
type Observer interface {
	// OnResponse is called for every response, with its encoded size.
	OnResponse(typeURL, version string, bytes int)
	// OnAck is called after an ACK (nack false) or NACK (nack true) is sent.
	OnAck(typeURL, version string, nack bool)
}

// Options configure a Client.
type Options struct {
	// Addr is the control plane's gRPC address (host:port).
	Addr string
	// NodeID identifies the proxy to the control plane.
	NodeID string
	// Metadata is the node metadata sent on the first request of each
	// stream (nil: none). Control planes such as Istio's istiod read the
	// proxy's namespace, labels and version from it.
	Metadata *structpb.Struct
	Logger   *slog.Logger
	// TLS, when set, is the connection's TLS configuration (meshcontrol
	// --tls: its root and server name); nil: plaintext (the local platform).
	TLS *tls.Config
	// Credentials, when set, returns headers sent with every stream (the
	// node and its bearer token: caapi.NodeCredentials.Header). They
	// require TLS.
	Credentials func() (map[string]string, error)
	// Certs, when set, supplies SDS secrets merged into every Resources.
	Certs CertSource
	// Observer, when set, sees responses and ACKs.
	Observer Observer
	// DialTimeout bounds connecting, the TLS handshake and the server's
	// first HTTP/2 answer (grpcwire.DefaultDialTimeout, 20 s, as grpc-go).
	DialTimeout time.Duration
	// BackoffMin and BackoffMax bound reconnect delays (default 100ms, 5s).
	BackoffMin, BackoffMax time.Duration
	// Protocol is ProtocolDelta (default: only changed resources travel)
	// or ProtocolSotW (state of the world, what most xDS servers speak).
	Protocol string
}

// xDS protocol variants.
const (
	ProtocolDelta = "delta"
	ProtocolSotW  = "sotw"
)

// Stats are the client's counters.
type Stats struct {
	Responses  int64
	Bytes      int64
	Applies    int64
	Nacks      int64
	Reconnects int64
}

// Client is an ADS client. Run may be called once; Stats at any time.
type Client struct {
	opts Options
	log  *slog.Logger

	responses, bytes, applies, nacks, reconnects atomic.Int64

	// applied is the last configuration the Applier accepted; it survives
	// reconnects so the next stream starts from its versions.
	mu      sync.Mutex
	applied *state
	// applyMu serializes Apply calls (updates and certificate rotations),
	// as the Applier contract requires.
	applyMu sync.Mutex
}

var _ xdsconfig.Source = (*Client)(nil)

// New returns a client; nothing happens until Run.
func New(opts Options) *Client {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BackoffMin == 0 {
		opts.BackoffMin = 100 * time.Millisecond
	}
	if opts.BackoffMax == 0 {
		opts.BackoffMax = 5 * time.Second
	}
	if opts.Protocol == "" {
		opts.Protocol = ProtocolDelta
	}
	return &Client{opts: opts, log: opts.Logger.With("component", "xds", "node", opts.NodeID), applied: newState()}
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Responses: c.responses.Load(), Bytes: c.bytes.Load(), Applies: c.applies.Load(), Nacks: c.nacks.Load(), Reconnects: c.reconnects.Load()}
}

// Run implements xdsconfig.Source.
func (c *Client) Run(ctx context.Context, a xdsconfig.Applier) error {
	if c.opts.Addr == "" || c.opts.NodeID == "" {
		return errors.New("xds: Addr and NodeID are required")
	}
	if c.opts.Protocol != ProtocolDelta && c.opts.Protocol != ProtocolSotW {
		return fmt.Errorf("xds: unknown protocol %q", c.opts.Protocol)
	}
	conn, err := grpcwire.New(grpcwire.Options{Addr: c.opts.Addr, TLS: c.opts.TLS, Header: c.opts.Credentials, UserAgent: "meshproxy", DialTimeout: c.opts.DialTimeout})
	if err != nil {
		return fmt.Errorf("xds: %w", err)
	}
	defer conn.Close()
	backoff := c.opts.BackoffMin
	for {
		got, err := c.stream(ctx, conn, a)
		if ctx.Err() != nil {
			return nil
		}
		if got {
			backoff = c.opts.BackoffMin
		}
		// The stream was the connection's only call: the next attempt dials
		// afresh (a control plane behind a balancer may be another one).
		_ = conn.Close()
		c.log.Warn("ADS stream ended, reconnecting", "error", err, "in", backoff)
		c.reconnects.Add(1)
		delay := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		backoff = min(backoff*2, c.opts.BackoffMax)
	}
}

// session is the state of one stream.
type session struct {
	c       *Client
	a       xdsconfig.Applier
	send    func(*discoveryRequest) error
	pending *state              // received, possibly not yet complete
	names   map[string][]string // subscribed names per type (EDS, RDS)
	nonces  map[string]string
}

// apply hands next to the Applier when it is complete and differs from
// what is applied. An incomplete state waits for its dependencies.
func (s *session) apply(ctx context.Context, next *state) error {
	if ok, _ := next.complete(); !ok {
		return nil
	}
	c := s.c
	c.mu.Lock()
	same := maps2equal(c.applied.versions, next.versions)
	c.mu.Unlock()
	if same {
		return nil
	}
	r := next.resources()
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	if c.opts.Certs != nil {
		r.Secrets = append(r.Secrets, c.opts.Certs.Secrets()...)
	}
	if err := s.a.Apply(ctx, r); err != nil {
		return fmt.Errorf("proxy rejected version %s: %w", r.Version, err)
	}
	c.applies.Add(1)
	c.mu.Lock()
	c.applied = next
	c.mu.Unlock()
	return nil
}

// rotations re-applies the current configuration with fresh secrets.
func (s *session) rotations(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.c.opts.Certs.Changed():
		}
		c := s.c
		c.mu.Lock()
		cur := c.applied
		c.mu.Unlock()
		if ok, _ := cur.complete(); !ok {
			continue
		}
		r := cur.resources()
		c.applyMu.Lock()
		r.Secrets = append(r.Secrets, c.opts.Certs.Secrets()...)
		err := s.a.Apply(ctx, r)
		c.applyMu.Unlock()
		if err != nil {
			c.log.Error("proxy rejected rotated certificates", "error", err)
			continue
		}
		c.applies.Add(1)
	}
}

func maps2equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
