package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/authz"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
)

// defaultRouteTimeout is Envoy's default for a route without timeout.
const defaultRouteTimeout = 15 * time.Second

func (cc *compileCtx) compileRouteConfig(rc *routev3.RouteConfiguration) (*router.Table, error) {
	t := router.NewTable(rc.GetName())
	cfgReq, cfgResp, err := edits(rc.GetRequestHeadersToAdd(), rc.GetRequestHeadersToRemove(),
		rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove())
	if err != nil {
		return nil, fmt.Errorf("route_configuration %q: %w", rc.GetName(), err)
	}
	for _, vh := range rc.GetVirtualHosts() {
		vreq, vresp, err := edits(vh.GetRequestHeadersToAdd(), vh.GetRequestHeadersToRemove(),
			vh.GetResponseHeadersToAdd(), vh.GetResponseHeadersToRemove())
		if err != nil {
			return nil, fmt.Errorf("virtual_host %q: %w", vh.GetName(), err)
		}
		cvh := &router.VirtualHost{Name: vh.GetName()}
		for i, r := range vh.GetRoutes() {
			cr, err := cc.compileRoute(r)
			if err != nil {
				return nil, fmt.Errorf("virtual_host %q route %d (%q): %w", vh.GetName(), i, r.GetName(), err)
			}
			// Envoy applies route, then virtual host, then route config edits.
			cr.ReqEdits = mergeEdits(cr.ReqEdits, vreq, cfgReq)
			cr.RespEdits = mergeEdits(cr.RespEdits, vresp, cfgResp)
			cvh.Routes = append(cvh.Routes, cr)
		}
		if dup, ok := t.AddVirtualHost(cvh, vh.GetDomains()); !ok {
			return nil, fmt.Errorf("route_configuration %q: domain %q in more than one virtual host", rc.GetName(), dup)
		}
	}
	return t, nil
}

func (cc *compileCtx) compileRoute(r *routev3.Route) (*router.Route, error) {
	m := r.GetMatch()
	out := &router.Route{Name: r.GetName(), CaseSensitive: m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()}
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		out.Kind, out.Path = router.Prefix, p.Prefix
	case *routev3.RouteMatch_Path:
		out.Kind, out.Path = router.Exact, p.Path
	case *routev3.RouteMatch_PathSeparatedPrefix:
		out.Kind, out.Path = router.PathSeparatedPrefix, p.PathSeparatedPrefix
	default:
		return nil, fmt.Errorf("path specifier %T: %w (regex is not allowed on the hot path)", p, match.ErrUnsupported)
	}
	if !out.CaseSensitive {
		out.Path = strings.ToLower(out.Path)
	}
	for _, h := range m.GetHeaders() {
		hm, err := match.CompileHeader(h)
		if err != nil {
			return nil, err
		}
		out.Headers = append(out.Headers, hm)
	}
	if len(m.GetQueryParameters()) > 0 {
		return nil, fmt.Errorf("query_parameters: %w", match.ErrUnsupported)
	}
	var err error
	out.ReqEdits, out.RespEdits, err = edits(r.GetRequestHeadersToAdd(), r.GetRequestHeadersToRemove(),
		r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove())
	if err != nil {
		return nil, err
	}
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		if err := cc.compileAction(out, a.Route); err != nil {
			return nil, err
		}
	case *routev3.Route_DirectResponse:
		out.DirectStatus = int(a.DirectResponse.GetStatus())
		out.DirectBody = a.DirectResponse.GetBody().GetInlineString()
	default:
		return nil, fmt.Errorf("route action %T: %w", a, match.ErrUnsupported)
	}
	if err := compilePerFilter(out, r.GetTypedPerFilterConfig()); err != nil {
		return nil, err
	}
	return out, nil
}

func (cc *compileCtx) compileAction(out *router.Route, a *routev3.RouteAction) error {
	switch cs := a.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		c := cc.snap.Clusters[cs.Cluster]
		if c == nil {
			return fmt.Errorf("unknown cluster %q", cs.Cluster)
		}
		out.Clusters = []router.WeightedCluster{{Cluster: c, Weight: 1}}
	case *routev3.RouteAction_WeightedClusters:
		for _, wc := range cs.WeightedClusters.GetClusters() {
			c := cc.snap.Clusters[wc.GetName()]
			if c == nil {
				return fmt.Errorf("weighted_clusters: unknown cluster %q", wc.GetName())
			}
			if wc.GetWeight() == nil {
				return fmt.Errorf("weighted_clusters: cluster %q has no weight", wc.GetName())
			}
			out.Clusters = append(out.Clusters, router.WeightedCluster{Cluster: c, Weight: wc.GetWeight().GetValue()})
		}
	default:
		return fmt.Errorf("cluster specifier %T: %w", cs, match.ErrUnsupported)
	}
	out.Finish()
	var total uint64
	for _, wc := range out.Clusters {
		total += uint64(wc.Weight)
	}
	if total == 0 || total > 1<<31 {
		return fmt.Errorf("weighted_clusters: total weight %d must be in 1..2^31", total)
	}
	out.Timeout = defaultRouteTimeout
	if a.GetTimeout() != nil {
		out.Timeout = a.GetTimeout().AsDuration()
	}
	if rp := a.GetRetryPolicy(); rp != nil {
		p, err := compileRetry(rp)
		if err != nil {
			return err
		}
		out.Retry = p
	}
	return nil
}

