package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// KnownLane reports whether name is a lane[/mode] the harness knows (the
// lane catalog, results.Lanes).
func KnownLane(name string) bool {
	_, _, err := results.ParseLaneLabel(name)
	return err == nil
}

func (s *Scenario) defaults() {
	if s.Kind == "" {
		s.Kind = KindSynthetic
	}
	if s.Repetitions == 0 {
		s.Repetitions = 1
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Load.Clients == 0 {
		s.Load.Clients = 1
	}
	m := &s.Matrix
	if len(m.QPS) == 0 {
		m.QPS = []float64{1000}
	}
	if len(m.Connections) == 0 {
		m.Connections = []int{16}
	}
	if len(m.PayloadBytes) == 0 {
		m.PayloadBytes = []int{1024}
	}
	if len(m.Protocol) == 0 {
		m.Protocol = []string{results.ProtocolHTTP1}
	}
	if len(m.MTLS) == 0 {
		m.MTLS = []bool{false}
	}
	for i, l := range s.Lanes {
		if c, err := results.CanonicalLaneLabel(l); err == nil {
			s.Lanes[i] = c // "mesh" is "mesh/both"
		}
	}
}

func bad(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (s *Scenario) validate() []*Error {
	var errs []*Error
	if s.Name == "" {
		errs = append(errs, bad("name", "is required"))
	}
	switch s.Kind {
	case KindSynthetic, KindResilience:
		errs = append(errs, s.validateLoad()...)
	case KindApp:
		errs = append(errs, s.validateLoad()...)
		errs = append(errs, s.validateGraph()...)
	case KindControlPlane, KindMicro:
	default:
		errs = append(errs, bad("kind", "%q is not one of micro, synthetic, app, controlplane, resilience", s.Kind))
	}
	if s.Repetitions < 1 || s.Repetitions > 1000 {
		errs = append(errs, bad("repetitions", "%d is outside 1..1000", s.Repetitions))
	}
	for name, p := range s.Profiles {
		if p.Repetitions < 0 {
			errs = append(errs, bad("profiles."+name+".repetitions", "must not be negative"))
		}
	}
	return errs
}

func (s *Scenario) validateLoad() []*Error {
	var errs []*Error
	if len(s.Lanes) == 0 {
		errs = append(errs, bad("lanes", "at least one lane is required"))
	}
	for i, l := range s.Lanes {
		if !KnownLane(l) {
			errs = append(errs, bad(fmt.Sprintf("lanes[%d]", i), "unknown lane %q (known: %s)", l, strings.Join(results.LaneLabels(), ", ")))
		}
	}
	if s.Duration.Duration <= 0 {
		errs = append(errs, bad("duration", "must be > 0 (e.g. 10s)"))
	}
	if s.Duration.Duration+s.Warmup.Duration > 30*time.Minute {
		errs = append(errs, bad("duration", "warmup+duration exceeds the 30m bound of one run"))
	}
	m := s.Matrix
	for i, q := range m.QPS {
		if q != -1 && (q <= 0 || q > 1e6) {
			errs = append(errs, bad(fmt.Sprintf("matrix.qps[%d]", i), "%g must be in (0, 1e6] or -1 for max QPS", q))
		}
	}
	for i, c := range m.Connections {
		if c < 1 || c > 4096 {
			errs = append(errs, bad(fmt.Sprintf("matrix.connections[%d]", i), "%d is outside 1..4096", c))
		}
	}
	for i, p := range m.PayloadBytes {
		if p < 0 || p > 64<<20 {
			errs = append(errs, bad(fmt.Sprintf("matrix.payload_bytes[%d]", i), "%d is outside 0..64MiB", p))
		}
	}
	for i, p := range m.Protocol {
		if !results.KnownProtocol(p) {
			errs = append(errs, bad(fmt.Sprintf("matrix.protocol[%d]", i), "%q is not one of %s", p, strings.Join(results.Protocols(), ", ")))
		}
	}
	errs = append(errs, s.validateTelemetry()...)
	if p := s.Mesh.Pinning; p != "" && p != "none" && p != "split" {
		errs = append(errs, bad("mesh.pinning", "%q is not one of none, split", p))
	}
	if s.Mesh.Workers < 0 {
		errs = append(errs, bad("mesh.workers", "must not be negative"))
	}
	return append(errs, s.validateClients()...)
}

// validateClients: every client needs a connection of its own, and a
// resilience run's timeline is one client's.
func (s *Scenario) validateClients() []*Error {
	n := s.Load.Clients
	if n == 0 || n == 1 {
		return nil
	}
	if s.Load.Wire {
		// Each client's capture would see every client's packets.
		return []*Error{bad("load.wire", "the wire capture needs one load client (load.clients is %d)", n)}
	}
	if n < 0 || n > MaxLoadClients {
		return []*Error{bad("load.clients", "%d is outside 1..%d", n, MaxLoadClients)}
	}
	if s.Kind == KindResilience {
		return []*Error{bad("load.clients", "a resilience scenario's timeline comes from one load client")}
	}
	var errs []*Error
	for i, c := range s.Matrix.Connections {
		if c < n {
			errs = append(errs, bad(fmt.Sprintf("matrix.connections[%d]", i), "%d connections for %d load clients: each client needs one", c, n))
		}
	}
	return errs
}

func (s *Scenario) validateGraph() []*Error {
	if s.Graph == nil {
		return []*Error{bad("graph", "an app scenario needs a service graph")}
	}
	var errs []*Error
	for i, l := range s.Lanes {
		spec, mode, err := results.ParseLaneLabel(l)
		if err == nil && !spec.RunsGraph(mode) {
			errs = append(errs, bad(fmt.Sprintf("lanes[%d]", i), "lane %q cannot run a service graph (%s)", l, strings.Join(results.GraphLaneLabels(), ", ")))
		}
	}
	return append(errs, fieldErrors("graph", s.Graph.Validate())...)
}

// ApplyProfile rescales durations and repetitions by a named profile.
func (s *Scenario) ApplyProfile(name string) error {
	if name == "" {
		return nil
	}
	p, ok := s.Profiles[name]
	if !ok {
		var names []string
		for n := range s.Profiles {
			names = append(names, n)
		}
		return fmt.Errorf("%s: --profile %q: scenario has no such profile (has: %s)", s.File, name, strings.Join(names, ", "))
	}
	if p.Warmup.Duration > 0 {
		s.Warmup = p.Warmup
	}
	if p.Duration.Duration > 0 {
		s.Duration = p.Duration
	}
	if p.Repetitions > 0 {
		s.Repetitions = p.Repetitions
	}
	return nil
}

// validateTelemetry: every variant from the catalog, once; several need
// the all-off reference their costs are measured against; and a variant
// sets what mesh.telemetry would.
func (s *Scenario) validateTelemetry() []*Error {
	vs := s.Matrix.Telemetry
	var errs []*Error
	seen := map[string]bool{}
	for i, v := range vs {
		field := fmt.Sprintf("matrix.telemetry[%d]", i)
		switch _, ok := results.LookupTelemetryVariant(v); {
		case !ok:
			errs = append(errs, bad(field, "%q is not a telemetry variant (known: %s)", v, strings.Join(results.TelemetryVariantNames(), ", ")))
		case seen[v]:
			errs = append(errs, bad(field, "%q is listed twice", v))
		}
		seen[v] = true
	}
	if len(vs) > 1 && !seen[results.TelemetryOff] {
		errs = append(errs, bad("matrix.telemetry", "several variants need %q, the reference their costs are measured against", results.TelemetryOff))
	}
	if len(vs) > 0 && s.Mesh.Telemetry != nil {
		errs = append(errs, bad("mesh.telemetry", "conflicts with matrix.telemetry (each variant says whether metrics are on)"))
	}
	return errs
}
