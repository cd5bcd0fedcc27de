package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDisk is a DiskCheck over a Docker root with free bytes.
func fakeDisk(free uint64, clusters ...string) (DiskCheck, *bytes.Buffer) {
	var log bytes.Buffer
	return DiskCheck{
		Root:     func(context.Context) (string, error) { return "/var/lib/docker", nil },
		Free:     func(string) (uint64, error) { return free, nil },
		Clusters: func() ([]string, error) { return clusters, nil },
		Log:      slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, &log
}

func TestDiskCheckForCluster(t *testing.T) {
	tests := []struct {
		name, config string
		free         uint64
		clusters     []string
		want         string // the whole error; empty: no error
	}{
		{"one node, room", "one-node", NodeDiskBytes, nil, ""},
		{"one node, full", "one-node", 1_230_000_000, []string{"meshbench", "mb-old"},
			`not enough free disk space for kind: kind cluster "x" (1 node, 2.50 GB each) needs 2.50 GB free where Docker keeps its data, /var/lib/docker has 1.23 GB; ` +
				`make room: "docker system prune" removes stopped containers, unused networks, dangling images and build cache (add --volumes for unused volumes), ` +
				`"meshbench cluster delete --name NAME" deletes a kind cluster (existing: meshbench, mb-old)`},
		{"three nodes need three times", "three-nodes", 7_400_000_000, nil,
			`not enough free disk space for kind: kind cluster "x" (3 nodes, 2.50 GB each) needs 7.50 GB free where Docker keeps its data, /var/lib/docker has 7.40 GB; ` +
				`make room: "docker system prune" removes stopped containers, unused networks, dangling images and build cache (add --volumes for unused volumes), ` +
				`"meshbench cluster delete --name NAME" deletes a kind cluster`},
		{"three nodes, room", "three-nodes", 3 * NodeDiskBytes, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := fakeDisk(tt.free, tt.clusters...)
			err := d.ForCluster(context.Background(), "x", tt.config)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrDiskFull)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// TestCreateChecksDiskFirst: Create refuses a cluster the disk cannot hold
// before kind runs a single docker command that writes.
func TestCreateChecksDiskFirst(t *testing.T) {
	needDocker(t) // Create lists the clusters first
	m := NewManager(slog.New(slog.DiscardHandler))
	m.disk, _ = fakeDisk(NodeDiskBytes - 1)
	const name = "mb-kinddisk-full"
	_, err := m.Create(context.Background(), CreateOptions{Name: name, Config: "one-node"})
	require.ErrorIs(t, err, ErrDiskFull)
	assert.ErrorContains(t, err, `kind cluster "mb-kinddisk-full" (1 node, 2.50 GB each) needs 2.50 GB free`)
	ps, err := exec.Command("docker", "ps", "-a", "-q", "--filter", "label=io.x-k8s.kind.cluster="+name).Output()
	require.NoError(t, err)
	assert.Empty(t, string(ps), "no node container was made")
}

// TestDiskCheckSkipsWhatItCannotSee: a remote Docker's root is not in this
// filesystem; the check says so at debug level and lets Docker decide.
func TestDiskCheckSkipsWhatItCannotSee(t *testing.T) {
	d, log := fakeDisk(0)
	d.Free = statfsFree
	d.Root = func(context.Context) (string, error) { return filepath.Join(t.TempDir(), "absent"), nil }
	assert.NoError(t, d.Check(context.Background(), "y", NodeDiskBytes))
	assert.Contains(t, log.String(), "level=DEBUG msg=\"disk check skipped: Docker's data root is not on this machine's filesystem")

	d, log = fakeDisk(0)
	d.Root = func(context.Context) (string, error) { return "", errors.New("docker info: exit status 1") }
	assert.NoError(t, d.Check(context.Background(), "y", NodeDiskBytes))
	assert.Contains(t, log.String(), `level=DEBUG msg="disk check skipped: Docker's data root unknown" err="docker info: exit status 1"`)
}

func TestStatfsFree(t *testing.T) {
	free, err := statfsFree(t.TempDir())
	require.NoError(t, err)
	assert.Positive(t, free)
	_, err = statfsFree(filepath.Join(t.TempDir(), "absent"))
	assert.ErrorContains(t, err, "statfs ")
}

func TestConfigNodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	tests := []struct {
		config  string
		want    int
		wantErr string
	}{
		{"one-node", 1, ""},
		{"three-nodes", 3, ""},
		{"", 1, ""},
		{write("none.yaml", "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"), 1, ""},
		{write("two.yaml", "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n"), 2, ""},
		{write("bad.yaml", "nodes: [\n"), 0, "bad.yaml"},
		{"four-nodes", 0, `kind config "four-nodes"`},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.config), func(t *testing.T) {
			n, err := ConfigNodes(tt.config)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, n)
		})
	}
}

// TestDocsDiskNeed: docs/kind.md states the per-node need NodeDiskBytes
// has, and the output tail's bounds.
func TestDocsDiskNeed(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "kind.md"))
	require.NoError(t, err)
	text := strings.Join(strings.Fields(string(doc)), " ")
	for _, want := range []string{
		fmt.Sprintf("needs **%s free per node** (three-nodes: %s;", gb(NodeDiskBytes), gb(3*NodeDiskBytes)),
		fmt.Sprintf("(at most %d lines, %d KB)", tailLines, tailBytes/1024),
		fmt.Sprintf("older images beyond the newest %d", KeepImages),
		fmt.Sprintf("never removes an image younger than %s", map[time.Duration]string{time.Hour: "an hour"}[keepYoungerThan]),
	} {
		assert.Contains(t, text, want)
	}
}
