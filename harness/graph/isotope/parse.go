package isotope

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/meshbench/meshbench/harness/graph"
)

// Load reads an isotope topology file; see Parse.
func Load(path string) (*graph.Graph, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("isotope topology: %w", err)
	}
	return Parse(path, data)
}

// Parse reads an isotope topology; file names it in errors and warnings.
// The graph's entry is the first service with isEntrypoint (the first
// service when none has it); g.Warnings lists what was ignored.
func Parse(file string, data []byte) (*graph.Graph, error) {
	r := &reader{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty topology"}
	}
	g, err := r.topology(doc.Content[0])
	if err != nil {
		return nil, err
	}
	g.Warnings = r.warnings
	if err := g.Validate(); err != nil {
		return nil, &Error{File: file, Msg: err.Error()}
	}
	return g, nil
}

type reader struct {
	file     string
	warnings []string
	// requestSize is defaults.requestSize, the size of calls that set none.
	requestSize int
}

// fields walks a mapping, matching keys case-insensitively against known
// (encoding/json's rule; a repeated key: the last wins, as in JSON) and
// warning about the others.
func (r *reader) fields(n *yaml.Node, where string, known []string, f func(key string, k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return r.fail(n, where, "want a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		match := ""
		for _, name := range known {
			if strings.EqualFold(k.Value, name) {
				match = name
			}
		}
		if match == "" {
			r.warn(k, "%s: key %q is ignored (isotope reads %s)", where, k.Value, strings.Join(known, ", "))
			continue
		}
		if err := f(match, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) topology(root *yaml.Node) (*graph.Graph, error) {
	def := graph.Service{Type: graph.TypeHTTP, Replicas: 1}
	var services *yaml.Node
	var splits []graph.Split
	err := r.fields(root, "topology", []string{"defaults", "services", "splits"}, func(key string, _, v *yaml.Node) error {
		switch key {
		case "services":
			services = v
			return nil
		case "splits":
			var err error
			splits, err = r.splits(v)
			return err
		}
		return r.defaults(v, &def)
	})
	if err != nil {
		return nil, err
	}
	if services == nil || isNull(services) {
		return nil, r.fail(root, "services", "a topology needs services")
	}
	if services.Kind != yaml.SequenceNode {
		return nil, r.fail(services, "services", "want a list of services")
	}
	g := &graph.Graph{Splits: splits}
	names := map[string]int{}
	var entries []string
	for i, n := range services.Content {
		field := fmt.Sprintf("services[%d]", i)
		s, entry, err := r.service(n, field, def)
		if err != nil {
			return nil, err
		}
		if prev, dup := names[s.Name]; dup {
			return nil, r.fail(n, field+".name", "%q appears twice (also services[%d])", s.Name, prev)
		}
		names[s.Name] = i
		if entry {
			entries = append(entries, s.Name)
		}
		g.Services = append(g.Services, s)
	}
	callable := map[string]int{}
	for n, i := range names {
		callable[n] = i
	}
	for _, sp := range splits {
		callable[sp.Name] = -1
	}
	if err := r.checkCalls(services, g, callable); err != nil {
		return nil, err
	}
	switch {
	case len(entries) == 0:
		g.Entry = g.Services[0].Name
		r.warn(services, "no service has isEntrypoint: true; the load client calls the first, %q", g.Entry)
	case len(entries) > 1:
		g.Entry = entries[0]
		r.warn(services, "entrypoints %s: the load client calls the first, %q", strings.Join(entries, ", "), g.Entry)
	default:
		g.Entry = entries[0]
	}
	return g, nil
}

func (r *reader) defaults(n *yaml.Node, def *graph.Service) error {
	known := []string{"type", "errorRate", "responseSize", "script", "requestSize", "numReplicas"}
	return r.fields(n, "defaults", known, func(key string, _, v *yaml.Node) error {
		field := "defaults." + key
		var err error
		switch key {
		case "type":
			def.Type, err = r.serviceType(v, field)
		case "errorRate":
			def.ErrorRate, err = r.percentage(v, field)
		case "responseSize":
			def.ResponseBytes, err = r.size(v, field)
		case "requestSize":
			r.requestSize, err = r.size(v, field)
		case "numReplicas":
			def.Replicas, err = r.integer(v, field)
		case "script":
			// isotope decodes defaults before it installs requestSize, so
			// calls in the default script send no body unless they set size.
			saved := r.requestSize
			r.requestSize = 0
			def.Script, err = r.script(v, field)
			r.requestSize = saved
		}
		return err
	})
}

func (r *reader) serviceType(n *yaml.Node, field string) (string, error) {
	s, err := r.str(n, field)
	if err != nil {
		return "", err
	}
	if s != graph.TypeHTTP && s != graph.TypeGRPC {
		return "", r.fail(n, field, "unknown service type %q (http or grpc)", s)
	}
	return s, nil
}

func (r *reader) service(n *yaml.Node, where string, def graph.Service) (graph.Service, bool, error) {
	s := def
	entry := false
	known := []string{"name", "namespace", "cluster", "type", "numReplicas", "isEntrypoint", "errorRate", "responseSize", "script", "labels"}
	err := r.fields(n, where, known, func(key string, k, v *yaml.Node) error {
		field := where + "." + key
		var err error
		switch key {
		case "name":
			s.Name, err = r.str(v, field)
		case "namespace":
			s.Namespace, err = r.str(v, field)
		case "cluster":
			s.Cluster, err = r.str(v, field)
		case "type":
			s.Type, err = r.serviceType(v, field)
		case "numReplicas":
			s.Replicas, err = r.integer(v, field)
		case "isEntrypoint":
			entry, err = r.boolean(v, field)
		case "errorRate":
			s.ErrorRate, err = r.percentage(v, field)
		case "responseSize":
			s.ResponseBytes, err = r.size(v, field)
		case "script":
			s.Script, err = r.script(v, field)
		case "labels":
			// Kubernetes labels: no meaning on the platforms that run here yet.
			if v.Kind != yaml.MappingNode && !isNull(v) {
				err = r.fail(v, field, "want a mapping of labels")
			}
		}
		return err
	})
	if err != nil {
		return s, false, err
	}
	if s.Name == "" {
		return s, false, r.fail(n, where+".name", "services must have a name")
	}
	if s.Replicas < 0 {
		return s, false, r.fail(n, where+".numReplicas", "%d is negative", s.Replicas)
	}
	return s, entry, nil
}

func (r *reader) script(n *yaml.Node, field string) ([]graph.Step, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, r.fail(n, field, "want a list of steps")
	}
	steps := make([]graph.Step, 0, len(n.Content))
	for i, c := range n.Content {
		st, err := r.step(c, fmt.Sprintf("%s[%d]", field, i), false)
		if err != nil {
			return nil, err
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func (r *reader) step(n *yaml.Node, field string, inGroup bool) (graph.Step, error) {
	if n.Kind == yaml.SequenceNode {
		if inGroup {
			return graph.Step{}, r.fail(n, field, "concurrent commands may not be nested")
		}
		group := make([]graph.Step, 0, len(n.Content))
		for i, c := range n.Content {
			st, err := r.step(c, fmt.Sprintf("%s[%d]", field, i), true)
			if err != nil {
				return graph.Step{}, err
			}
			group = append(group, st)
		}
		return graph.Step{Concurrent: group}, nil
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return graph.Step{}, r.fail(n, field, "a step is one of sleep: DURATION, call: SERVICE, burn: DURATION, or a list (a concurrent group)")
	}
	// Command keys are map keys in isotope, so they match exactly.
	k, v := n.Content[0], n.Content[1]
	switch k.Value {
	case "sleep":
		d, err := r.duration(v, field+".sleep")
		return graph.Step{Sleep: d}, err
	case "burn":
		d, err := r.duration(v, field+".burn")
		return graph.Step{Burn: d}, err
	case "call":
		c, err := r.call(v, field+".call")
		return graph.Step{Call: c}, err
	}
	return graph.Step{}, r.fail(k, field, "unknown command %q (sleep, call, burn)", k.Value)
}

func (r *reader) call(n *yaml.Node, field string) (*graph.Call, error) {
	c := &graph.Call{RequestBytes: r.requestSize}
	if n.Kind == yaml.ScalarNode {
		c.Service = n.Value
		return c, nil
	}
	known := []string{"service", "hostname", "extra-header", "size", "probability"}
	err := r.fields(n, field, known, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "service":
			c.Service, err = r.str(v, field+".service")
		case "hostname":
			r.warn(k, "%s.hostname is not used: the harness routes calls by service name", field)
		case "extra-header":
			c.Headers, err = r.headers(v, field+".extra-header")
		case "size":
			c.RequestBytes, err = r.size(v, field+".size")
		case "probability":
			c.Probability, err = r.integer(v, field+".probability")
			if err == nil && (c.Probability < 0 || c.Probability > 100) {
				err = r.fail(v, field+".probability", "%d is outside 0..100", c.Probability)
			}
		}
		return err
	})
	return c, err
}

func (r *reader) headers(n *yaml.Node, field string) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, r.fail(n, field, "want a mapping of header: value")
	}
	h := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v, err := r.str(n.Content[i+1], field+"."+n.Content[i].Value)
		if err != nil {
			return nil, err
		}
		h[n.Content[i].Value] = v
	}
	return h, nil
}

// checkCalls finds calls to undefined services, with their line.
func (r *reader) checkCalls(services *yaml.Node, g *graph.Graph, names map[string]int) error {
	var errUndefined = errors.New("undefined")
	for i, s := range g.Services {
		var bad string
		var walk func([]graph.Step) error
		walk = func(steps []graph.Step) error {
			for _, st := range steps {
				if st.Call != nil {
					if _, ok := names[st.Call.Service]; !ok {
						bad = st.Call.Service
						return errUndefined
					}
				}
				if err := walk(st.Concurrent); err != nil {
					return err
				}
			}
			return nil
		}
		if walk(s.Script) != nil {
			return r.fail(findCall(services.Content[i], bad), fmt.Sprintf("services[%d].script", i), "cannot call undefined service %q", bad)
		}
	}
	return nil
}

// findCall returns the node of the first call to name under n, else n.
func findCall(n *yaml.Node, name string) *yaml.Node {
	for i, c := range n.Content {
		if c.Value == name && i > 0 && (n.Content[i-1].Value == "call" || n.Content[i-1].Value == "service") {
			return c
		}
		if f := findCall(c, name); f != c {
			return f
		}
	}
	return n
}
