package xds

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

var watchedTypes = []string{xdsconfig.TypeCluster, xdsconfig.TypeEndpoint, xdsconfig.TypeListener, xdsconfig.TypeRoute}

// state is one view of everything received, per type.
type state struct {
	versions  map[string]string
	clusters  map[string]*clusterv3.Cluster
	endpoints map[string]*endpointv3.ClusterLoadAssignment
	listeners map[string]*listenerv3.Listener
	routes    map[string]*routev3.RouteConfiguration
	// secrets are SDS secrets sent on the stream (gateway credentials);
	// the workload's own come from the proxy's CertSource instead.
	secrets map[string]*tlsv3.Secret
	// resourceVersions are per-resource versions (delta xDS), per type.
	resourceVersions map[string]map[string]string
	// owned lists the types whose maps this state may write; a clone
	// shares every map until it first writes one (copy on write), because
	// a proxy calling a thousand services would otherwise copy thousands
	// of entries for every one-endpoint update.
	owned map[string]bool
	eds   []string // cached edsNames; nil when clusters changed
}

func newState() *state {
	return &state{
		versions: map[string]string{}, clusters: map[string]*clusterv3.Cluster{}, listeners: map[string]*listenerv3.Listener{},
		endpoints: map[string]*endpointv3.ClusterLoadAssignment{}, routes: map[string]*routev3.RouteConfiguration{},
		secrets: map[string]*tlsv3.Secret{}, resourceVersions: map[string]map[string]string{}, owned: map[string]bool{},
	}
}

// clone returns a state sharing every map with s until written.
func (s *state) clone() *state {
	return &state{
		versions: maps.Clone(s.versions), clusters: s.clusters, listeners: s.listeners,
		endpoints: s.endpoints, routes: s.routes, secrets: s.secrets, resourceVersions: maps.Clone(s.resourceVersions),
		owned: map[string]bool{}, eds: s.eds,
	}
}

// own makes typeURL's maps private to s before a write.
func (s *state) own(typeURL string) {
	if s.owned[typeURL] {
		return
	}
	s.owned[typeURL] = true
	switch typeURL {
	case xdsconfig.TypeCluster:
		s.clusters = maps.Clone(s.clusters)
	case xdsconfig.TypeListener:
		s.listeners = maps.Clone(s.listeners)
	case xdsconfig.TypeEndpoint:
		s.endpoints = maps.Clone(s.endpoints)
	case xdsconfig.TypeRoute:
		s.routes = maps.Clone(s.routes)
	case xdsconfig.TypeSecret:
		s.secrets = maps.Clone(s.secrets)
	}
	rv := maps.Clone(s.resourceVersions[typeURL])
	if rv == nil {
		rv = map[string]string{}
	}
	s.resourceVersions[typeURL] = rv
}

// update adds or replaces one named resource of a type.
func (s *state) update(typeURL string, a *anypb.Any) (string, error) {
	s.own(typeURL)
	switch typeURL {
	case xdsconfig.TypeCluster:
		m := &clusterv3.Cluster{}
		if err := decode(a, m); err != nil {
			return "", err
		}
		s.eds = nil
		s.clusters[m.Name] = m
		return m.Name, nil
	case xdsconfig.TypeListener:
		m := &listenerv3.Listener{}
		if err := decode(a, m); err != nil {
			return "", err
		}
		s.listeners[m.Name] = m
		return m.Name, nil
	case xdsconfig.TypeEndpoint:
		m := &endpointv3.ClusterLoadAssignment{}
		if err := decode(a, m); err != nil {
			return "", err
		}
		s.endpoints[m.ClusterName] = m
		return m.ClusterName, nil
	case xdsconfig.TypeRoute:
		m := &routev3.RouteConfiguration{}
		if err := decode(a, m); err != nil {
			return "", err
		}
		s.routes[m.Name] = m
		return m.Name, nil
	case xdsconfig.TypeSecret:
		m := &tlsv3.Secret{}
		if err := decode(a, m); err != nil {
			return "", err
		}
		s.secrets[m.Name] = m
		return m.Name, nil
	}
	return "", fmt.Errorf("unexpected type %s", typeURL)
}

// remove drops one named resource of a type.
func (s *state) remove(typeURL, name string) {
	s.own(typeURL)
	switch typeURL {
	case xdsconfig.TypeCluster:
		s.eds = nil
		delete(s.clusters, name)
	case xdsconfig.TypeListener:
		delete(s.listeners, name)
	case xdsconfig.TypeEndpoint:
		delete(s.endpoints, name)
	case xdsconfig.TypeRoute:
		delete(s.routes, name)
	case xdsconfig.TypeSecret:
		delete(s.secrets, name)
	}
	delete(s.resourceVersions[typeURL], name)
}

