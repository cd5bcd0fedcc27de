package controlplane

import (
	"context"
	"strings"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// viewKey is the tracker key of one service's resources of one type.
func viewKey(typeURL, service string) string { return typeURL + "|" + service }

// istioView reads, for one simulated proxy of istiod, which revision of
// each service its configuration carries. istiod's version strings are its
// own push counters, so the revision is read from the resources instead:
// a load assignment carries the flap that wrote its newest endpoint
// address (addresses are never reused), a virtual host carries the policy
// edit that set its route timeout (1 s + revision ms, the same edit
// meshcontrol gets). It is the proxy's Applier (it sees each complete
// configuration) and its Observer: what an Apply found is recorded when
// the ACK that follows it is sent, as meshcontrol's revisions are.
//
// Apply and the Observer calls come from the proxy's one goroutine, so the
// view needs no lock of its own.
type istioView struct {
	tr    *tracker
	i     int
	hosts map[string]string // FQDN -> service (shared, read-only)
	revOf func(host string) int64
	// Resources already read, by name: the client keeps unchanged ones
	// as the same pointers, so only what a response changed is read again.
	cla     map[string]*endpointv3.ClusterLoadAssignment
	rc      map[string]*routev3.RouteConfiguration
	pending map[string]int64
}

func newIstioView(tr *tracker, i int, hosts map[string]string, revOf func(string) int64) *istioView {
	return &istioView{tr: tr, i: i, hosts: hosts, revOf: revOf, cla: map[string]*endpointv3.ClusterLoadAssignment{},
		rc: map[string]*routev3.RouteConfiguration{}, pending: map[string]int64{}}
}

// Apply implements xdsconfig.Applier.
func (v *istioView) Apply(_ context.Context, r xdsconfig.Resources) error {
	for _, a := range r.Endpoints {
		if v.cla[a.ClusterName] == a {
			continue
		}
		v.cla[a.ClusterName] = a
		if svc, ok := v.hosts[clusterHost(a.ClusterName)]; ok {
			v.pending[viewKey(typeEndpoint, svc)] = v.claRevision(a)
		}
	}
	for _, rc := range r.Routes {
		if v.rc[rc.Name] == rc {
			continue
		}
		v.rc[rc.Name] = rc
		for _, vh := range rc.VirtualHosts {
			host, _, _ := strings.Cut(vh.Name, ":")
			if svc, ok := v.hosts[host]; ok {
				if rev, ok := routeRevision(vh); ok {
					v.pending[viewKey(typeRoute, svc)] = rev
				}
			}
		}
	}
	return nil
}

// clusterHost is the host of an Istio cluster name "outbound|PORT|SUBSET|HOST".
func clusterHost(name string) string {
	parts := strings.Split(name, "|")
	if len(parts) != 4 {
		return ""
	}
	return parts[3]
}

// claRevision is the newest revision among a load assignment's addresses.
func (v *istioView) claRevision(a *endpointv3.ClusterLoadAssignment) int64 {
	var rev int64
	for _, le := range a.Endpoints {
		for _, e := range le.LbEndpoints {
			rev = max(rev, v.revOf(e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()))
		}
	}
	return rev
}

// routeRevision reads the revision from the first route's timeout.
func routeRevision(vh *routev3.VirtualHost) (int64, bool) {
	for _, r := range vh.Routes {
		if t := r.GetRoute().GetTimeout(); t != nil {
			return int64((t.AsDuration() - time.Second) / time.Millisecond), true
		}
	}
	return 0, false
}

// OnResponse implements xds.Observer.
func (v *istioView) OnResponse(_, _ string, n int) {
	v.tr.pushes.Add(1)
	v.tr.bytes.Add(int64(n))
}

// OnAck implements xds.Observer: an ACK commits what the Apply before it
// found; a NACK counts.
func (v *istioView) OnAck(_, _ string, nack bool) {
	if nack {
		v.tr.nacks.Add(1)
		return
	}
	for k, rev := range v.pending {
		v.tr.ack(v.i, k, rev)
		delete(v.pending, k)
	}
}
