package dataplane

import (
	"net/http"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// admission is the outcome of the admission step: a local reply (status >
// 0), or the route and cluster to forward to with the cluster's request
// breaker held (the caller releases it).
type admission struct {
	route   *router.Route
	cluster *upstream.Cluster
	// target is the request target to forward: the normalised path when
	// normalisation changed it (a.Path is set to it too).
	target    []byte
	status    int
	body, why string
	// waited: admission slept (a fault filter's delay), so the time
	// passed to admit is stale for what follows.
	waited bool
}

// admit is the one admission step of HTTP/1.1 and HTTP/2, in Envoy's
// order: path normalisation, route match, upgrade check, the HCM's HTTP
// filters (RBAC, local rate limit, fault, in the configured order), direct
// response, circuit breaker. upgrade is the Upgrade header's value when the
// request has one. scratch is reused for a normalised path (HTTP/1.1 keeps
// one per connection); the grown buffer is returned.
func (p *Proxy) admit(hc *config.HTTP, a *match.Attrs, upgrade []byte, scratch []byte, now time.Time) (admission, []byte) {
	ad, scratch, delay := p.admitHead(hc, a, upgrade, scratch, now)
	if delay > 0 {
		time.Sleep(delay)
	}
	ad = p.admitTail(ad)
	ad.waited = delay > 0
	return ad, scratch
}

// admitHead runs admission up to the HTTP filters; the fault filter's
// delay is returned for the caller to wait (the lean h2 path waits on its
// own goroutine) before admitTail.
func (p *Proxy) admitHead(hc *config.HTTP, a *match.Attrs, upgrade []byte, scratch []byte, now time.Time) (admission, []byte, time.Duration) {
	target, ok := hc.Path.Apply(scratch, a.Path)
	if !ok {
		return admission{status: 400, body: "invalid path\n", why: "invalid_path"}, scratch, 0
	}
	if len(target) > 0 && len(a.Path) > 0 && &target[0] != &a.Path[0] {
		scratch = target
	}
	a.Path = target
	route := hc.Routes.Match(a)
	if route == nil {
		return admission{status: 404, body: "no route\n", why: "no_route"}, scratch, 0
	}
	if upgrade != nil && !route.AllowsUpgrade(upgrade) {
		return admission{status: 403, body: "upgrade not allowed\n", why: "upgrade_failed"}, scratch, 0
	}
	wc := route.PickTarget()
	filters := route.Filters
	if wc != nil {
		filters = wc.Filters
	}
	d := filters.Admit(a, now.UnixNano())
	if d.Status > 0 {
		// the fault's abort answers after its delay, as before
		return admission{status: d.Status, body: d.Body, why: d.Why}, scratch, d.Delay
	}
	ad := admission{route: route, target: target}
	if wc != nil {
		ad.cluster = wc.Cluster
	}
	return ad, scratch, d.Delay
}

// admitTail is the rest of admission after the filters (and their delay):
// direct response, injected errors, the request breaker.
func (p *Proxy) admitTail(ad admission) admission {
	if ad.status > 0 {
		return ad
	}
	route := ad.route
	if route.DirectStatus > 0 {
		return admission{status: route.DirectStatus, body: route.DirectBody, why: "direct_response"}
	}
	if p.opts.Inject.Request() {
		return admission{status: 503, body: "injected error\n", why: "injected"}
	}
	if !ad.cluster.Breakers.AcquireRequest() {
		p.metrics.Overflows.WithLabelValues(ad.cluster.Name, "max_requests").Inc()
		return admission{status: 503, body: "upstream overflow\n", why: "overflow"}
	}
	return ad
}

// reason is the reason phrase of a local reply.
func reason(status int) string {
	if s := http.StatusText(status); s != "" {
		return s
	}
	return "Local Reply"
}

// h1Headers shows an HTTP/1.1 request's fields to matchers: every value of
// a repeated field joined with ",", as Envoy's matchers read it (the first
// value alone would let a second one slip past a rule). Joined values are
// appended to buf, reset per request, so earlier results stay valid.
type h1Headers struct {
	req *http1.Request
	buf []byte
}

func (x *h1Headers) Get(name string) ([]byte, bool) {
	var first []byte
	found, start := 0, 0
	for i := range x.req.Fields {
		f := &x.req.Fields[i]
		if !http1.EqualFold(f.Name, name) {
			continue
		}
		switch found {
		case 0:
			first = f.Value
		case 1:
			start = len(x.buf)
			x.buf = append(append(append(x.buf, first...), ','), f.Value...)
		default:
			x.buf = append(append(x.buf, ','), f.Value...)
		}
		found++
	}
	if found > 1 {
		return x.buf[start:len(x.buf):len(x.buf)], true
	}
	return first, found == 1
}
