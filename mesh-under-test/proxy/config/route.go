package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"

	// previous_hosts has no settings, but a static file names its type in
	// typed_config, which must resolve.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
)

// defaultRouteTimeout is Envoy's default for a route without timeout.
const defaultRouteTimeout = 15 * time.Second

func (cc *compileCtx) compileRouteConfig(rc *routev3.RouteConfiguration, hx *hcmCtx) (*router.Table, error) {
	t := router.NewTable(rc.GetName())
	rcLevel, err := hx.chain.CompileLevel(rc.GetTypedPerFilterConfig())
	if err != nil {
		return nil, fmt.Errorf("route_configuration %q: %w", rc.GetName(), err)
	}
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
		vhLevel, err := hx.chain.CompileLevel(vh.GetTypedPerFilterConfig())
		if err != nil {
			return nil, fmt.Errorf("virtual_host %q: %w", vh.GetName(), err)
		}
		cvh := &router.VirtualHost{Name: vh.GetName()}
		for i, r := range vh.GetRoutes() {
			cr, err := cc.compileRoute(r, hx, vhLevel, rcLevel)
			if err != nil {
				return nil, fmt.Errorf("virtual_host %q route %d (%q): %w", vh.GetName(), i, r.GetName(), err)
			}
			if cr.Retry != nil {
				cr.Retry.BufferLimit = retryBufferLimit(r.GetPerRequestBufferLimitBytes(), vh.GetPerRequestBufferLimitBytes())
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

// compileRoute compiles one route; outer are the virtual host's and the
// route configuration's per-filter levels, most specific first.
func (cc *compileCtx) compileRoute(r *routev3.Route, hx *hcmCtx, outer ...filter.Level) (*router.Route, error) {
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
	routeLevel, err := hx.chain.CompileLevel(r.GetTypedPerFilterConfig())
	if err != nil {
		return nil, err
	}
	levels := append([]filter.Level{routeLevel}, outer...)
	out.Filters = hx.chain.Resolve(levels...)
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		if err := cc.compileAction(out, a.Route, hx, levels); err != nil {
			return nil, err
		}
	case *routev3.Route_DirectResponse:
		out.DirectStatus = int(a.DirectResponse.GetStatus())
		out.DirectBody = a.DirectResponse.GetBody().GetInlineString()
	default:
		return nil, fmt.Errorf("route action %T: %w", a, match.ErrUnsupported)
	}
	return out, nil
}

func (cc *compileCtx) compileAction(out *router.Route, a *routev3.RouteAction, hx *hcmCtx, levels []filter.Level) error {
	switch cs := a.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		c := cc.snap.Clusters[cs.Cluster]
		if c == nil {
			return fmt.Errorf("unknown cluster %q", cs.Cluster)
		}
		out.Clusters = []router.WeightedCluster{{Cluster: c, Weight: 1, Filters: out.Filters}}
	case *routev3.RouteAction_WeightedClusters:
		for _, wc := range cs.WeightedClusters.GetClusters() {
			c := cc.snap.Clusters[wc.GetName()]
			if c == nil {
				return fmt.Errorf("weighted_clusters: unknown cluster %q", wc.GetName())
			}
			if wc.GetWeight() == nil {
				return fmt.Errorf("weighted_clusters: cluster %q has no weight", wc.GetName())
			}
			wcLevel, err := hx.chain.CompileLevel(wc.GetTypedPerFilterConfig())
			if err != nil {
				return fmt.Errorf("weighted_clusters: cluster %q: %w", wc.GetName(), err)
			}
			out.Clusters = append(out.Clusters, router.WeightedCluster{Cluster: c, Weight: wc.GetWeight().GetValue(),
				Filters: hx.chain.Resolve(append([]filter.Level{wcLevel}, levels...)...)})
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
	var err error
	if out.Upgrades, err = routeUpgrades(hx.upgrades, a.GetUpgradeConfigs()); err != nil {
		return err
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
	on, err := resilience.ParseRetryOn(rp.GetRetryOn())
	if err != nil {
		return nil, fmt.Errorf("retry_on: %w: %w", err, match.ErrUnsupported)
	}
	p.On = on
	for _, c := range rp.GetRetriableStatusCodes() {
		p.RetriableCodes = append(p.RetriableCodes, int(c))
	}
	if b := rp.GetRetryBackOff(); b != nil {
		p.BaseInterval, p.MaxInterval = b.GetBaseInterval().AsDuration(), b.GetMaxInterval().AsDuration()
	}
	for _, hp := range rp.GetRetryHostPredicate() {
		if hp.GetName() != previousHostsName && hp.GetTypedConfig().GetTypeUrl() != previousHostsType {
			return nil, fmt.Errorf("retry_host_predicate %q: %w", hp.GetName(), match.ErrUnsupported)
		}
		p.AvoidTried = true
	}
	p.HostSelectionAttempts = int(min(rp.GetHostSelectionRetryMaxAttempts(), 16)) // more re-picks find nothing new
	return p, nil
}

// retryBufferLimit is the body a retry may replay: the route's
// per_request_buffer_limit_bytes, else its virtual host's, capped (as in
// Envoy) by the listener's buffer limit, which this proxy holds at Envoy's
// default, 1 MiB.
func retryBufferLimit(route, vhost *wrapperspb.UInt32Value) int64 {
	v := route
	if v == nil {
		v = vhost
	}
	if v == nil {
		return resilience.DefaultBufferLimit
	}
	return min(int64(v.GetValue()), resilience.DefaultBufferLimit)
}

// Envoy's previous_hosts retry host predicate, by name or by the type of
// its (empty) typed config.
const (
	previousHostsName = "envoy.retry_host_predicates.previous_hosts"
	previousHostsType = "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
)

// routeUpgrades lists the upgrade types a route allows: those the HCM
// lists, enabled by the route's own upgrade_configs entry when it has one
// and by the HCM's otherwise (Envoy's rule: a type the HCM does not list
// is refused whatever the route says).
func routeUpgrades(hcm map[string]bool, route []*routev3.RouteAction_UpgradeConfig) ([]string, error) {
	var out []string
	override := map[string]bool{}
	for _, u := range route {
		if u.GetConnectConfig() != nil {
			return nil, fmt.Errorf("upgrade_configs %q connect_config: %w", u.GetUpgradeType(), match.ErrUnsupported)
		}
		override[strings.ToLower(u.GetUpgradeType())] = u.GetEnabled() == nil || u.GetEnabled().GetValue()
	}
	for t, enabled := range hcm {
		if v, ok := override[t]; ok {
			enabled = v
		}
		if enabled {
			out = append(out, t)
		}
	}
	return out, nil
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
