package graph

import (
	"fmt"
	"math/rand/v2"
)

// Split is a service name that stands for several versions, each a service
// of the graph, chosen per call by weight (Istio's Bookinfo reviews v1, v2,
// v3 behind one "reviews"). Callers call the split's name. In the mesh lane
// the callers' sidecars choose (meshcontrol turns the split into xDS
// weighted_clusters); with no mesh the calling app chooses, as a client
// library would.
type Split struct {
	Name     string    `yaml:"name" json:"name"`
	Versions []Version `yaml:"versions" json:"versions"`
}

// Version is one arm of a split.
type Version struct {
	Service string `yaml:"service" json:"service"`
	Weight  uint32 `yaml:"weight" json:"weight"`
}

// Split returns the named split, or nil.
func (g *Graph) Split(name string) *Split {
	for i := range g.Splits {
		if g.Splits[i].Name == name {
			return &g.Splits[i]
		}
	}
	return nil
}

// Fractions are each version's share of the split's calls.
func (s *Split) Fractions() map[string]float64 {
	var total float64
	for _, v := range s.Versions {
		total += float64(v.Weight)
	}
	out := map[string]float64{}
	for _, v := range s.Versions {
		out[v.Service] += float64(v.Weight) / total
	}
	return out
}

// callees is what a node of the graph calls: a service's callees, or a
// split's versions.
func (g *Graph) callees(name string) []string {
	if sp := g.Split(name); sp != nil {
		out := make([]string, 0, len(sp.Versions))
		for _, v := range sp.Versions {
			out = append(out, v.Service)
		}
		return out
	}
	return g.Service(name).Callees()
}

// validateSplits checks each split: a new name, at least one version, each
// a service of the graph with a weight, all of one type (the split is one
// destination to its callers). services names the graph's services.
func (g *Graph) validateSplits(services map[string]bool) error {
	seen := map[string]bool{}
	for i, sp := range g.Splits {
		field := fmt.Sprintf("graph.splits[%d]", i)
		switch {
		case sp.Name == "":
			return fmt.Errorf("%s.name: is required", field)
		case services[sp.Name]:
			return fmt.Errorf("%s.name: %q is also a service", field, sp.Name)
		case seen[sp.Name]:
			return fmt.Errorf("%s.name: %q appears twice", field, sp.Name)
		case len(sp.Versions) == 0:
			return fmt.Errorf("%s.versions: at least one version is required", field)
		}
		seen[sp.Name] = true
		var total uint64
		typ := ""
		for j, v := range sp.Versions {
			vf := fmt.Sprintf("%s.versions[%d]", field, j)
			s := g.Service(v.Service)
			if s == nil {
				return fmt.Errorf("%s.service: unknown service %q", vf, v.Service)
			}
			if j > 0 && s.typ() != typ {
				return fmt.Errorf("%s.service: %q is %s, the split's first version is %s", vf, v.Service, s.typ(), typ)
			}
			typ = s.typ()
			total += uint64(v.Weight)
		}
		if total == 0 {
			return fmt.Errorf("%s.versions: weights sum to 0", field)
		}
	}
	return nil
}

func (s *Service) typ() string {
	if s.Type == "" {
		return TypeHTTP
	}
	return s.Type
}

// SplitCalls adds each split's calls to its versions to calls (calls[from][to],
// as services count them): a version's requests that no service called it
// for directly came through its split.
func (g *Graph) SplitCalls(received map[string]int64, calls map[string]map[string]int64) {
	direct := map[string]int64{}
	for _, c := range calls {
		for to, n := range c {
			direct[to] += n
		}
	}
	for _, sp := range g.Splits {
		m := map[string]int64{}
		for _, v := range sp.Versions {
			m[v.Service] = received[v.Service] - direct[v.Service]
		}
		calls[sp.Name] = m
	}
}

// Target is one arm of a split as a calling app sees it: where the version
// is, and its weight.
type Target struct {
	URL    string `json:"url"`
	Weight uint32 `json:"weight"`
}

// picker chooses among targets by weight.
type picker struct {
	targets []Target
	cum     []uint32
}

func newPicker(ts []Target) *picker {
	p := &picker{targets: ts}
	var c uint32
	for _, t := range ts {
		c += t.Weight
		p.cum = append(p.cum, c)
	}
	return p
}

func (p *picker) pick() string {
	n := rand.Uint32N(p.cum[len(p.cum)-1])
	for i, c := range p.cum {
		if n < c {
			return p.targets[i].URL
		}
	}
	return p.targets[len(p.targets)-1].URL
}
