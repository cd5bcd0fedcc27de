package isotope

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/meshbench/meshbench/harness/graph"
)

// splits reads the top-level `splits` extension: a list of
// {name, versions: [{service, weight}]}, a name callers call that stands
// for weighted versions (isotope has no weighted split).
func (r *reader) splits(n *yaml.Node) ([]graph.Split, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, r.fail(n, "splits", "want a list of {name, versions}")
	}
	out := make([]graph.Split, 0, len(n.Content))
	for i, c := range n.Content {
		where := fmt.Sprintf("splits[%d]", i)
		var sp graph.Split
		err := r.fields(c, where, []string{"name", "versions"}, func(key string, _, v *yaml.Node) error {
			if key == "name" {
				var err error
				sp.Name, err = r.str(v, where+".name")
				return err
			}
			return r.versions(v, where+".versions", &sp)
		})
		if err != nil {
			return nil, err
		}
		if sp.Name == "" {
			return nil, r.fail(c, where+".name", "a split must have a name")
		}
		if len(sp.Versions) == 0 {
			return nil, r.fail(c, where+".versions", "a split needs at least one version")
		}
		out = append(out, sp)
	}
	return out, nil
}

func (r *reader) versions(n *yaml.Node, where string, sp *graph.Split) error {
	if n.Kind != yaml.SequenceNode {
		return r.fail(n, where, "want a list of {service, weight}")
	}
	for i, c := range n.Content {
		field := fmt.Sprintf("%s[%d]", where, i)
		var v graph.Version
		err := r.fields(c, field, []string{"service", "weight"}, func(key string, _, val *yaml.Node) error {
			if key == "service" {
				var err error
				v.Service, err = r.str(val, field+".service")
				return err
			}
			w, err := r.integer(val, field+".weight")
			if err == nil && (w < 0 || w > 1<<31) {
				err = r.fail(val, field+".weight", "%d is outside 0..2^31", w)
			}
			v.Weight = uint32(w)
			return err
		})
		if err != nil {
			return err
		}
		if v.Service == "" {
			return r.fail(c, field+".service", "a version must name a service")
		}
		sp.Versions = append(sp.Versions, v)
	}
	return nil
}
