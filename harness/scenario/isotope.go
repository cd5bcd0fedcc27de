package scenario

import (
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/meshbench/meshbench/harness/graph/isotope"
)

// readIsotope replaces `graph: {isotope: PATH}` with the topology read from
// PATH (relative to the scenario file). Errors name the scenario's field
// and line and carry the topology's own file:line.
func (s *Scenario) readIsotope(root *yaml.Node) *Error {
	if s.Graph == nil || s.Graph.Isotope == "" {
		return nil
	}
	fail := func(msg string) *Error {
		return &Error{File: s.File, Line: lineOf(root, "graph.isotope"), Field: "graph.isotope", Msg: msg}
	}
	if len(s.Graph.Services) > 0 || s.Graph.Entry != "" {
		return fail("an isotope topology replaces entry and services: give one or the other")
	}
	path := s.Graph.Isotope
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(s.File), path)
	}
	g, err := isotope.Load(path)
	if err != nil {
		return fail(err.Error())
	}
	g.Isotope = s.Graph.Isotope
	s.Graph = g
	return nil
}
