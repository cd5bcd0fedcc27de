package schemas

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schema files, by name.
const (
	Result     = "result.schema.json"
	Comparison = "comparison.schema.json"
)

//go:embed *.schema.json
var files embed.FS

// Compile returns the compiled schema of the named file (Result or
// Comparison). comparison.schema.json refers to result.schema.json for the
// environment, so both are always loaded.
func Compile(name string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	for _, f := range []string{Result, Comparison} {
		data, err := files.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", f, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", f, err)
		}
		if err := c.AddResource(f, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", f, err)
		}
	}
	s, err := c.Compile(name)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	return s, nil
}

// Validate checks one JSON document against the named schema.
func Validate(name string, data []byte) error {
	s, err := Compile(name)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("decode document: %w", err)
	}
	return s.Validate(doc)
}
