package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

var errNegative = errors.New("must not be negative")

// Error is a scenario error located in its file.
type Error struct {
	File  string
	Line  int
	Field string // dotted path, e.g. matrix.connections[2]
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: field %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Load reads, strictly decodes, defaults and validates a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a scenario from data; file names it in errors.
func Parse(file string, data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty scenario"}
	}
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, yamlError(file, err)
	}
	s.File = file
	s.defaults()
	if errs := s.validate(); len(errs) > 0 {
		e := errs[0]
		e.File = file
		e.Line = lineOf(root.Content[0], e.Field)
		return nil, e
	}
	return &s, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// yamlError turns a yaml.v3 error into one Error naming the first problem's
// line and field.
func yamlError(file string, err error) error {
	var own *Error
	if errors.As(err, &own) {
		own.File = file
		return own
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if m := yamlLine.FindStringSubmatch(te.Errors[0]); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &Error{File: file, Line: line, Field: fieldFromMsg(m[2]), Msg: m[2]}
		}
		return &Error{File: file, Msg: te.Errors[0]}
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: err.Error()}
}

var fieldNotFound = regexp.MustCompile(`field (\S+) not found`)

func fieldFromMsg(msg string) string {
	if m := fieldNotFound.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

var pathPart = regexp.MustCompile(`([^.\[]+)(?:\[(\d+)\])?`)

// lineOf finds the line of a dotted field path like matrix.qps[1] in the
// document, falling back to the deepest part found.
func lineOf(n *yaml.Node, path string) int {
	line := 0
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
