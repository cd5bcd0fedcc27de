package graph

import (
	"fmt"
	"time"
)

// Graph is a service graph. Requests enter at Entry.
type Graph struct {
	// Isotope names an isotope topology file, relative to the scenario
	// file; the scenario loader reads it into Entry and Services.
	Isotope  string    `yaml:"isotope,omitempty"`
	Entry    string    `yaml:"entry"`
	Services []Service `yaml:"services"`
	// Splits are names callers call that stand for weighted versions
	// (see Split).
	Splits []Split `yaml:"splits,omitempty"`
	// Warnings are what the isotope reader ignored, each with file:line.
	Warnings []string `yaml:"-"`
}

// Service types.
const (
	TypeHTTP = "http"
	TypeGRPC = "grpc"
)

// Service is one node of the graph. The inline (scenario YAML) form has
// Name, Work, ResponseBytes and Calls; isotope files fill the rest.
type Service struct {
	Name string `yaml:"name"`
	// Work is CPU burned per request, e.g. 50us.
	Work Duration `yaml:"work"`
	// ResponseBytes is the size of the response body.
	ResponseBytes int `yaml:"response_bytes"`
	// Calls are the downstream services called, in order, per request.
	Calls []string `yaml:"calls"`

	// Type is http (default) or grpc.
	Type string `yaml:"-"`
	// Replicas is isotope's numReplicas (the local platform runs one).
	Replicas int `yaml:"-"`
	// Namespace and Cluster place the service on Kubernetes platforms.
	Namespace string `yaml:"-"`
	Cluster   string `yaml:"-"`
	// ErrorRate in 0..1: the service fails every ErrorEvery(rate)-th
	// request with a 500, before running its script.
	ErrorRate float64 `yaml:"-"`
	// Script, when set, replaces Work and Calls (see Steps).
	Script []Step `yaml:"-"`
}

// Duration is a time.Duration written as "50us" in YAML.
type Duration struct{ time.Duration }

// UnmarshalText parses Go duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 50us)", b)
	}
	if v < 0 || v > time.Second {
		return fmt.Errorf("duration %q outside 0..1s", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes Go duration syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Service returns the named service, or nil.
func (g *Graph) Service(name string) *Service {
	for i := range g.Services {
		if g.Services[i].Name == name {
			return &g.Services[i]
		}
	}
	return nil
}

// Validate checks names, references and that the graph has no cycle (a
// cycle would make every request recurse forever). Errors name the field.
func (g *Graph) Validate() error {
	if len(g.Services) == 0 {
		return fmt.Errorf("graph.services: at least one service is required")
	}
	seen := map[string]bool{}
	for i, s := range g.Services {
		if s.Name == "" {
			return fmt.Errorf("graph.services[%d].name: is required", i)
		}
		if seen[s.Name] {
			return fmt.Errorf("graph.services[%d].name: %q appears twice", i, s.Name)
		}
		seen[s.Name] = true
		if s.ResponseBytes < 0 || s.ResponseBytes > 16<<20 {
			return fmt.Errorf("graph.services[%d].response_bytes: %d outside 0..16MiB", i, s.ResponseBytes)
		}
		if s.ErrorRate < 0 || s.ErrorRate > 1 {
			return fmt.Errorf("graph.services[%d].errorRate: %g outside 0..1", i, s.ErrorRate)
		}
		if s.Type != "" && s.Type != TypeHTTP && s.Type != TypeGRPC {
			return fmt.Errorf("graph.services[%d].type: %q is not one of http, grpc", i, s.Type)
		}
	}
	if err := g.validateSplits(seen); err != nil {
		return err
	}
	services := seen
	seen = map[string]bool{} // what a call may name: a service or a split
	for n := range services {
		seen[n] = true
	}
	for _, sp := range g.Splits {
		seen[sp.Name] = true
	}
	for i, s := range g.Services {
		for j, c := range s.Calls {
			if !seen[c] {
				return fmt.Errorf("graph.services[%d].calls[%d]: unknown service %q", i, j, c)
			}
		}
		if err := validateSteps(fmt.Sprintf("graph.services[%d].script", i), s.Script, seen, false); err != nil {
			return err
		}
	}
	if g.Entry == "" {
		g.Entry = g.Services[0].Name
	}
	if !services[g.Entry] {
		return fmt.Errorf("graph.entry: unknown service %q", g.Entry)
	}
	return g.checkAcyclic()
}

func (g *Graph) checkAcyclic() error {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case visiting:
			return fmt.Errorf("graph: cycle %v -> %s", path, name)
		case done:
			return nil
		}
		state[name] = visiting
		for _, c := range g.callees(name) {
			if err := visit(c, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, s := range g.Services {
		if err := visit(s.Name, nil); err != nil {
			return err
		}
	}
	return nil
}

// Hops is the number of service-to-service calls one entry request makes
// when every call is made and nothing fails (through a split: its version
// that makes the most).
func (g *Graph) Hops() int {
	var count func(name string) int
	count = func(name string) int {
		n := 0
		if sp := g.Split(name); sp != nil {
			for _, v := range sp.Versions {
				n = max(n, count(v.Service))
			}
			return n
		}
		s := g.Service(name)
		eachCall(s.Steps(), func(c *Call) { n += 1 + count(c.Service) })
		return n
	}
	return count(g.Entry)
}
