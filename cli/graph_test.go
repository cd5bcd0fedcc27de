package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGraphCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	good := write("good.yaml", `defaults: {numRbacPolicies: 3}
services:
- {name: front, isEntrypoint: true, script: [[{call: a}, {call: b}], {call: {service: a, probability: 50}}]}
- {name: a}
- {name: b}
`)
	bad := write("bad.yaml", "services:\n- name: front\n  script:\n  - call: missing\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err []string
	}{
		{"valid", []string{"graph", "check", good}, 0,
			[]string{"3 services, 2 call edges, entry front", "front -> a  1.5", "front -> b  1"},
			[]string{`good.yaml:1: defaults: key "numRbacPolicies" is ignored`}},
		{"invalid", []string{"graph", "check", bad}, 3, nil,
			[]string{`bad.yaml:4: services[0].script: cannot call undefined service "missing"`}},
		{"missing", []string{"graph", "check", filepath.Join(dir, "nope.yaml")}, 3, nil, []string{"nope.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), tc.args, Streams{Out: &out, Err: &errb})
			assert.Equal(t, tc.code, code, errb.String())
			for _, s := range tc.out {
				assert.Contains(t, out.String(), s)
			}
			for _, s := range tc.err {
				assert.Contains(t, errb.String(), s)
			}
		})
	}
}

// TestShippedTopologiesCheck: every topology under scenarios/*/graphs passes
// `meshbench graph check` with no warning.
func TestShippedTopologiesCheck(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*/graphs/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 5)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), []string{"graph", "check", f}, Streams{Out: &out, Err: &errb})
			assert.Equal(t, 0, code, errb.String())
			assert.Empty(t, errb.String(), "no warnings")
			assert.Contains(t, out.String(), "call edges")
		})
	}
}
