package controlplane

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Spec is the `controlplane:` section of a scenario of kind controlplane.
type Spec struct {
	// Sizes are the meshes to run, in order.
	Sizes []Size `yaml:"sizes"`
	// EgressPerProxy is how many services each proxy may call (Sidecar
	// scoping); 0 means every service (no scoping).
	EgressPerProxy int `yaml:"egress_per_proxy"`
	// ChurnRate is changes per second during the measured phase.
	ChurnRate float64 `yaml:"churn_rate"`
	// Changes is how many changes each size's measured phase applies.
	Changes int `yaml:"changes"`
	// PolicyEditPercent is the share of changes that are policy edits (a
	// route timeout); the rest are endpoint flaps (an endpoint replaced by
	// a new address, as when a pod restarts).
	PolicyEditPercent float64 `yaml:"policy_edit_percent"`
	// ChangeTimeout gives up on a change not converged after this long
	// (it then counts as not converged and invalidates the run).
	ChangeTimeout Duration `yaml:"change_timeout"`
	// ConnectTimeout bounds the initial full push to every proxy.
	ConnectTimeout Duration `yaml:"connect_timeout"`
	// MeshcontrolEnv is extra environment for meshcontrol (e.g.
	// GOMEMLIMIT=120MiB); it is recorded in every result's labels.
	MeshcontrolEnv []string `yaml:"meshcontrol_env"`
	// ControlPlanes are measured one after the other at each size, each on
	// the same generated mesh, fleet and churn (the catalog in planes.go;
	// default: meshcontrol alone).
	ControlPlanes []string `yaml:"control_planes"`
	// IstiodEnv is extra environment for istiod (e.g. PILOT_DEBOUNCE_AFTER=10ms);
	// it is recorded in istiod's results' labels.
	IstiodEnv []string `yaml:"istiod_env"`
	// ADSTransport is how the simulated proxies reach meshcontrol: "tls"
	// (the default; meshcontrol --tls, each proxy verifying its certificate
	// and authenticating with its own node token, as meshproxy does) or
	// "plaintext" (unauthenticated gRPC, without TLS's cost: for comparing
	// the two, or a meshcontrol built before --tls).
	ADSTransport string `yaml:"ads_transport"`
}

// ADS transports.
const (
	ADSTLS       = "tls"
	ADSPlaintext = "plaintext"
)

// Size is one mesh size.
type Size struct {
	Services  int `yaml:"services"`
	Endpoints int `yaml:"endpoints"` // per service
	Proxies   int `yaml:"proxies"`
}

// Name is the case name of a size, e.g. "s1000-e2-p100".
func (s Size) Name() string { return fmt.Sprintf("s%d-e%d-p%d", s.Services, s.Endpoints, s.Proxies) }

// Duration is a time.Duration written as "5s".
type Duration struct{ time.Duration }

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes Go duration syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// DecodeSpec decodes the scenario's `controlplane:` map (as the scenario
// package keeps it) strictly, applies defaults and validates.
func DecodeSpec(raw map[string]any) (Spec, error) {
	var s Spec
	data, err := yaml.Marshal(raw)
	if err != nil {
		return s, fmt.Errorf("controlplane spec: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && len(raw) > 0 {
		return s, fmt.Errorf("controlplane spec: %w", err)
	}
	s.Normalize()
	return s, s.Validate()
}

// Normalize fills in defaults.
func (s *Spec) Normalize() {
	if len(s.Sizes) == 0 {
		s.Sizes = []Size{{100, 2, 10}, {1000, 2, 100}}
	}
	for i := range s.Sizes {
		if s.Sizes[i].Endpoints == 0 {
			s.Sizes[i].Endpoints = 2
		}
	}
	if s.ChurnRate == 0 {
		s.ChurnRate = 5
	}
	if s.Changes == 0 {
		s.Changes = 100
	}
	if s.ChangeTimeout.Duration == 0 {
		s.ChangeTimeout.Duration = 10 * time.Second
	}
	if s.ConnectTimeout.Duration == 0 {
		s.ConnectTimeout.Duration = 60 * time.Second
	}
	if s.ADSTransport == "" {
		s.ADSTransport = ADSTLS
	}
	if len(s.ControlPlanes) == 0 {
		s.ControlPlanes = []string{PlaneMeshcontrol}
	}
}

// Validate checks bounds.
func (s *Spec) Validate() error {
	var errs []error
	for i, z := range s.Sizes {
		if z.Services < 1 || z.Proxies < 1 || z.Endpoints < 1 {
			errs = append(errs, fmt.Errorf("controlplane.sizes[%d]: services, endpoints and proxies must be positive", i))
		}
		if z.Services*z.Endpoints > 250*250*250 {
			errs = append(errs, fmt.Errorf("controlplane.sizes[%d]: too many endpoints", i))
		}
	}
	if s.EgressPerProxy < 0 {
		errs = append(errs, errors.New("controlplane.egress_per_proxy: must not be negative"))
	}
	if s.ChurnRate <= 0 || s.ChurnRate > 1000 {
		errs = append(errs, errors.New("controlplane.churn_rate: must be within (0, 1000]"))
	}
	if s.PolicyEditPercent < 0 || s.PolicyEditPercent > 100 {
		errs = append(errs, errors.New("controlplane.policy_edit_percent: must be within 0-100"))
	}
	if s.Changes < 1 || s.Changes > 100000 {
		errs = append(errs, errors.New("controlplane.changes: must be within 1-100000"))
	}
	if s.ADSTransport != ADSTLS && s.ADSTransport != ADSPlaintext {
		errs = append(errs, fmt.Errorf("controlplane.ads_transport: %q: want %s or %s", s.ADSTransport, ADSTLS, ADSPlaintext))
	}
	seen := map[string]bool{}
	for i, name := range s.ControlPlanes {
		switch {
		case findPlane(name) == nil:
			errs = append(errs, fmt.Errorf("controlplane.control_planes[%d]: unknown control plane %q (known: %s)", i, name, strings.Join(PlaneNames(), ", ")))
		case seen[name]:
			errs = append(errs, fmt.Errorf("controlplane.control_planes[%d]: %q is named twice", i, name))
		}
		seen[name] = true
	}
	return errors.Join(errs...)
}
