package scenario

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

var errNegative = errors.New("must not be negative")

// Error is one scenario problem located in its file. Its text reads
// `FILE:LINE: field FIELD: MESSAGE`, in YAML words (never Go type names).
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

// Errors is every problem of one scenario file, in line order: a load
// reports them all at once, not the first. errors.As finds each *Error.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted orders problems by line, then field, for a stable report.
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Field, b.Field))
	})
	return es
}

// fieldErrors turns a validator's errors written "field.path: message"
// (several joined with errors.Join) into located problems under section.
func fieldErrors(section string, err error) []*Error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, e := range j.Unwrap() {
			out = append(out, fieldErrors(section, e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	field, msg, ok := strings.Cut(err.Error(), ": ")
	if !ok || !strings.HasPrefix(field, section) || strings.ContainsAny(field, " ") {
		field, msg = section, err.Error()
	}
	return []*Error{bad(field, "%s", msg)}
}
