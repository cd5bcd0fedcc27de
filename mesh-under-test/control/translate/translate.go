package translate

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// SDS secret names the proxy resolves against Resources.Secrets (Istio's).
const (
	SecretCert  = xdsconfig.SecretCert  // the workload's certificate chain and key
	SecretRoots = xdsconfig.SecretRoots // the mesh's trust bundle
)

// ClusterName is the outbound cluster of a service (subset may be empty).
func ClusterName(service, subset string) string {
	if subset == "" {
		return "outbound|" + service
	}
	return "outbound|" + service + "|" + subset
}

// Proxy is the translated configuration of one proxy, with a content hash
// per resource type so callers can skip pushing unchanged types.
type Proxy struct {
	ID        string
	Identity  string
	Resources xdsconfig.Resources
	// Hashes maps an xDS type URL to a hash of that type's resources.
	Hashes map[string]uint64
	// Group is shared by proxies with the same egress: their load
	// assignments are the same values, in the same order.
	Group string
	// ClusterKey is shared by proxies whose clusters are the same values,
	// in the same order (same egress, same inbound cluster).
	ClusterKey string

	group *egressGroup
	own   map[string]map[string]string // per-proxy resource versions
}

// Versions returns per-resource versions (content hashes) of a type, which
// delta xDS compares to send only what changed. The map is shared and must
// not be modified.
func (p *Proxy) Versions(typeURL string) map[string]string {
	switch typeURL {
	case TypeEndpoint:
		return p.group.endpointVersions
	case TypeCluster:
		if len(p.own[TypeCluster]) == 0 {
			return p.group.clusterVersions
		}
		p.group.mu.Lock()
		defer p.group.mu.Unlock()
		m := p.group.withOwn[p.ClusterKey]
		if m == nil {
			m = maps.Clone(p.group.clusterVersions)
			maps.Copy(m, p.own[TypeCluster])
			p.group.withOwn[p.ClusterKey] = m
		}
		return m
	default:
		return p.own[typeURL]
	}
}

func (p *Proxy) version(typeURL, name string, h uint64) {
	m := p.own[typeURL]
	if m == nil {
		m = map[string]string{}
		p.own[typeURL] = m
	}
	m[name] = strconv.FormatUint(h, 36)
}

// egressGroup is what every proxy with the same egress shares.
type egressGroup struct {
	key                               string
	clusters                          []*clusterv3.Cluster
	endpoints                         []*endpointv3.ClusterLoadAssignment
	ch, eh                            hasher
	clusterVersions, endpointVersions map[string]string
	outbound                          map[meshconfig.Outbound]*outboundEntry
	mu                                sync.Mutex
	withOwn                           map[string]map[string]string // ClusterKey -> cluster versions
}

type outboundEntry struct {
	l      *listenerv3.Listener
	lHash  uint64
	rc     *routev3.RouteConfiguration
	rcHash uint64
}

// Build translates m (already normalized: Load does it) for every proxy.
func Build(m *meshconfig.Mesh) (map[string]*Proxy, error) {
	return (&Translator{}).Build(m)
}

// Translator translates repeatedly, reusing the resources of services
// whose inputs did not change since the previous Build: one endpoint flap
// in a mesh of a thousand services rebuilds one service. Build must not be
// called concurrently; the meshes passed in must not be modified after.
type Translator struct {
	cache map[string]*cachedService
}

// cachedService is one service's translation and the inputs it came from.
type cachedService struct {
	svc    *meshconfig.Service
	dest   *meshconfig.Destination
	routes *meshconfig.ServiceRoutes
	mtls   bool
	ids    []string
	via    string
	out    *serviceShared
}

// Build translates m for every proxy.
func (t *Translator) Build(m *meshconfig.Mesh) (map[string]*Proxy, error) {
	ix := newIndex(m)
	shared, err := t.buildShared(ix)
	if err != nil {
		return nil, err
	}
	groups := map[string]*egressGroup{}
	out := make(map[string]*Proxy, len(m.Proxies))
	for i := range m.Proxies {
		p, err := buildProxy(ix, shared, groups, &m.Proxies[i])
		if err != nil {
			return nil, fmt.Errorf("proxy %q: %w", m.Proxies[i].ID, err)
		}
		out[p.ID] = p
	}
	return out, nil
}

