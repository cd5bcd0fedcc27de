package router

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// PathKind says how a route's path is matched.
type PathKind uint8

// Path match kinds (Envoy's RouteMatch path_specifier).
const (
	Prefix PathKind = iota
	Exact
	PathSeparatedPrefix
)

// WeightedCluster is one target of a split.
type WeightedCluster struct {
	Cluster *upstream.Cluster
	Weight  uint32
	// Filters are the HTTP filters in effect when this cluster is picked
	// (its typed_per_filter_config over the route's).
	Filters filter.List
	cum     uint32
}

// Route is one compiled route.
type Route struct {
	Name          string
	Kind          PathKind
	Path          string
	CaseSensitive bool
	Headers       []match.Header

	Clusters []WeightedCluster
	total    uint32
	// DirectStatus > 0 answers locally (direct_response) with DirectBody.
	DirectStatus int
	DirectBody   string

	Timeout   time.Duration // 0: none
	Retry     *resilience.RetryPolicy
	ReqEdits  *http1.Edits
	RespEdits *http1.Edits
	// Filters are the HTTP filters in effect for this route, each from the
	// most specific level that configures it.
	Filters filter.List
	// Upgrades are the upgrade types (lower case) this route allows.
	Upgrades []string
}

// Finish prepares the weighted split; call once after filling Clusters.
func (r *Route) Finish() {
	var cum uint32
	for i := range r.Clusters {
		cum += r.Clusters[i].Weight
		r.Clusters[i].cum = cum
	}
	r.total = cum
}

// Pick chooses the target cluster by weight.
func (r *Route) Pick() *upstream.Cluster {
	if wc := r.PickTarget(); wc != nil {
		return wc.Cluster
	}
	return nil
}

// PickTarget chooses the weighted cluster (and so its filters) by weight.
func (r *Route) PickTarget() *WeightedCluster {
	switch len(r.Clusters) {
	case 0:
		return nil
	case 1:
		return &r.Clusters[0]
	}
	x := rand.Uint32N(r.total)
	for i := range r.Clusters {
		if x < r.Clusters[i].cum {
			return &r.Clusters[i]
		}
	}
	return &r.Clusters[len(r.Clusters)-1]
}

// AllowsUpgrade reports whether the route allows an upgrade to typ.
func (r *Route) AllowsUpgrade(typ []byte) bool {
	for _, u := range r.Upgrades {
		if http1.EqualFold(typ, u) {
			return true
		}
	}
	return false
}

func (r *Route) matchPath(p []byte) bool {
	if i := indexQuery(p); i >= 0 {
		p = p[:i]
	}
	v := r.Path
	switch r.Kind {
	case Exact:
		return len(p) == len(v) && eqPath(p, v, r.CaseSensitive)
	case PathSeparatedPrefix:
		if len(p) < len(v) || !eqPath(p[:len(v)], v, r.CaseSensitive) {
			return false
		}
		return len(p) == len(v) || p[len(v)] == '/'
	default:
		return len(p) >= len(v) && eqPath(p[:len(v)], v, r.CaseSensitive)
	}
}

func indexQuery(p []byte) int {
	for i, c := range p {
		if c == '?' {
			return i
		}
	}
	return -1
}

func eqPath(b []byte, v string, caseSensitive bool) bool {
	if caseSensitive {
		return string(b) == v
	}
	return http1.EqualFold(b, v) // v is lower-cased at compile time
}

// Matches tests the route against a request.
func (r *Route) Matches(a *match.Attrs) bool {
	if !r.matchPath(a.Path) {
		return false
	}
	for i := range r.Headers {
		if !r.Headers[i].Match(a) {
			return false
		}
	}
	return true
}

// VirtualHost is a named group of routes.
type VirtualHost struct {
	Name   string
	Routes []*Route
}

type wildcard struct {
	pattern string // ".example.com" for *.example.com, "api." for api.*
	vh      *VirtualHost
}

// Table is a compiled RouteConfiguration.
type Table struct {
	Name     string
	exact    map[string]*VirtualHost
	suffixes []wildcard
	prefixes []wildcard
	any      *VirtualHost
}

// NewTable returns an empty table; add hosts with AddVirtualHost.
func NewTable(name string) *Table { return &Table{Name: name, exact: map[string]*VirtualHost{}} }

// AddVirtualHost registers vh for its domains (lower-cased). It reports a
// domain claimed twice, which Envoy also rejects.
func (t *Table) AddVirtualHost(vh *VirtualHost, domains []string) (dup string, ok bool) {
	for _, d := range domains {
		d = strings.ToLower(d)
		switch {
		case d == "*":
			if t.any != nil {
				return d, false
			}
			t.any = vh
		case strings.HasPrefix(d, "*"):
			t.suffixes = append(t.suffixes, wildcard{d[1:], vh})
		case strings.HasSuffix(d, "*"):
			t.prefixes = append(t.prefixes, wildcard{d[:len(d)-1], vh})
		default:
			if t.exact[d] != nil {
				return d, false
			}
			t.exact[d] = vh
		}
	}
	// longest wildcard wins, as in Envoy
	sortByLen(t.suffixes)
	sortByLen(t.prefixes)
	return "", true
}

func sortByLen(w []wildcard) {
	for i := 1; i < len(w); i++ {
		for j := i; j > 0 && len(w[j].pattern) > len(w[j-1].pattern); j-- {
			w[j], w[j-1] = w[j-1], w[j]
		}
	}
}

// VirtualHostFor finds the virtual host for an authority.
func (t *Table) VirtualHostFor(authority []byte) *VirtualHost {
	var buf [256]byte
	host := authority
	if len(host) <= len(buf) {
		n := 0
		for _, c := range host {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
			n++
		}
		host = buf[:n]
	}
	if vh := t.exact[string(host)]; vh != nil {
		return vh
	}
	if i := lastColon(host); i > 0 {
		host = host[:i]
		if vh := t.exact[string(host)]; vh != nil {
			return vh
		}
	}
	for _, w := range t.suffixes {
		if len(host) > len(w.pattern) && string(host[len(host)-len(w.pattern):]) == w.pattern {
			return w.vh
		}
	}
	for _, w := range t.prefixes {
		if len(host) > len(w.pattern) && string(host[:len(w.pattern)]) == w.pattern {
			return w.vh
		}
	}
	return t.any
}

func lastColon(h []byte) int {
	for i := len(h) - 1; i >= 0; i-- {
		switch h[i] {
		case ':':
			return i
		case ']':
			return -1 // IPv6 literal without port
		}
	}
	return -1
}

// Match returns the first matching route, or nil (404).
func (t *Table) Match(a *match.Attrs) *Route {
	vh := t.VirtualHostFor(a.Authority)
	if vh == nil {
		return nil
	}
	for _, r := range vh.Routes {
		if r.Matches(a) {
			return r
		}
	}
	return nil
}

// EachRoute calls fn for every route of every virtual host (a host listed
// under several domains is visited once per listing).
func (t *Table) EachRoute(fn func(*Route)) {
	visit := func(vh *VirtualHost) {
		if vh == nil {
			return
		}
		for _, r := range vh.Routes {
			fn(r)
		}
	}
	for _, vh := range t.exact {
		visit(vh)
	}
	for _, w := range t.suffixes {
		visit(w.vh)
	}
	for _, w := range t.prefixes {
		visit(w.vh)
	}
	visit(t.any)
}
