package meshconfig

import (
	"encoding/json"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Mesh is one complete mesh description.
type Mesh struct {
	// Revision is an optional, monotonically increasing revision of this
	// file. When set, meshcontrol stamps it into every xDS version string it
	// produces ("r<revision>-<hash>"), so a client can tell which revision of
	// the mesh it runs (the control-plane scenario measures convergence so).
	Revision int64 `yaml:"revision,omitempty" json:"revision,omitempty"`
	// TrustDomain of the SPIFFE identities; default "cluster.local".
	TrustDomain string    `yaml:"trustDomain,omitempty" json:"trustDomain,omitempty"`
	Services    []Service `yaml:"services" json:"services,omitempty"`
	Proxies     []Proxy   `yaml:"proxies,omitempty" json:"proxies,omitempty"`
	Policy      Policy    `yaml:"policy,omitempty" json:"policy,omitempty"`
	// Credentials are gateway certificates served over SDS (credential.go).
	Credentials []Credential `yaml:"credentials,omitempty" json:"credentials,omitempty"`
	// Telemetry is mesh-wide: span export (telemetry.go).
	Telemetry *Telemetry `yaml:"telemetry,omitempty" json:"telemetry,omitempty"`
}

// Protocols of a service.
const (
	ProtocolHTTP  = "http"  // HTTP/1.1 (the default)
	ProtocolHTTP2 = "http2" // HTTP/2 (h2c between proxies unless mTLS)
	ProtocolGRPC  = "grpc"  // HTTP/2 carrying gRPC
	ProtocolTCP   = "tcp"   // opaque TCP passthrough
)

// Service is a named set of endpoints that proxies can call.
type Service struct {
	Name      string `yaml:"name" json:"name,omitempty"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"` // default "default"
	// Port is the service port (part of the host names clients may use).
	Port      int        `yaml:"port,omitempty" json:"port,omitempty"`
	Protocol  string     `yaml:"protocol,omitempty" json:"protocol,omitempty"`
	Endpoints []Endpoint `yaml:"endpoints,omitempty" json:"endpoints,omitempty"`
}

// Endpoint is one instance of a service. When Address is the inbound
// address of a proxy in the mesh, the endpoint is "proxied" and mTLS applies
// to traffic towards it (Istio's auto-mTLS rule).
type Endpoint struct {
	Address string            `yaml:"address" json:"address,omitempty"` // host:port
	Weight  uint32            `yaml:"weight,omitempty" json:"weight,omitempty"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Draining marks an instance that is going away but still serves (a
	// Kubernetes endpoint terminating and serving): it goes to the proxies
	// as EDS health_status DRAINING, so they send it no new requests and
	// let the ones in flight complete.
	Draining bool `yaml:"draining,omitempty" json:"draining,omitempty"`
	// Sidecar is the id of the proxy whose inbound listener serves this
	// endpoint, when its address alone does not say so: on Kubernetes a
	// sidecar listens on every address of its pod (0.0.0.0), so that a
	// replacement pod with a new IP is served by the same configuration,
	// and the registry names the sidecar from the pod's annotation. The
	// endpoint is then proxied (mTLS applies towards it, with that proxy's
	// identity) whatever its address.
	Sidecar string `yaml:"sidecar,omitempty" json:"sidecar,omitempty"`
}

// Proxy is one sidecar (and its workload). ID is the xDS node id.
type Proxy struct {
	ID string `yaml:"id" json:"id,omitempty"`
	// Service this workload is an instance of (its identity and inbound
	// policy come from it); empty for a pure client.
	Service string `yaml:"service,omitempty" json:"service,omitempty"`
	// Identity is the SPIFFE id; default
	// spiffe://<trustDomain>/ns/<namespace>/sa/<service or id>.
	Identity string     `yaml:"identity,omitempty" json:"identity,omitempty"`
	Inbound  *Inbound   `yaml:"inbound,omitempty" json:"inbound,omitempty"`
	Outbound []Outbound `yaml:"outbound,omitempty" json:"outbound,omitempty"`
	// Egress lists the services this proxy may call (scoping, like Istio's
	// Sidecar resource): it receives configuration for these only. Empty
	// means every service; "*" also means every service.
	Egress []string `yaml:"egress,omitempty" json:"egress,omitempty"`
	// Gateway makes this proxy an ingress or egress gateway (gateway.go).
	Gateway *Gateway `yaml:"gateway,omitempty" json:"gateway,omitempty"`
}

// Inbound is the listener in front of the local application.
type Inbound struct {
	Address string `yaml:"address" json:"address,omitempty"` // host:port the proxy listens on
	App     string `yaml:"app" json:"app,omitempty"`         // host:port of the local application
}

// Outbound is a listener the local application sends its outgoing traffic
// to. With Service set, everything arriving on it goes to that service (the
// local platform has no iptables, so a port stands for a destination);
// otherwise the Host header picks the service among the proxy's egress.
type Outbound struct {
	Address string `yaml:"address" json:"address,omitempty"` // host:port
	Service string `yaml:"service,omitempty" json:"service,omitempty"`
}

// Duration is a time.Duration written as "250ms", "1s", "2m".
type Duration time.Duration

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q", n.Line, s)
	}
	if v < 0 {
		return fmt.Errorf("line %d: negative duration %q", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes Go duration syntax.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalJSON writes Go duration syntax (JSON is YAML: Load reads both).
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON parses Go duration syntax.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q", s)
	}
	*d = Duration(v)
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
