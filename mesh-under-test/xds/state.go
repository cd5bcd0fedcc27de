package xds

import (
	"fmt"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

var watchedTypes = []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}

// state is one view of everything received, per type.
type state struct {
	versions  map[string]string
	clusters  []*clusterv3.Cluster
	endpoints map[string]*endpointv3.ClusterLoadAssignment
	listeners []*listenerv3.Listener
	routes    map[string]*routev3.RouteConfiguration
}

func newState() *state {
	return &state{versions: map[string]string{}, endpoints: map[string]*endpointv3.ClusterLoadAssignment{}, routes: map[string]*routev3.RouteConfiguration{}}
}

func (s *state) clone() *state {
	c := &state{versions: map[string]string{}, clusters: s.clusters, listeners: s.listeners, endpoints: s.endpoints, routes: s.routes}
	for k, v := range s.versions {
		c.versions[k] = v
	}
	return c
}

// set replaces one type's resources from a response.
func (s *state) set(typeURL, version string, res []*anypb.Any) error {
	switch typeURL {
	case resource.ClusterType:
		var out []*clusterv3.Cluster
		for _, a := range res {
			m := &clusterv3.Cluster{}
			if err := decode(a, m); err != nil {
				return err
			}
			out = append(out, m)
		}
		s.clusters = out
	case resource.ListenerType:
		var out []*listenerv3.Listener
		for _, a := range res {
			m := &listenerv3.Listener{}
			if err := decode(a, m); err != nil {
				return err
			}
			out = append(out, m)
		}
		s.listeners = out
	case resource.EndpointType:
		out := map[string]*endpointv3.ClusterLoadAssignment{}
		for _, a := range res {
			m := &endpointv3.ClusterLoadAssignment{}
			if err := decode(a, m); err != nil {
				return err
			}
			out[m.ClusterName] = m
		}
		s.endpoints = out
	case resource.RouteType:
		out := map[string]*routev3.RouteConfiguration{}
		for _, a := range res {
			m := &routev3.RouteConfiguration{}
			if err := decode(a, m); err != nil {
				return err
			}
			out[m.Name] = m
		}
		s.routes = out
	default:
		return fmt.Errorf("unexpected type %s", typeURL)
	}
	s.versions[typeURL] = version
	return nil
}

// decode unmarshals and validates (protoc-gen-validate rules) a resource.
func decode(a *anypb.Any, m interface {
	ValidateAll() error
	proto.Message
}) error {
	if err := a.UnmarshalTo(m); err != nil {
		return fmt.Errorf("decode %s: %w", a.TypeUrl, err)
	}
	if err := m.ValidateAll(); err != nil {
		return fmt.Errorf("invalid %s: %w", a.TypeUrl, err)
	}
	return nil
}

// edsNames lists the load assignments the clusters need.
func (s *state) edsNames() []string {
	var out []string
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

// complete reports whether every referenced resource has arrived, and
// what is still missing.
func (s *state) complete() (bool, string) {
	if _, ok := s.versions[resource.ClusterType]; !ok {
		return false, "clusters"
	}
	if _, ok := s.versions[resource.ListenerType]; !ok {
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
	return true, ""
}

// resources assembles what the Applier receives: only referenced load
// assignments and routes, in a stable order.
func (s *state) resources() xdsconfig.Resources {
	r := xdsconfig.Resources{Clusters: s.clusters, Listeners: s.listeners}
	for _, n := range s.edsNames() {
		r.Endpoints = append(r.Endpoints, s.endpoints[n])
	}
	for _, n := range s.rdsNames() {
		r.Routes = append(r.Routes, s.routes[n])
	}
	var parts []string
	for _, t := range watchedTypes {
		parts = append(parts, s.versions[t])
	}
	r.Version = strings.Join(parts, "/")
	return r
}
