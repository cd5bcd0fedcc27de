package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/outdir"
)

// TestOutputDirectoryClaimedBeforeTheFirstRun: every command that writes
// runs (run of each kind, gate) refuses an output directory it could not
// write, and one another meshbench is writing into, before it starts
// anything: exit 3, the error names the directory, no result written.
func TestOutputDirectoryClaimedBeforeTheFirstRun(t *testing.T) {
	tmp := t.TempDir()
	synthetic := filepath.Join(tmp, "s.yaml")
	require.NoError(t, os.WriteFile(synthetic, []byte("name: s\nlanes: [none]\nduration: 1s\n"), 0o644))
	file := filepath.Join(tmp, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	held := filepath.Join(tmp, "held")
	lock, err := outdir.Claim(held)
	require.NoError(t, err)
	t.Cleanup(lock.Release)

	commands := map[string][]string{
		"run synthetic":    {"run", "-f", synthetic, "--no-report"},
		"run resilience":   {"run", "-f", "../scenarios/resilience/app-kill.yaml", "--no-report"},
		"run controlplane": {"run", "-f", "../scenarios/controlplane/churn.yaml", "--no-report"},
		"gate":             {"gate", "-f", synthetic, "--base-bin", tmp, "--candidate-bin", tmp},
	}
	dirs := []struct {
		name, dir, want string
	}{
		{"unwritable", filepath.Join(file, "out"), "output directory " + filepath.Join(file, "out") + ": cannot create it"},
		{"in use", held, "output directory " + held + ": in use by another meshbench (pid "},
	}
	for name, args := range commands {
		for _, d := range dirs {
			t.Run(name+"/"+d.name, func(t *testing.T) {
				var out, errOut bytes.Buffer
				code := Run(context.Background(), append(append([]string{}, args...), "-o", d.dir), Streams{Out: &out, Err: &errOut})
				assert.Equal(t, 3, code, errOut.String())
				assert.Contains(t, errOut.String(), "-o: "+d.want)
				entries, _ := os.ReadDir(held)
				assert.Len(t, entries, 1, "only the holder's lock file is in the held directory")
			})
		}
	}
}
