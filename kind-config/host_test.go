package kindconfig_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/cluster"
)

// TestPrepareDiskReport runs `prepare.sh --disk-report` (the last step of
// make kind-host) over fake docker and df commands: it names Docker's data
// root and its free space, warns below one node's need, and says when it
// cannot tell.
func TestPrepareDiskReport(t *testing.T) {
	tests := []struct {
		name, docker, df string
		want             []string
		warns            bool
	}{
		{"room", "echo /data/docker", "echo Avail; echo 43900000000",
			[]string{"Docker's data root /data/docker: 43.90 GB free; a kind node needs 2.50 GB (three nodes: 7.50 GB)"}, false},
		{"below one node", "echo /data/docker", "echo Avail; echo 1230000000",
			[]string{"/data/docker: 1.23 GB free", "WARNING: /data/docker cannot hold one kind node: make room with 'docker system prune' and delete old kind clusters with 'meshbench cluster delete --name NAME'"}, true},
		{"remote Docker", "echo /var/lib/remote", "echo 'df: /var/lib/remote: No such file or directory' >&2; exit 1",
			[]string{"Docker's data root /var/lib/remote is not on this machine's filesystem (remote Docker?): its free space is unknown here"}, false},
		{"no Docker", "exit 1", "exit 1", []string{"docker info failed: free space of Docker's data root unknown"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shims := t.TempDir()
			for name, body := range map[string]string{"docker": tt.docker, "df": tt.df} {
				require.NoError(t, os.WriteFile(filepath.Join(shims, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755))
			}
			cmd := exec.Command("bash", filepath.Join("host", "prepare.sh"), "--disk-report")
			cmd.Env = append(os.Environ(), "PATH="+shims+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			for _, w := range tt.want {
				assert.Contains(t, string(out), w)
			}
			assert.Equal(t, tt.warns, strings.Contains(string(out), "WARNING"), "%s", out)
		})
	}
}

// TestPrepareNeedIsTheHarnesss: the script warns at the need the harness
// checks, and reports at its end.
func TestPrepareNeedIsTheHarnesss(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("host", "prepare.sh"))
	require.NoError(t, err)
	assert.Contains(t, string(script), fmt.Sprintf("\nNODE_DISK_BYTES=%d\n", cluster.NodeDiskBytes))
	assert.True(t, strings.HasSuffix(strings.TrimSpace(string(script)), "log \"host ready\"\ndisk_report"),
		"make kind-host ends with the disk report")
}
