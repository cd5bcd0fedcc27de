package scenario

import (
	"regexp"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)`)

// syntaxError locates a YAML syntax error. yaml.v3 numbers a parser error
// (one that says "did not find expected ...") by the 0-based line of the
// collection it was parsing, so an unterminated `lanes: [none, mesh` on
// line 7 was reported on line 6, or on the problem's line when the
// collection starts the file. Such errors are placed here instead: an
// unclosed flow collection on the line of its opening bracket, any other on
// the problem's line as yaml.v2 reports it (0-based for parser errors too).
func syntaxError(file string, data []byte, err error) *Error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: file, Line: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	lines := strings.Split(string(data), "\n")
	if strings.HasPrefix(msg, "did not find expected") {
		line = problemLine(data, line)
		open := byte(0)
		switch {
		case strings.HasSuffix(msg, "']'"):
			open = '['
		case strings.HasSuffix(msg, "'}'"):
			open = '{'
		}
		if at := unclosed(lines, open); open != 0 && at > 0 {
			line = at
			msg = "\"" + string(open) + "\" is never closed (" + msg + ")"
		}
	}
	if h, ok := hints[msg]; ok {
		msg += " (" + h + ")"
	}
	return &Error{File: file, Line: line, Field: keyPathAt(lines, line), Msg: msg}
}

// hints put the parser's words beside what usually causes them.
var hints = map[string]string{
	"did not find expected key":                      "check the indentation of this line against its siblings",
	"did not find expected '-' indicator":            "a list item starts with '- ' at the list's indentation",
	"mapping values are not allowed in this context": "quote a value that holds ': ', or check the indentation",
	"found character that cannot start any token":    "YAML indents with spaces, not tabs; quote a value that starts with @ or `",
}

var v2Line = regexp.MustCompile(`^yaml: line (\d+): did not find expected`)

// problemLine is the 1-based line where a parser error was found, from
// yaml.v2, which reports the problem's 0-based line; fallback if it says
// nothing more precise.
func problemLine(data []byte, fallback int) int {
	var v any
	if m := v2Line.FindStringSubmatch(errString(yamlv2.Unmarshal(data, &v))); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n + 1
	}
	return fallback
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// unclosed returns the 1-based line of the innermost flow collection
// opened by open ('[' or '{') and never closed, or 0. A bracket opens a
// flow collection where a value starts (after "key:", "- " or at the start
// of a line) or inside another flow collection; quotes and comments are
// skipped.
func unclosed(lines []string, open byte) int {
	type mark struct {
		c    byte
		line int
	}
	var stack []mark
	for i, l := range lines {
		var quote byte
		valueStart := true
		for j := 0; j < len(l); j++ {
			c := l[j]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
				continue
			case c == '#' && (j == 0 || l[j-1] == ' ' || l[j-1] == '\t'):
				j = len(l)
				continue
			case (c == '\'' || c == '"') && (valueStart || len(stack) > 0):
				quote = c
			case c == '[' || c == '{':
				if valueStart || len(stack) > 0 {
					stack = append(stack, mark{c, i + 1})
				}
			case (c == ']' || c == '}') && len(stack) > 0:
				stack = stack[:len(stack)-1]
			}
			switch {
			case c == ' ' || c == '\t':
				// whitespace keeps valueStart as it is
			case c == ':' || c == '-' || c == ',' || c == '[' || c == '{':
				valueStart = true
			default:
				valueStart = false
			}
		}
	}
	for k := len(stack) - 1; k >= 0; k-- {
		if stack[k].c == open {
			return stack[k].line
		}
	}
	return 0
}

var keyLine = regexp.MustCompile(`^(\s*)(?:- )?([A-Za-z0-9_.-]+)\s*:(\s|$)`)

// keyPathAt is the dotted path of the key written on a 1-based line (or
// of the nearest key above it), found by indentation: the document did not
// parse, so there is no node tree to ask.
func keyPathAt(lines []string, line int) string {
	var path []string
	indent := -1
	for i := min(line, len(lines)) - 1; i >= 0; i-- {
		m := keyLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		if ind := len(m[1]); indent < 0 || ind < indent {
			path = append([]string{m[2]}, path...)
			indent = ind
			if ind == 0 {
				break
			}
		}
	}
	return strings.Join(path, ".")
}