// set replaces one type's resources from a state-of-the-world response.
// Clusters and listeners are full state; load assignments and routes are
// only the named ones that changed (the xDS protocol lets a server omit
// unchanged ones), so those are merged.
func (s *state) set(typeURL, version string, res []*anypb.Any) error {
	switch typeURL {
	case xdsconfig.TypeCluster:
		s.owned[typeURL], s.eds = true, nil
		s.clusters = map[string]*clusterv3.Cluster{}
	case xdsconfig.TypeListener:
		s.owned[typeURL] = true
		s.listeners = map[string]*listenerv3.Listener{}
	}
	for _, a := range res {
		if _, err := s.update(typeURL, a); err != nil {
			return err
		}
	}
	s.versions[typeURL] = version
	return nil
}

// decode unmarshals a resource. Validation (protoc-gen-validate rules and
// the proxy's own) is the Applier's job: it sees the whole set, and its
// error becomes the NACK.
func decode(a *anypb.Any, m proto.Message) error {
	if err := a.UnmarshalTo(m); err != nil {
		return fmt.Errorf("decode %s: %w", a.TypeUrl, err)
	}
	return nil
}

// edsNames lists the load assignments the clusters need (shared: do not
// modify).
func (s *state) edsNames() []string {
	if s.eds != nil {
		return s.eds
	}
	out := []string{}
	for _, c := range s.clusters {
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		name := c.GetEdsClusterConfig().GetServiceName()
		if name == "" {
			name = c.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	s.eds = out
	return out
}

// rdsNames lists the route configurations the listeners need.
func (s *state) rdsNames() []string {
	set := map[string]bool{}
	for _, l := range s.listeners {
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				cfg := f.GetTypedConfig()
				if cfg == nil || !strings.HasSuffix(cfg.TypeUrl, "HttpConnectionManager") {
					continue
				}
				h := &hcmv3.HttpConnectionManager{}
				if err := cfg.UnmarshalTo(h); err == nil && h.GetRds() != nil {
					set[h.GetRds().RouteConfigName] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// sdsNames lists the secrets the listeners' TLS contexts name that the
// stream must deliver: every SDS name but the workload's certificate and
// trust bundle, which the proxy's CertSource supplies.
func (s *state) sdsNames() []string {
	set := map[string]bool{}
	for _, l := range s.listeners {
		for _, fc := range l.FilterChains {
			cfg := fc.GetTransportSocket().GetTypedConfig()
			if cfg == nil || !strings.HasSuffix(cfg.TypeUrl, "DownstreamTlsContext") {
				continue
			}
			d := &tlsv3.DownstreamTlsContext{}
			if err := cfg.UnmarshalTo(d); err != nil {
				continue // the Applier's validation reports it
			}
			for _, sc := range d.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				if n := sc.GetName(); n != xdsconfig.SecretCert && n != "" {
					set[n] = true
				}
			}
		}
	}
	delete(set, xdsconfig.SecretRoots)
	return slices.Sorted(maps.Keys(set))
}

// complete reports whether every referenced resource has arrived, and
// what is still missing.
func (s *state) complete() (bool, string) {
	if _, ok := s.versions[xdsconfig.TypeCluster]; !ok {
		return false, "clusters"
	}
	if _, ok := s.versions[xdsconfig.TypeListener]; !ok {
		return false, "listeners"
	}
	for _, n := range s.edsNames() {
		if _, ok := s.endpoints[n]; !ok {
			return false, "endpoints " + n
		}
	}
	for _, n := range s.rdsNames() {
		if _, ok := s.routes[n]; !ok {
			return false, "routes " + n
		}
	}
	for _, n := range s.sdsNames() {
		if _, ok := s.secrets[n]; !ok {
			return false, "secret " + n
		}
	}
	return true, ""
}

// resources assembles what the Applier receives: only referenced load
// assignments and routes, in a stable order.
func (s *state) resources() xdsconfig.Resources {
	r := xdsconfig.Resources{}
	for _, n := range slices.Sorted(maps.Keys(s.clusters)) {
		r.Clusters = append(r.Clusters, s.clusters[n])
	}
	for _, n := range slices.Sorted(maps.Keys(s.listeners)) {
		r.Listeners = append(r.Listeners, s.listeners[n])
	}
	for _, n := range s.edsNames() {
		r.Endpoints = append(r.Endpoints, s.endpoints[n])
	}
	for _, n := range s.rdsNames() {
		r.Routes = append(r.Routes, s.routes[n])
	}
	for _, n := range s.sdsNames() {
		r.Secrets = append(r.Secrets, s.secrets[n])
	}
	var parts []string
	for _, t := range watchedTypes {
		parts = append(parts, s.versions[t])
	}
	if v, ok := s.versions[xdsconfig.TypeSecret]; ok {
		parts = append(parts, v) // only gateways have secrets on the stream
	}
	r.Version = strings.Join(parts, "/")
	return r
}
