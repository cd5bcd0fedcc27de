package schemas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/schemas"
)

// loadSchema reads a schema file as plain JSON, to walk it beside the Go
// types.
func loadSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// resolve follows a $ref within the two schema files.
func resolve(t *testing.T, docs map[string]map[string]any, file string, node map[string]any) (string, map[string]any) {
	t.Helper()
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return file, node
		}
		f, ptr, _ := strings.Cut(ref, "#")
		if f != "" {
			file = f
		}
		cur := any(docs[file])
		for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		node = cur.(map[string]any)
	}
}

var timeType = reflect.TypeOf(time.Time{})

// mirror fails where the schema node and the Go type disagree: a Go field
// missing from the schema's properties, a property with no Go field, or a
// required list other than the fields without omitempty.
func mirror(t *testing.T, docs map[string]map[string]any, file string, node map[string]any, typ reflect.Type, path string) {
	t.Helper()
	file, node = resolve(t, docs, file, node)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == timeType:
		assert.Equal(t, "string", node["type"], path)
	case typ.Kind() == reflect.Struct:
		props, _ := node["properties"].(map[string]any)
		require.NotNil(t, props, "%s: schema has no properties", path)
		assert.Equal(t, false, node["additionalProperties"], "%s: unknown fields must be refused", path)
		var names, required []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			names = append(names, name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
			sub, ok := props[name].(map[string]any)
			if assert.True(t, ok, "%s: Go field %s (%q) is not in %s", path, f.Name, name, file) {
				mirror(t, docs, file, sub, f.Type, path+"."+name)
			}
		}
		for p := range props {
			assert.Contains(t, names, p, "%s: schema property %q has no Go field", path, p)
		}
		var req []string
		for _, r := range node["required"].([]any) {
			req = append(req, r.(string))
		}
		assert.ElementsMatch(t, required, req, "%s: required fields", path)
	case typ.Kind() == reflect.Slice:
		items, _ := node["items"].(map[string]any)
		require.NotNil(t, items, "%s: array without items", path)
		mirror(t, docs, file, items, typ.Elem(), path+"[]")
	case typ.Kind() == reflect.Map:
		ap, _ := node["additionalProperties"].(map[string]any)
		require.NotNil(t, ap, "%s: map without additionalProperties", path)
		mirror(t, docs, file, ap, typ.Elem(), path+"{}")
	default:
		want := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Float64: "number",
			reflect.Int: "integer", reflect.Int64: "integer"}[typ.Kind()]
		got := node["type"]
		if got == nil && node["const"] != nil {
			return // a fixed string such as the schema version
		}
		assert.Equal(t, want, got, "%s: JSON type of Go %s", path, typ)
	}
}

func TestSchemasMirrorTheGoTypes(t *testing.T) {
	docs := map[string]map[string]any{schemas.Result: loadSchema(t, schemas.Result), schemas.Comparison: loadSchema(t, schemas.Comparison)}
	mirror(t, docs, schemas.Result, docs[schemas.Result], reflect.TypeOf(results.Result{}), "result")
	mirror(t, docs, schemas.Comparison, docs[schemas.Comparison], reflect.TypeOf(results.Comparison{}), "comparison")
}

// validateFile validates a real output file, choosing the schema by its
// "schema" field; it returns false for JSON that is neither document.
func validateFile(t *testing.T, path string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var probe struct {
		Schema string `json:"schema"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	name := map[string]string{results.Schema: schemas.Result, results.SchemaV1: schemas.Result,
		results.ComparisonSchema: schemas.Comparison}[probe.Schema]
	if name == "" {
		return false
	}
	assert.NoError(t, schemas.Validate(name, data), path)
	return true
}

// TestStoredOutputsValidate: results and comparisons real runs wrote,
// kept as the reports' and exporter's test data.
func TestStoredOutputsValidate(t *testing.T) {
	n := 0
	for _, root := range []string{"../reports/testdata", "../harness/export/testdata"} {
		require.NoError(t, filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") && validateFile(t, path) {
				n++
			}
			return err
		}))
	}
	assert.Greater(t, n, 100, "the stored outputs were found")
}

func TestSchemasRefuseWhatTheyShould(t *testing.T) {
	data, err := os.ReadFile("../harness/export/testdata/mesh-both.json")
	require.NoError(t, err)
	require.NoError(t, schemas.Validate(schemas.Result, data))
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		f(m)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return out
	}
	tests := []struct {
		name string
		doc  []byte
		err  string
	}{
		{"unknown field", edit(func(m map[string]any) { m["latency_us"] = 1 }), "latency_us"},
		{"missing field", edit(func(m map[string]any) { delete(m, "latency_ms") }), "latency_ms"},
		{"wrong type", edit(func(m map[string]any) { m["requests"] = "many" }), "requests"},
		{"fractional count", edit(func(m map[string]any) { m["requests"] = 1.5 }), "requests"},
		{"unknown version", edit(func(m map[string]any) { m["schema"] = "meshbench.result/v9" }), "schema"},
		{"nested unknown field", edit(func(m map[string]any) { m["case"].(map[string]any)["rps"] = 1 }), "rps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schemas.Validate(schemas.Result, tt.doc)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}
