package scenario

import (
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/meshbench/meshbench/harness/controlplane"
	"github.com/meshbench/meshbench/harness/gate/micro"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/resilience"
)

// validateSections decodes the gate, controlplane, micro and resilience sections
// strictly, with the types of the packages that own them, at load time: a
// misspelt threshold or an out-of-range setting is found by `meshbench
// run` and by a test, with its line, not when a gate or driver first reads
// the section. The Scenario keeps the sections free-form for those readers.
func (s *Scenario) validateSections(doc *yaml.Node) []*Error {
	var errs []*Error
	// check decodes section name into v and, if it is there, validates it
	// with validate, whose errors are written "name.field: message".
	check := func(name string, v any, validate func() error) {
		n := section(doc, name)
		if n == nil {
			return
		}
		d := &decoder{}
		d.decode(n, name, reflect.ValueOf(v).Elem())
		errs = append(errs, d.errs...)
		for _, e := range fieldErrors(name, validate()) {
			if !under(e.Field, d.errs) {
				errs = append(errs, e)
			}
		}
	}
	var th verdict.Thresholds
	check("gate", &th, func() error { _, err := th.Normalize(); return err })

	var cp controlplane.Spec
	if s.Kind == KindControlPlane {
		check("controlplane", &cp, func() error { cp.Normalize(); return cp.Validate() })
	} else if section(doc, "controlplane") != nil {
		errs = append(errs, bad("controlplane", "only a scenario of kind controlplane has this section (kind is %s)", s.Kind))
	}

	var ms micro.Spec
	switch {
	case s.Kind == KindMicro && section(doc, "micro") == nil:
		errs = append(errs, bad("micro", "a micro scenario needs this section (at least micro.packages)"))
	case s.Kind == KindMicro:
		check("micro", &ms, func() error { _, err := ms.Normalize(); return err })
	case section(doc, "micro") != nil:
		errs = append(errs, bad("micro", "only a scenario of kind micro has this section (kind is %s)", s.Kind))
	}
	var rs resilience.Spec
	switch {
	case s.Kind == KindResilience && section(doc, "resilience") == nil:
		errs = append(errs, bad("resilience", "a resilience scenario needs this section (at least resilience.faults)"))
	case s.Kind == KindResilience:
		check("resilience", &rs, func() error { rs.Normalize(); return rs.Validate(s.Duration.Duration) })
	case section(doc, "resilience") != nil:
		errs = append(errs, bad("resilience", "only a scenario of kind resilience has this section (kind is %s)", s.Kind))
	}
	return errs
}

// section is the value node of a top-level key, or nil.
func section(doc *yaml.Node, name string) *yaml.Node {
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == name {
			return doc.Content[i+1]
		}
	}
	return nil
}
