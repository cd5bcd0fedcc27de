package isotope

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is a topology error located in its file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

func (r *reader) fail(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: r.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) warn(n *yaml.Node, format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf("%s:%d: %s", r.file, n.Line, fmt.Sprintf(format, args...)))
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// str reads a string; like the YAML-to-JSON step isotope uses, any scalar
// is taken as its text.
func (r *reader) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", r.fail(n, field, "want a string")
	}
	if isNull(n) {
		return "", nil
	}
	return n.Value, nil
}

func (r *reader) integer(n *yaml.Node, field string) (int, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, r.fail(n, field, "%q is not an integer", n.Value)
	}
	v, err := strconv.ParseInt(n.Value, 0, 32)
	if err != nil {
		return 0, r.fail(n, field, "%q is not a 32-bit integer", n.Value)
	}
	return int(v), nil
}

func (r *reader) boolean(n *yaml.Node, field string) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, r.fail(n, field, "%q is not true or false", n.Value)
	}
	return strconv.ParseBool(strings.ToLower(n.Value))
}

// duration reads a Go duration string ("10ms"), as isotope's sleep does.
func (r *reader) duration(n *yaml.Node, field string) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return 0, r.fail(n, field, "%q is not a duration string (want e.g. 10ms)", n.Value)
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		return 0, r.fail(n, field, "%q is not a duration (want e.g. 10ms)", n.Value)
	}
	if d < 0 {
		return 0, r.fail(n, field, "%q is negative", n.Value)
	}
	return d, nil
}

// percentage reads a fraction 0..1 (0.1) or a string with a percent sign
// ("10%"), isotope's pct.Percentage.
func (r *reader) percentage(n *yaml.Node, field string) (float64, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, r.fail(n, field, "want a fraction (0.1) or a percentage (\"10%%\")")
	}
	var f float64
	switch n.Tag {
	case "!!int", "!!float":
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return 0, r.fail(n, field, "%q is not a number", n.Value)
		}
		f = v
	case "!!str":
		num, _, ok := strings.Cut(n.Value, "%")
		v, err := strconv.ParseFloat(num, 64)
		if !ok || err != nil {
			return 0, r.fail(n, field, "%q is not a percentage (want e.g. \"10%%\")", n.Value)
		}
		f = v / 100
	default:
		return 0, r.fail(n, field, "want a fraction (0.1) or a percentage (\"10%%\")")
	}
	if f < 0 || f > 1 {
		return 0, r.fail(n, field, "%s is outside 0..100%%", n.Value)
	}
	if f > 0 && uint64(f*10000) == 0 {
		// isotope computes every-N-th as 10000/uint64(rate*10000): zero here.
		return 0, r.fail(n, field, "%s is below 0.01%%, the smallest rate isotope can inject", n.Value)
	}
	return f, nil
}

// binary multipliers of size suffixes: isotope reads sizes with
// docker/go-units RAMInBytes, in which 1 KB is 1024 bytes.
var sizeUnits = map[byte]float64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40, 'p': 1 << 50}

// size reads a byte count: an integer, or a number with an optional single
// space and a binary suffix (k, kb, kib, m, ...; any case; "b" alone means
// bytes): "1 KB", "1.5MiB", "512b".
func (r *reader) size(n *yaml.Node, field string) (int, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, r.fail(n, field, "want a size (1024 or \"1 KB\")")
	}
	if n.Tag == "!!int" {
		v, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil || v < 0 || v > math.MaxInt32 {
			return 0, r.fail(n, field, "%q is not a size in bytes", n.Value)
		}
		return int(v), nil
	}
	if n.Tag != "!!str" {
		return 0, r.fail(n, field, "%q is not a size (want 1024 or \"1 KB\")", n.Value)
	}
	v, ok := parseSize(n.Value)
	if !ok {
		return 0, r.fail(n, field, "%q is not a size (want e.g. 1024, \"1 KB\", \"10MiB\")", n.Value)
	}
	return v, nil
}

func parseSize(s string) (int, bool) {
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	num, unit := s[:end], strings.ToLower(strings.TrimPrefix(s[end:], " "))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	mul := 1.0
	switch {
	case unit == "" || unit == "b":
	case len(unit) >= 1 && len(unit) <= 3 && sizeUnits[unit[0]] > 0 && (len(unit) == 1 || unit[1:] == "b" || unit[1:] == "ib"):
		mul = sizeUnits[unit[0]]
	default:
		return 0, false
	}
	v := f * mul
	if v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}
