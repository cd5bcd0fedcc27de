package istiocfg

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Namespace holds every generated Istio object; DomainSuffix is istiod's
// default --domain.
const (
	Namespace    = "bench"
	DomainSuffix = "cluster.local"
)

// Host is the FQDN a service gets in its ServiceEntry (and so the name
// istiod's clusters, load assignments and virtual hosts carry).
func Host(service string) string { return service + "." + Namespace + ".svc." + DomainSuffix }

// object is one Istio config object; Spec is the kind's own shape.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   meta   `json:"metadata"`
	Spec       any    `json:"spec"`
}

type meta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

func newObject(apiVersion, kind, name string, spec any) object {
	return object{APIVersion: apiVersion, Kind: kind, Metadata: meta{Name: name, Namespace: Namespace}, Spec: spec}
}

// duration writes d as Istio's protobuf Duration JSON ("1.042s").
func duration(d meshconfig.Duration) string {
	return strconv.FormatFloat(time.Duration(d).Seconds(), 'f', -1, 64) + "s"
}

// ServiceObjects returns the Istio objects of one service of m: its
// ServiceEntry, and its VirtualService and DestinationRule when the
// policy has routes or a destination for it.
func ServiceObjects(m *meshconfig.Mesh, service string) ([]any, error) {
	var svc *meshconfig.Service
	for i := range m.Services {
		if m.Services[i].Name == service {
			svc = &m.Services[i]
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("istiocfg: no service %q", service)
	}
	se, err := serviceEntry(svc)
	if err != nil {
		return nil, err
	}
	out := []any{se}
	for _, r := range m.Policy.Routes {
		if r.Service != service {
			continue
		}
		vs, err := virtualService(svc, r)
		if err != nil {
			return nil, err
		}
		out = append(out, vs)
	}
	for _, d := range m.Policy.Destinations {
		if d.Service == service {
			out = append(out, destinationRule(svc, d))
		}
	}
	return out, nil
}

func serviceEntry(s *meshconfig.Service) (object, error) {
	type port struct {
		Number   int    `json:"number"`
		Name     string `json:"name"`
		Protocol string `json:"protocol"`
	}
	type endpoint struct {
		Address string            `json:"address"`
		Labels  map[string]string `json:"labels,omitempty"`
	}
	var eps []endpoint
	for _, e := range s.Endpoints {
		host, p, err := net.SplitHostPort(e.Address)
		if err != nil {
			return object{}, fmt.Errorf("istiocfg: service %s: endpoint %q: %w", s.Name, e.Address, err)
		}
		if p != strconv.Itoa(s.Port) {
			return object{}, fmt.Errorf("istiocfg: service %s: endpoint %q: port differs from the service port %d (not expressed)", s.Name, e.Address, s.Port)
		}
		eps = append(eps, endpoint{Address: host, Labels: e.Labels})
	}
	return newObject("networking.istio.io/v1", "ServiceEntry", s.Name, map[string]any{
		"hosts":      []string{Host(s.Name)},
		"location":   "MESH_INTERNAL",
		"resolution": "STATIC",
		"ports":      []port{{Number: s.Port, Name: "http", Protocol: "HTTP"}},
		"endpoints":  eps,
	}), nil
}

func virtualService(s *meshconfig.Service, r meshconfig.ServiceRoutes) (object, error) {
	var routes []map[string]any
	for i, rule := range r.Rules {
		if len(rule.Split) > 0 || rule.Fault != nil || len(rule.Match.Headers) > 0 || rule.Match.Method != "" {
			return object{}, fmt.Errorf("istiocfg: service %s: rule %d: only path-prefix rules with a timeout and retries are expressed", s.Name, i)
		}
		route := map[string]any{
			"route": []any{map[string]any{"destination": map[string]any{"host": Host(s.Name), "port": map[string]int{"number": s.Port}}}},
		}
		if rule.Match.PathPrefix != "" {
			route["match"] = []any{map[string]any{"uri": map[string]string{"prefix": rule.Match.PathPrefix}}}
		}
		if rule.Timeout > 0 {
			route["timeout"] = duration(rule.Timeout)
		}
		if rule.Retries != nil {
			retries := map[string]any{"attempts": rule.Retries.Attempts}
			if rule.Retries.PerTryTimeout > 0 {
				retries["perTryTimeout"] = duration(rule.Retries.PerTryTimeout)
			}
			if rule.Retries.On != "" {
				retries["retryOn"] = rule.Retries.On
			}
			route["retries"] = retries
		}
		routes = append(routes, route)
	}
	return newObject("networking.istio.io/v1", "VirtualService", s.Name, map[string]any{
		"hosts": []string{Host(s.Name)},
		"http":  routes,
	}), nil
}

// destinationRule carries the circuit breaker and outlier detection. The
// retry budget has no Istio field and is left out (docs/controlplane.md).
func destinationRule(s *meshconfig.Service, d meshconfig.Destination) object {
	policy := map[string]any{}
	if cb := d.CircuitBreaker; cb != nil {
		pool := map[string]any{}
		if cb.MaxConnections > 0 {
			pool["tcp"] = map[string]any{"maxConnections": cb.MaxConnections}
		}
		http := map[string]any{}
		if cb.MaxPendingRequests > 0 {
			http["http1MaxPendingRequests"] = cb.MaxPendingRequests
		}
		if cb.MaxRequests > 0 {
			http["http2MaxRequests"] = cb.MaxRequests
		}
		if cb.MaxRetries > 0 {
			http["maxRetries"] = cb.MaxRetries
		}
		if len(http) > 0 {
			pool["http"] = http
		}
		if len(pool) > 0 {
			policy["connectionPool"] = pool
		}
	}
	if od := d.OutlierDetection; od != nil {
		o := map[string]any{}
		if od.Consecutive5xx > 0 {
			o["consecutive5xxErrors"] = od.Consecutive5xx
		}
		if od.Interval > 0 {
			o["interval"] = duration(od.Interval)
		}
		if od.BaseEjectionTime > 0 {
			o["baseEjectionTime"] = duration(od.BaseEjectionTime)
		}
		if od.MaxEjectionPercent > 0 {
			o["maxEjectionPercent"] = od.MaxEjectionPercent
		}
		policy["outlierDetection"] = o
	}
	spec := map[string]any{"host": Host(s.Name)}
	if len(policy) > 0 {
		spec["trafficPolicy"] = policy
	}
	return newObject("networking.istio.io/v1", "DestinationRule", s.Name, spec)
}

// SidecarObjects returns one Sidecar per proxy with egress scoping, its
// workload selected by the proxy label NodeMetadata gives it.
func SidecarObjects(m *meshconfig.Mesh) []any {
	var out []any
	for _, p := range m.Proxies {
		if len(p.Egress) == 0 {
			continue
		}
		hosts := make([]string, 0, len(p.Egress))
		for _, s := range p.Egress {
			hosts = append(hosts, Namespace+"/"+Host(s))
		}
		out = append(out, newObject("networking.istio.io/v1", "Sidecar", p.ID, map[string]any{
			"workloadSelector": map[string]any{"labels": map[string]string{ProxyLabel: p.ID}},
			"egress":           []any{map[string]any{"hosts": hosts}},
		}))
	}
	return out
}

// Marshal writes objects as one multi-document YAML file.
func Marshal(objs []any) ([]byte, error) {
	var out []byte
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("istiocfg: %w", err)
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, b...)
	}
	return out, nil
}

