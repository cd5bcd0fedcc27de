package config

import (
	"crypto/tls"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/health"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Direction of a listener, from Envoy's traffic_direction.
const (
	Inbound     = "inbound"
	Outbound    = "outbound"
	Unspecified = "unspecified"
)

// Snapshot is one compiled, immutable configuration.
type Snapshot struct {
	Version   string
	Listeners []*Listener
	Clusters  map[string]*upstream.Cluster
	// Checks are the active health checks to run while this snapshot is live.
	Checks []Check
	// Resources are the sources, kept for /config_dump.
	Resources xdsconfig.Resources

	endpoints map[*upstream.Endpoint]bool // value: DRAINING
	secrets   map[*tlsid.Store]*tlsid.Bundle
}

// Check is a cluster's active health check.
type Check struct {
	Cluster string
	Config  health.CheckConfig
	// Target is the compiled cluster whose hosts are probed.
	Target *upstream.Cluster
}

// Listener is one bound address.
type Listener struct {
	Name      string
	Address   string
	Direction string
	Chains    []*Chain
	// SNI terminates TLS for a listener whose TLS chains name servers
	// (filter_chain_match.server_names): the handshake picks the chain's
	// certificate by SNI, and the connection is then served by
	// ChainForSNI(the negotiated server name). nil otherwise.
	SNI *tls.Config
}

// Chain is a filter chain: how a connection is handled.
type Chain struct {
	Name string
	// MatchTLS selects this chain for connections that start a TLS
	// handshake (filter_chain_match.transport_protocol: tls); a listener
	// with both kinds serves permissive mTLS.
	MatchTLS bool
	// ServerNames (lower-case, exact or "*.suffix") select this TLS chain
	// by SNI; empty: any server name (sni.go).
	ServerNames []string
	// TLS terminates TLS when non-nil.
	TLS           *tls.Config
	RequireClient bool
	HTTP          *HTTP
	// TCP proxies raw bytes to this cluster (tcp_proxy) when non-nil.
	TCP *upstream.Cluster
	// TCPIdleTimeout closes a tcp_proxy connection after no byte moved in
	// either direction for this long: tcp_proxy idle_timeout, Envoy's
	// default 1h when unset; 0 disables it.
	TCPIdleTimeout time.Duration
}

// HTTP is a compiled http_connection_manager.
type HTTP struct {
	StatPrefix string
	Routes     *router.Table
	// Path is how request paths are normalised before routing.
	Path filter.PathOptions
	// AccessLogFraction of requests are logged (0: off).
	AccessLogFraction float64
	// GenerateTraces starts a trace for requests without context (tracing set).
	GenerateTraces bool
	// Tracing is the HCM's tracing section (nil: none): sampling and
	// the collector spans are exported to (tracing.go).
	Tracing *Tracing
	// StreamIdleTimeout bounds how long an HTTP/2 request body may stall:
	// stream_idle_timeout, Envoy's 5 min when unset (0: none).
	StreamIdleTimeout time.Duration
	// Limits are the downstream limits (limits.go).
	Limits Limits
}

// ChainFor picks the chain for a connection that did or did not start with a
// TLS ClientHello. It returns nil when no chain accepts it (strict mTLS and
// a plaintext client).
func (l *Listener) ChainFor(isTLS bool) *Chain {
	var fallback *Chain
	for _, c := range l.Chains {
		if c.MatchTLS == isTLS {
			return c
		}
		if !c.MatchTLS && c.TLS == nil && !isTLS {
			fallback = c
		}
		if !c.MatchTLS && c.TLS != nil && isTLS {
			fallback = c // a single TLS chain without an explicit match
		}
	}
	return fallback
}

// AcceptsPlaintext reports whether a connection that does not start a TLS
// handshake has a chain on this listener. After a permissive -> strict
// switch it has none: the proxy drains plaintext connections opened before.
func (l *Listener) AcceptsPlaintext() bool {
	c := l.ChainFor(false)
	return c != nil && c.TLS == nil
}

// Commit publishes the snapshot's secret material to the shared stores.
// Call it after the snapshot is accepted, before swapping it in.
func (s *Snapshot) Commit() {
	for st, b := range s.secrets {
		st.Set(b)
	}
}

// Endpoints returns the endpoints this snapshot uses, each mapped to
// whether it is DRAINING (for Registry.Retain).
func (s *Snapshot) Endpoints() map[*upstream.Endpoint]bool { return s.endpoints }
