package meshconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a mesh file, located by file, line and field path
// (for example "services[3].endpoints[0].address").
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return loc + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
}

// Load reads, strictly decodes, defaults and validates a mesh file.
func Load(path string) (*Mesh, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mesh file: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes data (named name in errors) like Load. A name ending in
// .json is decoded as JSON (which is YAML too, but decodes several times
// faster: generated meshes of thousands of services use it).
func Parse(name string, data []byte) (*Mesh, error) { return parse(name, data, false) }

// ParseExternal is Parse for a document whose services live elsewhere (a
// Kubernetes registry): references to services are not checked.
func ParseExternal(name string, data []byte) (*Mesh, error) { return parse(name, data, true) }

func parse(name string, data []byte, external bool) (*Mesh, error) {
	var m Mesh
	if strings.HasSuffix(name, ".json") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, jsonError(name, data, dec.InputOffset(), err)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, &Error{File: name, Msg: "empty mesh file"}
			}
			return nil, yamlError(name, err)
		}
	}
	m.Normalize()
	if errs := m.validate(external); len(errs) > 0 {
		// Only now parse again for line numbers: a valid file (the common
		// case, re-read on every change) is parsed once.
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, yamlError(name, err)
		}
		out := make([]error, 0, len(errs))
		for _, e := range errs {
			out = append(out, &Error{File: name, Line: lineOf(&root, e.path), Field: e.path, Msg: e.msg})
		}
		return nil, errors.Join(out...)
	}
	return &m, nil
}

// jsonError locates a JSON decoding error by line.
func jsonError(name string, data []byte, offset int64, err error) error {
	if errors.Is(err, io.EOF) {
		return &Error{File: name, Msg: "empty mesh file"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	var te *json.UnmarshalTypeError
	field := ""
	if errors.As(err, &te) {
		offset, field = te.Offset, te.Field
	}
	offset = min(max(offset, 0), int64(len(data)))
	return &Error{File: name, Line: bytes.Count(data[:offset], []byte("\n")) + 1, Field: field, Msg: err.Error()}
}

// yamlError turns yaml.v3's "yaml: line N: ..." messages into Errors.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			out = append(out, parseYAMLMsg(name, msg))
		}
		return errors.Join(out...)
	}
	return parseYAMLMsg(name, strings.TrimPrefix(err.Error(), "yaml: "))
}

func parseYAMLMsg(name, msg string) error {
	e := &Error{File: name, Msg: msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(n); err == nil {
				e.Line, e.Msg = line, after
			}
		}
	}
	return e
}

// lineOf finds the line of a field path like "a[2].b" in a YAML document,
// falling back to the deepest existing ancestor.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range splitPath(path) {
		next := child(n, part)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

func splitPath(path string) []string {
	var parts []string
	for _, p := range strings.Split(path, ".") {
		name, idx, ok := strings.Cut(p, "[")
		if name != "" {
			parts = append(parts, name)
		}
		for ok {
			var i string
			i, idx, _ = strings.Cut(idx, "]")
			parts = append(parts, "["+i)
			idx = strings.TrimPrefix(idx, "[")
			ok = idx != ""
		}
	}
	return parts
}

func child(n *yaml.Node, part string) *yaml.Node {
	if i, ok := strings.CutPrefix(part, "["); ok {
		k, err := strconv.Atoi(i)
		if err != nil || n.Kind != yaml.SequenceNode || k >= len(n.Content) {
			return nil
		}
		return n.Content[k]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == part {
			return n.Content[i+1]
		}
	}
	return nil
}

// Marshal encodes m as YAML.
func (m *Mesh) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode mesh: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode mesh: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteFile writes m to path atomically (temporary file and rename), so a
// watching meshcontrol never reads half a file: as JSON when path ends in
// .json, else as YAML.
func (m *Mesh) WriteFile(path string) error {
	var data []byte
	var err error
	if strings.HasSuffix(path, ".json") {
		data, err = json.Marshal(m)
	} else {
		data, err = m.Marshal()
	}
	if err != nil {
		return fmt.Errorf("encode mesh: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write mesh file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write mesh file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write mesh file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write mesh file: %w", err)
	}
	return nil
}