// WriteService (re)writes the file of one service in dir.
func WriteService(dir string, m *meshconfig.Mesh, service string) error {
	objs, err := ServiceObjects(m, service)
	if err != nil {
		return err
	}
	data, err := Marshal(objs)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, service+".yaml"), data)
}

// WriteAll writes every service's file and, when any proxy is scoped,
// sidecars.yaml, into dir (created when absent).
func WriteAll(dir string, m *meshconfig.Mesh) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("istiocfg: %w", err)
	}
	for _, s := range m.Services {
		if err := WriteService(dir, m, s.Name); err != nil {
			return err
		}
	}
	if sc := SidecarObjects(m); len(sc) > 0 {
		data, err := Marshal(sc)
		if err != nil {
			return err
		}
		return writeAtomic(filepath.Join(dir, "sidecars.yaml"), data)
	}
	return nil
}

// MeshConfig is istiod's --meshConfig file: Istio configuration from
// configDir only (never from the API server istiod is given), no tracing or access log, a root namespace that
// holds nothing.
func MeshConfig(configDir string) ([]byte, error) {
	if !filepath.IsAbs(configDir) {
		return nil, errors.New("istiocfg: the config directory must be an absolute path (fs:// URL)")
	}
	return yaml.Marshal(map[string]any{
		"configSources":         []any{map[string]string{"address": "fs://" + configDir}},
		"rootNamespace":         "istio-system",
		"trustDomain":           DomainSuffix,
		"enableTracing":         false,
		"accessLogFile":         "",
		"defaultConfig":         map[string]any{"discoveryAddress": "127.0.0.1:15010"},
		"outboundTrafficPolicy": map[string]string{"mode": "ALLOW_ANY"},
	})
}

// writeAtomic writes data to a temporary name without the .yaml extension
// (istiod skips it), then renames it into place.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("istiocfg: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("istiocfg: %w", err)
	}
	return nil
}
