package filter

import (
	"errors"
	"fmt"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/authz"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Kind names an HTTP filter implementation.
type Kind uint8

// The filters this proxy implements (besides the router).
const (
	RBAC Kind = iota + 1
	RateLimit
	Fault
)

// Type URLs of the filter configurations, as Envoy names them.
const (
	TypeRouter     = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
	TypeFault      = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"
	TypeRateLimit  = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
	TypeRBAC       = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
	TypeRBACRoute  = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute"
	typeFilterConf = "type.googleapis.com/envoy.config.route.v3.FilterConfig"
)

// kindInfo is one row of the filter table: the filter's configuration type
// in the HCM and on routes, and how each compiles.
type kindInfo struct {
	name              string
	typeURL, routeURL string
	compile           func(*anypb.Any) (*Config, error)
	compileRoute      func(*anypb.Any) (*Config, error)
	// inert: the compiled config acts on no request (see Config.inert).
	inert func(*Config) bool
}

// table is the filter table: adding a filter is adding a row here, its
// compiled fields in Config and a case in List.Admit.
var table = [...]kindInfo{
	RBAC: {name: "rbac", typeURL: TypeRBAC, routeURL: TypeRBACRoute,
		compile: func(a *anypb.Any) (*Config, error) {
			r, err := Unpack[rbacfilter.RBAC](a)
			if err != nil {
				return nil, err
			}
			return compileRBAC(r)
		},
		compileRoute: func(a *anypb.Any) (*Config, error) {
			r, err := Unpack[rbacfilter.RBACPerRoute](a)
			if err != nil {
				return nil, err
			}
			if r.GetRbac() == nil { // Envoy: no rbac disables the filter for the route
				return &Config{kind: RBAC, disabled: true}, nil
			}
			return compileRBAC(r.GetRbac())
		},
		inert: func(c *Config) bool { return c.rbac == nil }},
	RateLimit: {name: "local_ratelimit", typeURL: TypeRateLimit, routeURL: TypeRateLimit,
		compile: compileRateLimitAny, compileRoute: compileRateLimitAny,
		inert: func(c *Config) bool { return c.bucket == nil }},
	Fault: {name: "fault", typeURL: TypeFault, routeURL: TypeFault,
		compile: compileFaultAny, compileRoute: compileFaultAny,
		inert: func(c *Config) bool { return c.fault == nil }},
}

// kindOf finds the filter whose HCM configuration has typeURL.
func kindOf(typeURL string) (Kind, bool) {
	for k, info := range table {
		if info.typeURL != "" && info.typeURL == typeURL {
			return Kind(k), true
		}
	}
	return 0, false
}

// validator is the PGV validation every generated Envoy type has.
type validator interface{ ValidateAll() error }

// Unpack decodes a typed config and runs its PGV validation, so a config
// Envoy would reject (a token bucket without fill_interval, a fault
// percentage over 100%) is rejected here too, before it can reach a request.
// The proxy's config compiler uses it for every typed config it reads.
func Unpack[T any, PT interface {
	*T
	proto.Message
	validator
}](a *anypb.Any) (PT, error) {
	var m PT = new(T)
	if a == nil {
		return nil, fmt.Errorf("missing typed_config (want %s)", m.ProtoReflect().Descriptor().FullName())
	}
	if err := a.UnmarshalTo(m); err != nil {
		return nil, fmt.Errorf("typed_config %s: %w", a.GetTypeUrl(), err)
	}
	if err := m.ValidateAll(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return m, nil
}

func compileRBAC(r *rbacfilter.RBAC) (*Config, error) {
	if r.GetMatcher() != nil || r.GetShadowMatcher() != nil {
		return nil, fmt.Errorf("rbac matcher: %w (use rules)", match.ErrUnsupported)
	}
	p, err := authz.Compile(r)
	if err != nil {
		return nil, err
	}
	return &Config{kind: RBAC, rbac: p}, nil
}

// perMillion converts a FractionalPercent; nil means def.
func perMillion(p *typev3.FractionalPercent, def uint32) uint32 {
	if p == nil {
		return def
	}
	n := uint64(p.GetNumerator())
	switch p.GetDenominator() {
	case typev3.FractionalPercent_HUNDRED:
		n *= 10_000
	case typev3.FractionalPercent_TEN_THOUSAND:
		n *= 100
	}
	return uint32(min(n, 1_000_000))
}

// PerMillion is perMillion for other packages (access log sampling).
func PerMillion(p *typev3.FractionalPercent, def uint32) uint32 { return perMillion(p, def) }

// compileFaultAny maps HTTPFault. A delay or abort without percentage
// applies to every request. Fields that change which requests a fault hits
// are refused rather than ignored.
func compileFaultAny(a *anypb.Any) (*Config, error) {
	f, err := Unpack[faultv3.HTTPFault](a)
	if err != nil {
		return nil, err
	}
	switch {
	case len(f.GetHeaders()) > 0:
		return nil, fmt.Errorf("fault headers: %w", match.ErrUnsupported)
	case f.GetUpstreamCluster() != "":
		return nil, fmt.Errorf("fault upstream_cluster: %w", match.ErrUnsupported)
	case len(f.GetDownstreamNodes()) > 0:
		return nil, fmt.Errorf("fault downstream_nodes: %w", match.ErrUnsupported)
	case f.GetMaxActiveFaults() != nil:
		return nil, fmt.Errorf("fault max_active_faults: %w", match.ErrUnsupported)
	case f.GetResponseRateLimit() != nil:
		return nil, fmt.Errorf("fault response_rate_limit: %w", match.ErrUnsupported)
	}
	out := &resilience.Fault{}
	if d := f.GetDelay(); d != nil {
		if d.GetFixedDelay() == nil {
			return nil, errors.New("fault delay: only fixed_delay is supported")
		}
		out.Delay = d.GetFixedDelay().AsDuration()
		out.DelayPerMillion = perMillion(d.GetPercentage(), 1_000_000)
	}
	if ab := f.GetAbort(); ab != nil {
		if ab.GetHttpStatus() == 0 {
			return nil, errors.New("fault abort: only http_status is supported")
		}
		out.AbortStatus = int(ab.GetHttpStatus())
		out.AbortPerMillion = perMillion(ab.GetPercentage(), 1_000_000)
	}
	if out.Delay == 0 && out.AbortStatus == 0 {
		return &Config{kind: Fault, disabled: true}, nil
	}
	return &Config{kind: Fault, fault: out}, nil
}

// compileRateLimitAny maps LocalRateLimit's token bucket. As in Envoy, the
// filter only acts when filter_enabled and filter_enforced are set (any
// non-zero fraction enables it fully).
func compileRateLimitAny(a *anypb.Any) (*Config, error) {
	l, err := Unpack[lrlv3.LocalRateLimit](a)
	if err != nil {
		return nil, err
	}
	switch {
	case len(l.GetDescriptors()) > 0:
		return nil, fmt.Errorf("local_ratelimit descriptors: %w", match.ErrUnsupported)
	case l.GetLocalRateLimitPerDownstreamConnection():
		return nil, fmt.Errorf("local_ratelimit local_rate_limit_per_downstream_connection: %w", match.ErrUnsupported)
	}
	if l.GetFilterEnabled().GetDefaultValue().GetNumerator() == 0 ||
		l.GetFilterEnforced().GetDefaultValue().GetNumerator() == 0 {
		return &Config{kind: RateLimit, disabled: true}, nil
	}
	tb := l.GetTokenBucket()
	if tb == nil {
		return nil, errors.New("local_ratelimit: token_bucket is required when the filter is enabled")
	}
	interval := tb.GetFillInterval().AsDuration()
	if interval <= 0 { // PGV requires > 0 already; the bucket divides by it
		return nil, errors.New("local_ratelimit: token_bucket.fill_interval must be > 0")
	}
	perFill := int64(1)
	if v := tb.GetTokensPerFill(); v != nil {
		perFill = int64(v.GetValue())
	}
	status := 429
	if s := l.GetStatus().GetCode(); s != 0 {
		status = int(s)
	}
	return &Config{kind: RateLimit, status: status,
		bucket: resilience.NewTokenBucket(int64(tb.GetMaxTokens()), perFill, interval, time.Now())}, nil
}

// compilePerRoute compiles one typed_per_filter_config entry for the slot
// kind k: the filter's per-route type, or a FilterConfig wrapper that
// disables the filter or carries its config.
func compilePerRoute(k Kind, a *anypb.Any) (*Config, error) {
	if a.GetTypeUrl() == typeFilterConf {
		fc, err := Unpack[routev3.FilterConfig](a)
		if err != nil {
			return nil, err
		}
		if fc.GetDisabled() {
			return &Config{kind: k, disabled: true}, nil
		}
		if fc.GetConfig() == nil {
			return &Config{kind: k, enable: true}, nil
		}
		a = fc.GetConfig()
	}
	info := table[k]
	if a.GetTypeUrl() != info.routeURL {
		return nil, fmt.Errorf("%s filter: per-route config %s: %w (want %s)", info.name, a.GetTypeUrl(), match.ErrUnsupported, info.routeURL)
	}
	return info.compileRoute(a)
}
