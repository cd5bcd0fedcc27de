package scenario

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a YAML node tree beside the Go value it fills, field by
// field, instead of handing the whole document to yaml.v3's Decode: yaml.v3
// names neither the field of a type error nor the struct's known fields,
// and its messages speak Go types (`!!str` into int, scenario.Mesh). The
// walk keeps going after a problem so one load reports every problem, each
// with its line and dotted field path. Leaves (scalars, custom unmarshalers)
// are still decoded by yaml.v3 itself, so values mean what they always did.
type decoder struct {
	errs []*Error
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlLinePrefix      = regexp.MustCompile(`^(yaml: )?line \d+: `)
)

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// decode fills v (addressable) from n; path is v's dotted field path.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value leaves the default, as yaml.v3 does
	}
	pt := v.Addr().Type()
	if pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
		d.leaf(n, path, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, path, p.Elem())
		v.Set(p)
	case reflect.Struct:
		d.structFields(n, path, v)
	case reflect.Map:
		d.mapEntries(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.Interface:
		d.leaf(n, path, v) // free-form: whatever the YAML holds
	default:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want %s, got %s", want(v.Kind()), describe(n))
			return
		}
		d.leaf(n, path, v)
	}
}

// leaf decodes n with yaml.v3 and words its error for a person.
func (d *decoder) leaf(n *yaml.Node, path string, v reflect.Value) {
	err := n.Decode(v.Addr().Interface())
	if err == nil {
		return
	}
	var own *Error
	var te *yaml.TypeError
	switch {
	case errors.As(err, &own):
		d.fail(n, path, "%s", own.Msg)
	case errors.As(err, &te) && n.Kind == yaml.ScalarNode:
		d.fail(n, path, "%q is not %s", n.Value, want(v.Kind()))
	case errors.As(err, &te):
		d.fail(n, path, "want %s, got %s", want(v.Kind()), describe(n))
	default:
		d.fail(n, path, "%s", yamlLinePrefix.ReplaceAllString(err.Error(), ""))
	}
}

func (d *decoder) structFields(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping (key: value), got %s", describe(n))
		return
	}
	names, index := yamlFields(v.Type())
	d.eachKey(n, path, func(key, val *yaml.Node, field string) {
		i, ok := index[key.Value]
		if !ok {
			d.fail(key, field, "unknown field (known: %s)", strings.Join(names, ", "))
			return
		}
		d.decode(val, field, v.Field(i))
	})
}

func (d *decoder) mapEntries(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping (key: value), got %s", describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.leaf(n, path, v)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.eachKey(n, path, func(key, val *yaml.Node, field string) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, field, e)
		v.SetMapIndex(reflect.ValueOf(key.Value).Convert(v.Type().Key()), e)
	})
}

// eachKey calls f for every key of a mapping, refusing a key written twice
// (yaml.v3 would refuse it too, naming only the key).
func (d *decoder) eachKey(n *yaml.Node, path string, f func(key, val *yaml.Node, field string)) {
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		field := key.Value
		if path != "" {
			field = path + "." + key.Value
		}
		if line, dup := first[key.Value]; dup {
			d.fail(key, field, "appears twice (first on line %d)", line)
			continue
		}
		first[key.Value] = key.Line
		f(key, val, field)
	}
}

// yamlFields lists a struct's YAML field names in declaration order and
// maps each to its field index.
func yamlFields(t reflect.Type) ([]string, map[string]int) {
	var names []string
	index := map[string]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		names = append(names, name)
		index[name] = i
	}
	return names, index
}

// want says what a Go kind accepts, in YAML words.
func want(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	default:
		return "a mapping (key: value)"
	}
}

// describe says what a node is, in YAML words.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}