func compileRetry(rp *routev3.RetryPolicy) (*resilience.RetryPolicy, error) {
	p := &resilience.RetryPolicy{NumRetries: 1, PerTryTimeout: rp.GetPerTryTimeout().AsDuration()}
	if v := rp.GetNumRetries(); v != nil {
		p.NumRetries = int(v.GetValue())
	}
	for _, on := range strings.Split(rp.GetRetryOn(), ",") {
		switch strings.TrimSpace(on) {
		case "":
		case "5xx":
			p.On |= resilience.On5xx
		case "gateway-error":
			p.On |= resilience.OnGatewayError
		case "connect-failure":
			p.On |= resilience.OnConnectFailure
		case "reset":
			p.On |= resilience.OnReset
		case "retriable-status-codes":
			p.On |= resilience.OnRetriableCodes
		default:
			return nil, fmt.Errorf("retry_on %q: %w", on, match.ErrUnsupported)
		}
	}
	for _, c := range rp.GetRetriableStatusCodes() {
		p.RetriableCodes = append(p.RetriableCodes, int(c))
	}
	if b := rp.GetRetryBackOff(); b != nil {
		p.BaseInterval, p.MaxInterval = b.GetBaseInterval().AsDuration(), b.GetMaxInterval().AsDuration()
	}
	return p, nil
}

// compilePerFilter reads typed_per_filter_config, keyed by filter name and
// recognized by its type.
func compilePerFilter(out *router.Route, m map[string]*anypb.Any) error {
	for name, a := range m {
		var err error
		switch a.GetTypeUrl() {
		case typeFault:
			var f *faultv3.HTTPFault
			if f, err = unpack[faultv3.HTTPFault](a); err == nil {
				out.Fault, err = compileFault(f)
			}
		case typeLRL:
			var l *lrlv3.LocalRateLimit
			if l, err = unpack[lrlv3.LocalRateLimit](a); err == nil {
				out.RateLimit, err = compileRateLimit(l)
			}
		case typeRBACPR:
			var r *rbacfilter.RBACPerRoute
			if r, err = unpack[rbacfilter.RBACPerRoute](a); err == nil {
				out.RBAC, err = authz.Compile(r.GetRbac())
				out.RBACSet = true
			}
		default:
			err = match.ErrUnsupported
		}
		if err != nil {
			return fmt.Errorf("typed_per_filter_config %q (%s): %w", name, a.GetTypeUrl(), err)
		}
	}
	return nil
}

func edits(reqAdd []*corev3.HeaderValueOption, reqRemove []string, respAdd []*corev3.HeaderValueOption, respRemove []string) (*http1.Edits, *http1.Edits, error) {
	req, err := compileEdits(reqAdd, reqRemove)
	if err != nil {
		return nil, nil, fmt.Errorf("request headers: %w", err)
	}
	resp, err := compileEdits(respAdd, respRemove)
	if err != nil {
		return nil, nil, fmt.Errorf("response headers: %w", err)
	}
	return req, resp, nil
}

func compileEdits(add []*corev3.HeaderValueOption, remove []string) (*http1.Edits, error) {
	if len(add) == 0 && len(remove) == 0 {
		return nil, nil
	}
	e := &http1.Edits{}
	for _, r := range remove {
		e.Remove = append(e.Remove, strings.ToLower(r))
	}
	for _, o := range add {
		kv := http1.KV{Name: o.GetHeader().GetKey(), Value: o.GetHeader().GetValue()}
		if kv.Name == "" || strings.HasPrefix(kv.Name, ":") {
			return nil, errors.New("header to add needs a regular (non-pseudo) name")
		}
		action := o.GetAppendAction()
		if o.GetAppend() != nil && !o.GetAppend().GetValue() { //nolint:staticcheck // legacy field
			action = corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
		}
		switch action {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
			e.Append = append(e.Append, kv)
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			e.Set = append(e.Set, kv)
		case corev3.HeaderValueOption_ADD_IF_ABSENT:
			kv.Name = strings.ToLower(kv.Name)
			e.AddIfAbsent = append(e.AddIfAbsent, kv)
		default:
			return nil, fmt.Errorf("append_action %v: %w", action, match.ErrUnsupported)
		}
	}
	return e, nil
}

// mergeEdits concatenates edit sets, most specific first.
func mergeEdits(sets ...*http1.Edits) *http1.Edits {
	var out *http1.Edits
	for _, s := range sets {
		if s == nil {
			continue
		}
		if out == nil {
			out = &http1.Edits{}
		}
		out.Remove = append(out.Remove, s.Remove...)
		out.Set = append(out.Set, s.Set...)
		out.Append = append(out.Append, s.Append...)
		out.AddIfAbsent = append(out.AddIfAbsent, s.AddIfAbsent...)
	}
	return out
}
