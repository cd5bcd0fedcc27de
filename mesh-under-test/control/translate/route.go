package translate

import (
	"fmt"
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonfaultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// HTTP filter names, as Envoy registers them.
const (
	FilterFault     = "envoy.filters.http.fault"
	FilterRateLimit = "envoy.filters.http.local_ratelimit"
	FilterRBAC      = "envoy.filters.http.rbac"
	// FilterRBACDeny is a second RBAC filter, before FilterRBAC, holding a
	// service's deny rules (as Istio runs DENY policies before ALLOW).
	FilterRBACDeny = "envoy.filters.http.rbac.deny"
	FilterRouter   = "envoy.filters.http.router"
)

// PredicatePreviousHosts is Envoy's retry host predicate that rejects the
// hosts a request already tried; hostSelectionRetryMaxAttempts is
// Istio's host_selection_retry_max_attempts beside it.
const (
	PredicatePreviousHosts        = "envoy.retry_host_predicates.previous_hosts"
	hostSelectionRetryMaxAttempts = 5
)

// domains are the host names callers may use for a service: its short
// name and its cluster-local name, with and without the port (every
// caller receives these for every service it may call, so they are kept
// few).
func domains(s *meshconfig.Service) []string {
	base := []string{s.Name, s.Name + "." + s.Namespace + ".svc.cluster.local"}
	out := append([]string(nil), base...)
	if s.Port > 0 {
		for _, b := range base {
			out = append(out, fmt.Sprintf("%s:%d", b, s.Port))
		}
	}
	return out
}

// virtualHost is the outbound virtual host of a service: its routing rules
// followed by a catch-all route to the whole service.
func virtualHost(ix *index, s *meshconfig.Service) (*routev3.VirtualHost, error) {
	vh := &routev3.VirtualHost{Name: s.Name, Domains: domains(s)}
	if sr := ix.routes[s.Name]; sr != nil {
		for i, rule := range sr.Rules {
			r, err := route(s, fmt.Sprintf("%s-%d", s.Name, i), rule)
			if err != nil {
				return nil, err
			}
			vh.Routes = append(vh.Routes, r)
		}
	}
	vh.Routes = append(vh.Routes, &routev3.Route{
		Name:   s.Name + "-default",
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: ClusterName(s.Name, "")}, Timeout: noTimeout()}},
	})
	return vh, nil
}

func route(s *meshconfig.Service, name string, rule meshconfig.Rule) (*routev3.Route, error) {
	m := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	switch {
	case rule.Match.Path != "":
		m.PathSpecifier = &routev3.RouteMatch_Path{Path: rule.Match.Path}
	case rule.Match.PathPrefix != "":
		m.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: rule.Match.PathPrefix}
	}
	hdrs := make([]string, 0, len(rule.Match.Headers))
	for k := range rule.Match.Headers {
		hdrs = append(hdrs, k)
	}
	sort.Strings(hdrs)
	for _, k := range hdrs {
		m.Headers = append(m.Headers, exactHeader(k, rule.Match.Headers[k]))
	}
	if rule.Match.Method != "" {
		m.Headers = append(m.Headers, exactHeader(":method", rule.Match.Method))
	}
	a := &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: ClusterName(s.Name, "")}}
	if len(rule.Split) > 0 {
		wc := &routev3.WeightedCluster{}
		for _, w := range rule.Split {
			wc.Clusters = append(wc.Clusters, &routev3.WeightedCluster_ClusterWeight{Name: ClusterName(s.Name, w.Subset), Weight: wrapperspb.UInt32(w.Weight)})
		}
		a.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
	}
	a.Timeout = noTimeout()
	if rule.Timeout > 0 {
		a.Timeout = durationpb.New(rule.Timeout.D())
	}
	if rt := rule.Retries; rt != nil {
		on := rt.On
		if on == "" {
			on = "5xx,connect-failure,reset"
		}
		a.RetryPolicy = &routev3.RetryPolicy{RetryOn: on, NumRetries: wrapperspb.UInt32(rt.Attempts), PerTryTimeout: dur(rt.PerTryTimeout),
			// As Istio does for every retry policy (it has no knob for it):
			// a retry goes to a host not tried yet when the balancer finds
			// one within 5 re-picks.
			RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{Name: PredicatePreviousHosts,
				ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: mustAny(&previoushostsv3.PreviousHostsPredicate{})}}},
			HostSelectionRetryMaxAttempts: hostSelectionRetryMaxAttempts,
		}
	}
	r := &routev3.Route{Name: name, Match: m, Action: &routev3.Route_Route{Route: a}}
	if f := rule.Fault; f != nil {
		r.TypedPerFilterConfig = map[string]*anypb.Any{FilterFault: mustAny(fault(f))}
	}
	return r, nil
}

