package main

import (
	"bytes"
	"context"
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
			code := exitCode(Run(context.Background(), []string{arg}, io.Discard, &errOut), &errOut)
			assert.Equal(t, 0, code)
			assert.Contains(t, errOut.String(), "Examples:")
			assert.Contains(t, errOut.String(), "-outbound value")
			assert.NotContains(t, errOut.String(), "meshproxy: ", "help is not an error")
		})
	}
	var errOut bytes.Buffer
	code := exitCode(Run(context.Background(), []string{"--bogus"}, io.Discard, &errOut), &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "flag provided but not defined: -bogus")
}

// TestUsageExamplesParse: every meshproxy line of the usage's examples
// parses with the real flag set.
func TestUsageExamplesParse(t *testing.T) {
	n := 0
	_, examples, _ := strings.Cut(usage, "Examples:")
	for _, line := range strings.Split(examples, "\n") {
		words := strings.Fields(line)
		for len(words) > 0 && strings.Contains(words[0], "=") {
			words = words[1:] // VAR=value before the command
		}
		if len(words) == 0 || words[0] != "meshproxy" || strings.HasPrefix(words[1], "[") {
			continue
		}
		_, err := parseFlags(words[1:], io.Discard)
		require.NoError(t, err, line)
		n++
	}
	assert.GreaterOrEqual(t, n, 3)
}

// TestREADMEExample: README.md's meshproxy example parses.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if words := strings.Fields(line); len(words) > 1 && words[0] == "meshproxy" && strings.HasPrefix(words[1], "--") {
			_, err := parseFlags(words[1:], io.Discard)
			require.NoError(t, err, line)
			n++
		}
	}
	assert.Positive(t, n, "README.md shows no meshproxy command line")
}
