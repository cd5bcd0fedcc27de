package filter

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/authz"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Config is one filter's compiled configuration at one level.
type Config struct {
	kind Kind
	// disabled: the filter does nothing where this config applies.
	disabled bool
	// enable: a FilterConfig without config, which turns a filter the
	// HCM disabled back on with its HCM configuration.
	enable bool
	rbac   *authz.Policy
	bucket *resilience.TokenBucket
	status int // rate limit reply status
	fault  *resilience.Fault
}

// Slot is one HTTP filter of an HCM, in chain order.
type Slot struct {
	Name string
	Kind Kind
	// Base is the HCM's own configuration of the filter.
	Base *Config
}

// Chain is the HTTP filters an HCM runs before its router.
type Chain []Slot

// CompileChain compiles an HCM's http_filters. The router must come last;
// a filter this proxy does not implement is refused unless is_optional.
func CompileChain(filters []*hcmv3.HttpFilter) (Chain, error) {
	var c Chain
	sawRouter := false
	for _, f := range filters {
		if sawRouter {
			return nil, fmt.Errorf("http filter %q after the router", f.GetName())
		}
		url := f.GetTypedConfig().GetTypeUrl()
		if url == TypeRouter {
			sawRouter = true
			continue
		}
		k, ok := kindOf(url)
		if !ok {
			if f.GetIsOptional() {
				continue
			}
			return nil, fmt.Errorf("http filter %q (%s): %w", f.GetName(), url, match.ErrUnsupported)
		}
		for _, s := range c {
			if s.Name == f.GetName() {
				return nil, fmt.Errorf("http filter %q listed twice", f.GetName())
			}
		}
		base, err := table[k].compile(f.GetTypedConfig())
		if err != nil {
			return nil, fmt.Errorf("http filter %q: %w", f.GetName(), err)
		}
		if f.GetDisabled() {
			// The compiled config is kept: a route's FilterConfig without
			// config turns it back on.
			off := *base
			off.disabled, off.enable = true, false
			base = &off
		}
		c = append(c, Slot{Name: f.GetName(), Kind: k, Base: base})
	}
	if !sawRouter {
		return nil, fmt.Errorf("http_filters must end with envoy.filters.http.router")
	}
	return c, nil
}

// Level is one level's typed_per_filter_config, compiled, by filter name.
// A level is compiled once and shared by every route under it, so a
// virtual host's rate limit is one bucket for all its routes, as in Envoy.
type Level map[string]*Config

// CompileLevel compiles typed_per_filter_config against the chain. An
// entry for a filter the chain does not list has no effect (as in Envoy)
// but must still be valid.
func (c Chain) CompileLevel(m map[string]*anypb.Any) (Level, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := Level{}
	for name, a := range m {
		k, ok := Kind(0), false
		for _, s := range c {
			if s.Name == name {
				k, ok = s.Kind, true
				break
			}
		}
		if !ok {
			k, ok = kindOfRoute(a)
		}
		if !ok {
			return nil, fmt.Errorf("typed_per_filter_config %q (%s): %w", name, a.GetTypeUrl(), match.ErrUnsupported)
		}
		if k == 0 { // an empty wrapper for a filter not in the chain
			continue
		}
		cfg, err := compilePerRoute(k, a)
		if err != nil {
			return nil, fmt.Errorf("typed_per_filter_config %q: %w", name, err)
		}
		out[name] = cfg
	}
	return out, nil
}

// kindOfRoute finds the kind of a per-route config for a filter the chain
// does not list, only to validate it (0: nothing to validate).
func kindOfRoute(a *anypb.Any) (Kind, bool) {
	url := a.GetTypeUrl()
	if url == typeFilterConf {
		fc, err := Unpack[routev3.FilterConfig](a)
		if err != nil || fc.GetConfig() == nil {
			return 0, err == nil
		}
		url = fc.GetConfig().GetTypeUrl()
	}
	for k, info := range table {
		if info.routeURL != "" && info.routeURL == url {
			return Kind(k), true
		}
	}
	return 0, false
}

// List is the filters in effect for one route (or one weighted cluster of
// it), in chain order, with disabled filters left out.
type List []*Config

// Resolve picks each filter's configuration from the most specific level
// that has one (levels are given most specific first: weighted cluster,
// route, virtual host, route configuration), else the HCM's.
func (c Chain) Resolve(levels ...Level) List {
	var out List
	for _, s := range c {
		cfg := s.Base
		for _, l := range levels {
			if x := l[s.Name]; x != nil {
				cfg = x
				break
			}
		}
		if cfg.enable {
			on := *s.Base
			on.disabled, on.enable = false, false
			cfg = &on
		}
		if cfg.inert() {
			continue
		}
		out = append(out, cfg)
	}
	return out
}

// inert reports whether the config does nothing: disabled, or enabled with
// nothing to do (an RBAC without rules allows everything; a rate limit
// whose filter_enabled is unset, or a fault without delay or abort, acts on
// no request).
func (c *Config) inert() bool {
	if c.disabled || int(c.kind) >= len(table) || table[c.kind].inert == nil {
		return true
	}
	return table[c.kind].inert(c)
}
