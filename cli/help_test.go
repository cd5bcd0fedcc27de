package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// meshbench runs the CLI in-process.
func meshbench(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Streams{Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// commands lists every command of the tree (root included) but cobra's
// own help and completion.
func commands(c *cobra.Command) []*cobra.Command {
	list := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if sub.Name() == "help" || sub.Name() == "completion" {
			continue
		}
		list = append(list, commands(sub)...)
	}
	return list
}

// path is a command's arguments after "meshbench".
func path(c *cobra.Command) []string {
	return strings.Fields(c.CommandPath())[1:]
}

// TestEveryCommandHelpHasAnExample: `meshbench X --help` exits 0 and shows
// at least one example, for every command.
func TestEveryCommandHelpHasAnExample(t *testing.T) {
	cmds := commands(NewRoot(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}))
	require.Greater(t, len(cmds), 20)
	for _, c := range cmds {
		t.Run(c.CommandPath(), func(t *testing.T) {
			code, out, errOut := meshbench(append(path(c), "--help")...)
			assert.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "Examples:")
			assert.NotEmpty(t, exampleLines(c.Example), "an example runs meshbench")
		})
	}
}

// TestExamplesParse: every meshbench command line in an example names a
// real command whose flags and arguments parse, so examples cannot rot;
// each command's example runs that command (or one of its subcommands).
func TestExamplesParse(t *testing.T) {
	root := NewRoot(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	for _, c := range commands(root) {
		itself := c == root
		for _, line := range exampleLines(c.Example) {
			args := splitWords(line)[1:]
			found, rest, err := root.Find(args)
			require.NoError(t, err, line)
			if found == c || strings.HasPrefix(found.CommandPath(), c.CommandPath()+" ") {
				itself = true
			}
			t.Run(line, func(t *testing.T) {
				found.InitDefaultHelpFlag()
				require.NoError(t, found.ParseFlags(rest))
				if found.Args != nil {
					assert.NoError(t, found.Args(found, found.Flags().Args()))
				}
			})
		}
		assert.True(t, itself, "no example of %q runs it", c.CommandPath())
	}
}

// exampleLines are the meshbench command lines of an example: comments
// dropped, backslash continuations joined, cut at a pipe.
func exampleLines(example string) []string {
	var lines []string
	cur := ""
	for _, l := range strings.Split(example, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		l = cur + l
		cur = ""
		l, _, _ = strings.Cut(l, " | ")
		if strings.HasPrefix(l, "meshbench ") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

// splitWords splits a command line on spaces, keeping quoted words whole.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errOut := meshbench(args...)
		assert.Equal(t, 0, code, errOut)
		assert.Equal(t, "meshbench "+Version+"\n", out, args)
	}
	mk, err := os.ReadFile("../Makefile")
	require.NoError(t, err)
	assert.Contains(t, string(mk), "-X github.com/meshbench/meshbench/cli.Version=",
		"the Makefile stamps the variable --version prints")
}

// TestUsageErrors: a mistake in the invocation exits 3 (README) and ends
// with a pointer to the help of the command at fault.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error line
		see  string
	}{
		{"unknown flag", []string{"run", "--bogus"}, "unknown flag: --bogus", "meshbench run"},
		{"unknown shorthand", []string{"report", "-z", "x"}, "unknown shorthand flag: 'z'", "meshbench report"},
		{"bad flag value", []string{"run", "-f", "x.yaml", "--seed", "abc"}, `invalid argument "abc" for "--seed"`, "meshbench run"},
		{"flag without value", []string{"run", "-f"}, "flag needs an argument", "meshbench run"},
		{"missing required flag", []string{"run"}, `required flag(s) "file" not set`, "meshbench run"},
		{"missing argument", []string{"baseline", "save", "only-a-name"}, "accepts 2 arg(s), received 1 (usage: meshbench baseline save NAME DIR [flags])", "meshbench baseline save"},
		{"no argument", []string{"report", "-o", "x"}, "requires at least 1 arg(s)", "meshbench report"},
		{"extra argument", []string{"version", "now"}, `unknown command "now" for "meshbench version"`, "meshbench version"},
		{"unknown command", []string{"rnu"}, `unknown command "rnu" for "meshbench" (did you mean run?)`, "meshbench"},
		{"unknown subcommand", []string{"baseline", "lst"}, `unknown command "lst" for "meshbench baseline" (did you mean list?)`, "meshbench baseline"},
		{"usage error from a command", []string{"gate", "-f", "../scenarios/synthetic/gate.yaml"}, "give the base as exactly one of", "meshbench gate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := meshbench(tc.args...)
			assert.Equal(t, 3, code, errOut)
			assert.Empty(t, out)
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			require.GreaterOrEqual(t, len(lines), 2, errOut)
			assert.Contains(t, lines[0], "meshbench: "+tc.want)
			assert.Equal(t, "see '"+tc.see+" --help'", lines[len(lines)-1])
		})
	}
}

// TestNotAUsageError: a failure that is not the invocation's fault gets no
// pointer to the help.
func TestNotAUsageError(t *testing.T) {
	code, _, errOut := meshbench("baseline", "show", "no-such-baseline", "--store", t.TempDir())
	assert.NotEqual(t, 0, code)
	assert.NotContains(t, errOut, "--help")
}

// TestCommandGroupWithoutSubcommandShowsHelp: `meshbench baseline` alone
// is a request for the group's help, not an error.
func TestCommandGroupWithoutSubcommandShowsHelp(t *testing.T) {
	code, out, errOut := meshbench("baseline")
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Available Commands:")
}

// TestREADMEExamples: every meshbench line of README.md parses (a real
// command, its flags and arguments), and every command has one.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	root := NewRoot(Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	shown := map[string]bool{}
	for _, line := range exampleLines(string(readme)) {
		args := splitWords(line)[1:]
		found, rest, err := root.Find(args)
		require.NoError(t, err, line)
		found.InitDefaultHelpFlag()
		root.InitDefaultVersionFlag()
		require.NoError(t, found.ParseFlags(rest), line)
		if found.Args != nil {
			require.NoError(t, found.Args(found, found.Flags().Args()), line)
		}
		if p := path(found); len(p) > 0 {
			shown[p[0]] = true
		} else if v, _ := found.Flags().GetBool("version"); v {
			shown["version"] = true
		}
	}
	for _, c := range root.Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			assert.True(t, shown[c.Name()], "README.md has no example of meshbench %s", c.Name())
		}
	}
}
