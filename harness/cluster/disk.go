package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"syscall"

	kindv1 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// NodeDiskBytes is the free space one kind node needs where Docker keeps its
// data, checked before a cluster is created. Measured (2026-12-02, docs/kind.md
// "Disk"): `docker run` copies the node image's /var into the node's
// anonymous volume (0.78 GB) before the container exists, which is where
// CI's full disk failed; once Ready the volume holds 1.70 GB (containerd's
// images unpacked), and 2.17 GB after the harness's three images are loaded
// (each is stored twice in the node: its layer blob and its unpacked
// snapshot). 2.5 GB leaves ~15% for what pods write while a run lasts.
const NodeDiskBytes uint64 = 2_500_000_000

// ErrDiskFull: Docker's data root has less free space than the harness is
// about to use. Tests skip on it; users read what to do in its message.
var ErrDiskFull = errors.New("not enough free disk space for kind")

// DiskCheck compares the free space in Docker's data root with a need
// before the harness writes there. Root and Free are seams (tests feed a
// small free figure); NewDiskCheck fills them with the real ones.
type DiskCheck struct {
	// Root returns Docker's data root (`docker info`'s DockerRootDir).
	Root func(ctx context.Context) (string, error)
	// Free returns the bytes an unprivileged writer may still use at path.
	Free func(path string) (uint64, error)
	// Clusters lists the existing kind clusters, named in the error as
	// what could be deleted; nil or failing: not named.
	Clusters func() ([]string, error)
	Log      *slog.Logger
}

// NewDiskCheck asks the docker CLI and statfs(2).
func NewDiskCheck(log *slog.Logger) DiskCheck {
	return DiskCheck{Root: dockerRoot, Free: statfsFree, Log: log}
}

// Check fails with ErrDiskFull when Docker's data root has less than need
// bytes free for what (e.g. `kind cluster "x" (3 nodes)`). Where the root
// cannot be learnt or is not in this process's filesystem (a remote
// Docker), it logs why at debug level and does not fail: Docker itself
// will still say so, and its output now reaches the error (withOutput).
func (d DiskCheck) Check(ctx context.Context, what string, need uint64) error {
	root, err := d.Root(ctx)
	if err != nil {
		d.Log.Debug("disk check skipped: Docker's data root unknown", "err", err)
		return nil
	}
	free, err := d.Free(root)
	if err != nil {
		d.Log.Debug("disk check skipped: Docker's data root is not on this machine's filesystem (remote Docker?)", "root", root, "err", err)
		return nil
	}
	d.Log.Debug("disk check", "root", root, "free", gb(free), "need", gb(need), "for", what)
	if free >= need {
		return nil
	}
	existing := ""
	if d.Clusters != nil {
		if names, err := d.Clusters(); err == nil && len(names) > 0 {
			existing = " (existing: " + strings.Join(names, ", ") + ")"
		}
	}
	return fmt.Errorf("%w: %s needs %s free where Docker keeps its data, %s has %s; "+
		`make room: "docker system prune" removes stopped containers, unused networks, dangling images and build cache `+
		`(add --volumes for unused volumes), "meshbench cluster delete --name NAME" deletes a kind cluster%s`,
		ErrDiskFull, what, gb(need), root, gb(free), existing)
}

// ForCluster checks for a new cluster of config (a name or a path):
// NodeDiskBytes for each of its nodes.
func (d DiskCheck) ForCluster(ctx context.Context, name, config string) error {
	n, err := ConfigNodes(config)
	if err != nil {
		return err
	}
	return d.Check(ctx, fmt.Sprintf("kind cluster %q (%d node%s, %s each)", name, n, plural(n), gb(NodeDiskBytes)), uint64(n)*NodeDiskBytes)
}

// ConfigNodes is the number of nodes config makes: its nodes list, or
// kind's default of one control-plane node when it has none.
func ConfigNodes(config string) (int, error) {
	raw, err := kindconfig.Load(config)
	if err != nil {
		return 0, err
	}
	var c kindv1.Cluster
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return 0, fmt.Errorf("kind config %q: %w", config, err)
	}
	return max(1, len(c.Nodes)), nil
}

func dockerRoot(ctx context.Context) (string, error) {
	out, err := runDocker(ctx, "docker info", "info", "--format", "{{.DockerRootDir}}")
	if err != nil {
		return "", err
	}
	root := strings.TrimSpace(string(out))
	if root == "" {
		return "", errors.New("docker info: no DockerRootDir")
	}
	return root, nil
}

func statfsFree(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// gb formats bytes as decimal gigabytes, as df -H and docker do.
func gb(b uint64) string {
	return strconv.FormatFloat(float64(b)/1e9, 'f', 2, 64) + " GB"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
