package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

// ErrNoServerName refuses a TLS client whose SNI no filter chain serves
// (Envoy closes such connections: no filter chain found).
var ErrNoServerName = errors.New("no filter chain for this server name")

// compileServerNames reads filter_chain_match.server_names: exact names
// and "*.suffix" wildcards, as Envoy matches them.
func compileServerNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.ToLower(n)
		if n == "" || strings.Count(n, "*") > 1 || (strings.Contains(n, "*") && !strings.HasPrefix(n, "*.")) {
			return nil, fmt.Errorf("server_names %q: %w (exact names and *.suffix only)", n, match.ErrUnsupported)
		}
		out = append(out, n)
	}
	return out, nil
}

// ChainForSNI picks the TLS chain for a ClientHello's server name as Envoy
// does: an exact name first, then the longest matching "*.suffix", then a
// TLS chain without server_names; nil when none serves it.
func (l *Listener) ChainForSNI(serverName string) *Chain {
	name := strings.ToLower(serverName)
	var best, fallback *Chain
	bestLen := 0
	for _, c := range l.Chains {
		if c.TLS == nil {
			continue
		}
		if len(c.ServerNames) == 0 {
			if fallback == nil {
				fallback = c
			}
			continue
		}
		for _, n := range c.ServerNames {
			switch {
			case n == name:
				return c
			case strings.HasPrefix(n, "*.") && len(name) > len(n)-1 && strings.HasSuffix(name, n[1:]) && len(n) > bestLen:
				best, bestLen = c, len(n)
			}
		}
	}
	if best != nil {
		return best
	}
	return fallback
}

// sniConfig is the one TLS configuration of a listener whose TLS chains
// are told apart by SNI: each handshake takes the certificate (and client
// certificate demands) of the chain its server name selects. nil when no
// chain names servers (a chain's own config then serves).
func (l *Listener) sniConfig() *tls.Config {
	named := false
	for _, c := range l.Chains {
		named = named || len(c.ServerNames) > 0
	}
	if !named {
		return nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		c := l.ChainForSNI(h.ServerName)
		if c == nil {
			return nil, fmt.Errorf("server name %q: %w", h.ServerName, ErrNoServerName)
		}
		if c.TLS.GetConfigForClient != nil {
			return c.TLS.GetConfigForClient(h)
		}
		return c.TLS, nil
	}}
}
