package translate

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

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
	if p.Gateway != nil {
		for _, s := range p.Gateway.Services() {
			set[s] = true
		}
	}
	if all {
		return ix.allNames()
	}
	var names []string
	for name := range set {
		if _, ok := ix.services[name]; ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// allNames lists every service, sorted, computed once per build.
func (ix *index) allNames() []string {
	if ix.all == nil {
		ix.all = make([]string, 0, len(ix.services))
		for name := range ix.services {
			ix.all = append(ix.all, name)
		}
		sort.Strings(ix.all)
	}
	return ix.all
}

func group(shared map[string]*serviceShared, groups map[string]*egressGroup, names []string) *egressGroup {
	key := strings.Join(names, ",")
	if g := groups[key]; g != nil {
		return g
	}
	g := &egressGroup{key: key, clusterVersions: map[string]string{}, endpointVersions: map[string]string{}, outbound: map[meshconfig.Outbound]*outboundEntry{}, withOwn: map[string]map[string]string{}}
	for _, name := range names {
		sh := shared[name]
		g.clusters = append(g.clusters, sh.clusters...)
		g.endpoints = append(g.endpoints, sh.endpoints...)
		for i, c := range sh.clusters {
			g.ch.add(sh.hashes[i])
			g.clusterVersions[c.Name] = strconv.FormatUint(sh.hashes[i], 36)
		}
		for i, e := range sh.endpoints {
			h := sh.hashes[len(sh.clusters)+i]
			g.eh.add(h)
			g.endpointVersions[e.ClusterName] = strconv.FormatUint(h, 36)
		}
	}
	groups[key] = g
	return g
}

func buildProxy(ix *index, shared map[string]*serviceShared, groups map[string]*egressGroup, p *meshconfig.Proxy) (*Proxy, error) {
	names := egress(ix, p)
	g := group(shared, groups, names)
	out := &Proxy{ID: p.ID, Identity: p.Identity, Hashes: map[string]uint64{}, Group: g.key, ClusterKey: g.key, group: g, own: map[string]map[string]string{}}
	r := &out.Resources
	r.Clusters = append(make([]*clusterv3.Cluster, 0, len(g.clusters)+1), g.clusters...)
	r.Endpoints = g.endpoints
	ch, eh := g.ch, g.eh
	var lh, rh hasher
	for _, o := range p.Outbound {
		e := g.outbound[o]
		if e == nil {
			l, rc, rcHash, err := outbound(ix, shared, names, o)
			if err != nil {
				return nil, err
			}
			e = &outboundEntry{l: l, lHash: hashProto(l), rc: rc, rcHash: rcHash}
			g.outbound[o] = e
		}
		r.Listeners = append(r.Listeners, e.l)
		lh.add(e.lHash)
		out.version(TypeListener, e.l.Name, e.lHash)
		if e.rc != nil {
			r.Routes = append(r.Routes, e.rc)
			rh.add(e.rcHash)
			out.version(TypeRoute, e.rc.Name, e.rcHash)
		}
	}
	if p.Gateway != nil {
		l, rc, clusters, err := gateway(ix, p.Gateway)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		for _, c := range clusters {
			r.Clusters = append(r.Clusters, c)
			h := hashProto(c)
			ch.add(h)
			out.version(TypeCluster, c.Name, h)
			out.ClusterKey += "\x00" + strconv.FormatUint(h, 36)
		}
		r.Listeners = append(r.Listeners, l)
		h := hashProto(l)
		lh.add(h)
		out.version(TypeListener, l.Name, h)
		r.Routes = append(r.Routes, rc)
		h = hashProto(rc)
		rh.add(h)
		out.version(TypeRoute, rc.Name, h)
		secrets, err := gatewaySecrets(ix, p.Gateway)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		var sh hasher
		for _, sec := range secrets {
			h := hashProto(sec)
			sh.add(h)
			out.version(TypeSecret, sec.Name, h)
		}
		if len(secrets) > 0 {
			// Only a proxy with secrets has the type: the others never
			// subscribe to it, so a version for them would never be ACKed.
			r.Secrets = secrets
			out.Hashes[TypeSecret] = sh.sum()
		}
	}
	if p.Inbound != nil {
		ib, err := inbound(ix, p)
		if err != nil {
			return nil, err
		}
		r.Listeners = append(r.Listeners, ib.listener)
		h := hashProto(ib.listener)
		lh.add(h)
		out.version(TypeListener, ib.listener.Name, h)
		r.Clusters = append(r.Clusters, ib.cluster)
		h = hashProto(ib.cluster)
		ch.add(h)
		out.version(TypeCluster, ib.cluster.Name, h)
		out.ClusterKey += "\x00" + strconv.FormatUint(h, 36)
		if ib.route != nil {
			r.Routes = append(r.Routes, ib.route)
			h = hashProto(ib.route)
			rh.add(h)
			out.version(TypeRoute, ib.route.Name, h)
		}
	}
	if c, err := collectorCluster(ix); err != nil {
		return nil, fmt.Errorf("telemetry.tracing.collector: %w", err)
	} else if c != nil {
		r.Clusters = append(r.Clusters, c)
		h := hashProto(c)
		ch.add(h)
		out.version(TypeCluster, c.Name, h)
		out.ClusterKey += "\x00" + strconv.FormatUint(h, 36)
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