// noTimeout disables Envoy's default 15 s route timeout: like Istio, the
// mesh adds no timeout a policy did not ask for.
func noTimeout() *durationpb.Duration { return durationpb.New(0) }

func exactHeader(name, value string) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: value}},
	}}
}

// percent expresses p% exactly enough (per million).
func percent(p float64) *typev3.FractionalPercent {
	return &typev3.FractionalPercent{Numerator: uint32(p * 10000), Denominator: typev3.FractionalPercent_MILLION}
}

func fault(f *meshconfig.Fault) *faultv3.HTTPFault {
	out := &faultv3.HTTPFault{}
	if d := f.Delay; d != nil {
		out.Delay = &commonfaultv3.FaultDelay{
			FaultDelaySecifier: &commonfaultv3.FaultDelay_FixedDelay{FixedDelay: durationpb.New(d.Duration.D())},
			Percentage:         percent(d.Percent),
		}
	}
	if a := f.Abort; a != nil {
		out.Abort = &faultv3.FaultAbort{
			ErrorType:  &faultv3.FaultAbort_HttpStatus{HttpStatus: a.Status},
			Percentage: percent(a.Percent),
		}
	}
	return out
}

// usesFault reports whether any virtual host routes with a fault.
func usesFault(vhs []*routev3.VirtualHost) bool {
	for _, vh := range vhs {
		for _, r := range vh.Routes {
			if _, ok := r.TypedPerFilterConfig[FilterFault]; ok {
				return true
			}
		}
	}
	return false
}

// localRateLimit is a token bucket refilled every 100 ms (or less often for
// rates under 10/s), so a rate holds within one refill.
func localRateLimit(r *meshconfig.RateLimit) *ratelimitv3.LocalRateLimit {
	per := uint32(r.RequestsPerSecond/10 + 0.5)
	if per == 0 {
		per = 1
	}
	interval := float64(per) / r.RequestsPerSecond
	burst := r.Burst
	if burst < per {
		burst = per
	}
	full := &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}}
	return &ratelimitv3.LocalRateLimit{
		StatPrefix: "local_rate_limit",
		TokenBucket: &typev3.TokenBucket{
			MaxTokens:     burst,
			TokensPerFill: wrapperspb.UInt32(per),
			FillInterval:  durationpb.New(secondsDur(interval)),
		},
		FilterEnabled:  full,
		FilterEnforced: full,
	}
}

// rbacPerRoute is the RBAC of one authorization entry's rules: with
// action ALLOW, what any rule matches is allowed and the rest denied; with
// DENY, what any rule matches is denied.
func rbacPerRoute(service, kind string, rules []meshconfig.AuthzRule, action rbacv3.RBAC_Action) *rbacfilterv3.RBACPerRoute {
	pols := map[string]*rbacv3.Policy{}
	for i, rule := range rules {
		p := &rbacv3.Policy{}
		if len(rule.From) == 0 {
			p.Principals = []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}}
		}
		for _, id := range rule.From {
			p.Principals = append(p.Principals, &rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{
				PrincipalName: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: id}},
			}}})
		}
		var and []*rbacv3.Permission
		if len(rule.Paths) > 0 {
			var or []*rbacv3.Permission
			for _, path := range rule.Paths {
				or = append(or, &rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{Rule: &matcherv3.PathMatcher_Path{
					Path: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: path}},
				}}}})
			}
			and = append(and, &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: or}}})
		}
		if len(rule.Methods) > 0 {
			var or []*rbacv3.Permission
			for _, m := range rule.Methods {
				or = append(or, &rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: exactHeader(":method", m)}})
			}
			and = append(and, &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: or}}})
		}
		if len(and) == 0 {
			p.Permissions = []*rbacv3.Permission{{Rule: &rbacv3.Permission_Any{Any: true}}}
		} else {
			p.Permissions = []*rbacv3.Permission{{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: and}}}}
		}
		pols[fmt.Sprintf("%s-%s-%d", service, kind, i)] = p
	}
	return &rbacfilterv3.RBACPerRoute{Rbac: &rbacfilterv3.RBAC{Rules: &rbacv3.RBAC{Action: action, Policies: pols}}}
}
