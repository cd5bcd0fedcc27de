package scenario

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, strictly decodes, defaults and validates a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a scenario from data; file names it in errors. A problem
// is an *Error; several are Errors, all of them found in one pass (the
// decode goes on past a bad field, and validation runs on what decoded).
func Parse(file string, data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(file, data, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "empty scenario"}
	}
	doc := root.Content[0]
	var s Scenario
	d := &decoder{}
	d.decode(doc, "", reflect.ValueOf(&s).Elem())
	s.File = file
	if err := s.readIsotope(root.Content[0]); err != nil {
		return nil, err
	}
	s.defaults()
	errs := d.errs
	for _, e := range append(s.validate(), s.validateSections(doc)...) {
		// A field that did not decode holds its zero value: judging it
		// again would repeat the decode's problem in other words.
		if !under(e.Field, d.errs) {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return &s, nil
	}
	for _, e := range errs {
		e.File = file
		if e.Line == 0 {
			e.Line = lineOf(doc, e.Field)
		}
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, Errors(errs).sorted()
}

// under reports whether field is, or is inside, a field of errs.
func under(field string, errs []*Error) bool {
	for _, e := range errs {
		if field == e.Field || strings.HasPrefix(field, e.Field+".") || strings.HasPrefix(field, e.Field+"[") {
			return true
		}
	}
	return false
}

var pathPart = regexp.MustCompile(`([^.\[]+)(?:\[(\d+)\])?`)

// lineOf finds the line of a dotted field path like matrix.qps[1] in the
// document: a field that is absent is placed on its nearest written
// parent, or on line 1.
func lineOf(n *yaml.Node, path string) int {
	line := 1
	for _, m := range pathPart.FindAllStringSubmatch(path, -1) {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == m[1] {
				line, next = n.Content[i].Line, n.Content[i+1]
			}
		}
		n = next
		if n != nil && m[2] != "" && n.Kind == yaml.SequenceNode {
			idx, _ := strconv.Atoi(m[2])
			if idx < len(n.Content) {
				n = n.Content[idx]
				line = n.Line
			}
		}
	}
	return line
}