// index gives the policy of each service and facts derived from the mesh.
type index struct {
	mesh         *meshconfig.Mesh
	all          []string
	services     map[string]*meshconfig.Service
	dest         map[string]*meshconfig.Destination
	routes       map[string]*meshconfig.ServiceRoutes
	rateLimit    map[string]*meshconfig.RateLimit
	authz        map[string]*meshconfig.Authorization
	inboundAddrs map[string]string // proxy inbound address -> identity
	egressVia    map[string]string // service -> the egress gateway's address every other caller reaches it through
}

func newIndex(m *meshconfig.Mesh) *index {
	ix := &index{
		mesh:         m,
		services:     map[string]*meshconfig.Service{},
		dest:         map[string]*meshconfig.Destination{},
		routes:       map[string]*meshconfig.ServiceRoutes{},
		rateLimit:    map[string]*meshconfig.RateLimit{},
		authz:        map[string]*meshconfig.Authorization{},
		inboundAddrs: map[string]string{},
		egressVia:    map[string]string{},
	}
	for i := range m.Services {
		ix.services[m.Services[i].Name] = &m.Services[i]
	}
	pol := &m.Policy
	for i := range pol.Destinations {
		ix.dest[pol.Destinations[i].Service] = &pol.Destinations[i]
	}
	for i := range pol.Routes {
		ix.routes[pol.Routes[i].Service] = &pol.Routes[i]
	}
	for i := range pol.RateLimits {
		ix.rateLimit[pol.RateLimits[i].Service] = &pol.RateLimits[i]
	}
	for i := range pol.Authorization {
		ix.authz[pol.Authorization[i].Service] = &pol.Authorization[i]
	}
	for _, p := range m.Proxies {
		if p.Inbound != nil {
			ix.inboundAddrs[p.Inbound.Address] = p.Identity
		}
		if g := p.Gateway; g != nil && g.Mode == meshconfig.GatewayEgress {
			for _, s := range g.AllowedHosts {
				ix.egressVia[s] = g.Address
			}
		}
	}
	return ix
}

// mtlsTo reports whether calls to s use mTLS, and the identities its
// endpoints present: only when the mesh mode is not disable and every
// endpoint is a proxy's inbound listener, by its address or by the
// sidecar the registry names for it (auto-mTLS).
func (ix *index) mtlsTo(s *meshconfig.Service) (bool, []string) {
	if ix.mesh.Policy.MTLS == meshconfig.MTLSDisable || len(s.Endpoints) == 0 {
		return false, nil
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range s.Endpoints {
		id, ok := ix.inboundAddrs[e.Address]
		if e.Sidecar != "" {
			// A sidecar listening on every address of its pod: the
			// registry says which proxy serves the endpoint.
			p := ix.mesh.Proxy(e.Sidecar)
			ok = p != nil && p.Inbound != nil
			if ok {
				id = p.Identity
			}
		}
		if !ok {
			return false, nil
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return true, ids
}

// serviceShared holds what every caller of one service receives.
type serviceShared struct {
	clusters  []*clusterv3.Cluster
	endpoints []*endpointv3.ClusterLoadAssignment
	vhost     *routev3.VirtualHost
	hashes    []uint64 // of clusters and endpoints, in order
	vhostHash uint64
}

func (t *Translator) buildShared(ix *index) (map[string]*serviceShared, error) {
	out := make(map[string]*serviceShared, len(ix.services))
	next := make(map[string]*cachedService, len(ix.services))
	for name, s := range ix.services {
		mtls, ids := ix.mtlsTo(s)
		in := &cachedService{svc: s, dest: ix.dest[name], routes: ix.routes[name], mtls: mtls, ids: ids, via: ix.egressVia[name]}
		if c := t.cache[name]; c != nil && c.sameInputs(in) {
			in.out = c.out
		} else {
			sh, err := buildService(ix, s)
			if err != nil {
				return nil, fmt.Errorf("service %q: %w", name, err)
			}
			in.out = sh
		}
		next[name] = in
		out[name] = in.out
	}
	t.cache = next
	return out, nil
}

func (c *cachedService) sameInputs(o *cachedService) bool {
	return c.mtls == o.mtls && c.via == o.via && slices.Equal(c.ids, o.ids) && reflect.DeepEqual(c.svc, o.svc) &&
		reflect.DeepEqual(c.dest, o.dest) && reflect.DeepEqual(c.routes, o.routes)
}
