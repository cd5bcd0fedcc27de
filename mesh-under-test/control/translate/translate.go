package translate

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// SDS secret names the proxy resolves against Resources.Secrets (Istio's).
const (
	SecretCert  = "default" // the workload's certificate chain and key
	SecretRoots = "ROOTCA"  // the mesh's trust bundle
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
}

// Build translates m (already normalized: Load does it) for every proxy.
func Build(m *meshconfig.Mesh) (map[string]*Proxy, error) {
	ix := newIndex(m)
	shared, err := buildShared(ix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Proxy, len(m.Proxies))
	for i := range m.Proxies {
		p, err := buildProxy(ix, shared, &m.Proxies[i])
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
	services     map[string]*meshconfig.Service
	dest         map[string]*meshconfig.Destination
	routes       map[string]*meshconfig.ServiceRoutes
	rateLimit    map[string]*meshconfig.RateLimit
	authz        map[string]*meshconfig.Authorization
	inboundAddrs map[string]string // proxy inbound address -> identity
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
	}
	return ix
}

// mtlsTo reports whether calls to s use mTLS, and the identities its
// endpoints present: only when the mesh mode is not disable and every
// endpoint is a proxy's inbound listener (auto-mTLS).
func (ix *index) mtlsTo(s *meshconfig.Service) (bool, []string) {
	if ix.mesh.Policy.MTLS == meshconfig.MTLSDisable || len(s.Endpoints) == 0 {
		return false, nil
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range s.Endpoints {
		id, ok := ix.inboundAddrs[e.Address]
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

func buildShared(ix *index) (map[string]*serviceShared, error) {
	out := make(map[string]*serviceShared, len(ix.services))
	for name, s := range ix.services {
		sh, err := buildService(ix, s)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		out[name] = sh
	}
	return out, nil
}

// egress lists the services a proxy may call, sorted.
func egress(ix *index, p *meshconfig.Proxy) []string {
	all := len(p.Egress) == 0
	set := map[string]bool{}
	for _, e := range p.Egress {
		if e == "*" {
			all = true
		}
		set[e] = true
	}
	for _, o := range p.Outbound {
		if o.Service != "" {
			set[o.Service] = true
		}
	}
	var names []string
	for name := range ix.services {
		if all || set[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func buildProxy(ix *index, shared map[string]*serviceShared, p *meshconfig.Proxy) (*Proxy, error) {
	out := &Proxy{ID: p.ID, Identity: p.Identity, Hashes: map[string]uint64{}}
	r := &out.Resources
	names := egress(ix, p)
	var ch, eh hasher
	for _, name := range names {
		sh := shared[name]
		r.Clusters = append(r.Clusters, sh.clusters...)
		r.Endpoints = append(r.Endpoints, sh.endpoints...)
		for i := range sh.clusters {
			ch.add(sh.hashes[i])
		}
		for i := range sh.endpoints {
			eh.add(sh.hashes[len(sh.clusters)+i])
		}
	}
	var lh, rh hasher
	for _, o := range p.Outbound {
		l, rc, rcHash, err := outbound(ix, shared, names, o)
		if err != nil {
			return nil, err
		}
		r.Listeners = append(r.Listeners, l)
		lh.add(hashProto(l))
		if rc != nil {
			r.Routes = append(r.Routes, rc)
			rh.add(rcHash)
		}
	}
	if p.Inbound != nil {
		ib, err := inbound(ix, p)
		if err != nil {
			return nil, err
		}
		r.Listeners = append(r.Listeners, ib.listener)
		lh.add(hashProto(ib.listener))
		r.Clusters = append(r.Clusters, ib.cluster)
		ch.add(hashProto(ib.cluster))
		if ib.route != nil {
			r.Routes = append(r.Routes, ib.route)
			rh.add(hashProto(ib.route))
		}
	}
	out.Hashes[TypeListener] = lh.sum()
	out.Hashes[TypeRoute] = rh.sum()
	out.Hashes[TypeCluster] = ch.sum()
	out.Hashes[TypeEndpoint] = eh.sum()
	return out, nil
}

// listenerName names a listener (and its route configuration) after its
// direction and address, e.g. "outbound_127.0.0.1_15001".
func listenerName(dir, addr string) string {
	return dir + "_" + strings.NewReplacer(":", "_", "[", "", "]", "").Replace(addr)
}

func splitAddr(addr string) (string, uint32, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: %w", addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: port: %w", addr, err)
	}
	return host, uint32(n), nil
}
