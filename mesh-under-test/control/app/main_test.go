package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelpExitsZero: --help prints the usage with examples and the flags,
// and the process exits 0; a bad flag still exits 1.
func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		t.Run(arg, func(t *testing.T) {
			var errOut bytes.Buffer
			code := ExitCode(Run(context.Background(), []string{arg}, &errOut), &errOut)
			assert.Equal(t, 0, code)
			assert.Contains(t, errOut.String(), "Examples:")
			assert.Contains(t, errOut.String(), "-mesh string")
			assert.NotContains(t, errOut.String(), "meshcontrol: ", "help is not an error")
		})
	}
	var errOut bytes.Buffer
	code := ExitCode(Run(context.Background(), []string{"--bogus"}, &errOut), &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "flag provided but not defined: -bogus")
}

// TestUsageExamplesParse: every meshcontrol line of the usage's examples
// parses with the real flag set. The flag package reads flags in order, so
// with --help appended, Run stops with flag.ErrHelp only after every flag
// of the example parsed (and before anything starts).
func TestUsageExamplesParse(t *testing.T) {
	_, examples, _ := strings.Cut(Usage, "Examples:")
	n := 0
	for _, line := range strings.Split(examples, "\n") {
		words := strings.Fields(line)
		if len(words) == 0 || words[0] != "meshcontrol" {
			continue
		}
		err := Run(context.Background(), append(words[1:], "--help"), io.Discard)
		require.True(t, errors.Is(err, flag.ErrHelp), "%s: %v", line, err)
		n++
	}
	assert.GreaterOrEqual(t, n, 2)
}

// TestREADMEExample: README.md's meshcontrol example parses (see
// TestUsageExamplesParse for the --help trick).
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if words := strings.Fields(line); len(words) > 1 && words[0] == "meshcontrol" && strings.HasPrefix(words[1], "--") {
			err := Run(context.Background(), append(words[1:], "--help"), io.Discard)
			require.True(t, errors.Is(err, flag.ErrHelp), "%s: %v", line, err)
			n++
		}
	}
	assert.Positive(t, n, "README.md shows no meshcontrol command line")
}
