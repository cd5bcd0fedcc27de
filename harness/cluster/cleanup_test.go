package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func needDocker(t *testing.T) {
	t.Helper()
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("Docker is not running (make kind-host installs and starts it): skipped")
	}
}

func randHex(t *testing.T, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	require.NoError(t, err, "docker %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// tinyImage imports a FROM-scratch image of one small file as ref.
func tinyImage(t *testing.T, ref string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x")
	require.NoError(t, os.WriteFile(f, []byte(ref), 0o755))
	var buf bytes.Buffer
	require.NoError(t, scratchTar(&buf, "x", f))
	cmd := exec.Command("docker", "import", "-", ref)
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestPruneImages builds five tiny images under a test-only repository and
// prunes it to two: the newest two stay, and so do an image in use by this
// run, one a container uses and one tagged by hand; the rest go. Images
// younger than the guard are never removed.
func TestPruneImages(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	repo := "meshbench.local/test-prune-" + randHex(t, 4)
	var refs []string
	for i := range 5 {
		refs = append(refs, fmt.Sprintf("%s:%012x", repo, i))
	}
	byHand := repo + ":mine"
	container := "mb-test-prune-" + randHex(t, 4)
	t.Cleanup(func() {
		_ = exec.Command("docker", "rm", "-f", container).Run()
		_ = exec.Command("docker", append([]string{"rmi", "-f", byHand}, refs...)...).Run()
	})
	tinyImage(t, byHand)
	for _, r := range refs {
		tinyImage(t, r)
	}
	docker(t, "create", "--name", container, refs[0], "/x")
	log := slog.New(slog.DiscardHandler)

	removed, err := pruneImages(ctx, log, repo, 2, time.Hour, refs[1])
	require.NoError(t, err)
	assert.Empty(t, removed, "images younger than the guard stay")

	removed, err = pruneImages(ctx, log, repo, 2, 0, refs[1])
	require.NoError(t, err)
	assert.Equal(t, []string{refs[2]}, removed)
	left := strings.Fields(docker(t, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repo))
	assert.ElementsMatch(t, []string{refs[4], refs[3], refs[1], refs[0], byHand}, left,
		"the newest two, the one in use, the container's, the hand-tagged one")

	removed, err = pruneImages(ctx, log, "meshbench.local/test-prune-absent-"+randHex(t, 4), 2, 0)
	require.NoError(t, err)
	assert.Empty(t, removed)
}

// TestRemoveNewDangling: after a failed create, the anonymous volumes that
// appeared since the snapshot and that no container uses are removed; a
// dangling one from before, a named one, and one a container uses stay.
func TestRemoveNewDangling(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	img := "meshbench.local/test-volumes-" + randHex(t, 4) + ":000000000000"
	named := "mb-test-volume-" + randHex(t, 4)
	var containers, anon []string
	t.Cleanup(func() {
		for _, c := range containers {
			_ = exec.Command("docker", "rm", "-f", "-v", c).Run()
		}
		for _, v := range append(anon, named) {
			_ = exec.Command("docker", "volume", "rm", v).Run()
		}
		_ = exec.Command("docker", "rmi", "-f", img).Run()
	})
	tinyImage(t, img)
	// anonymous makes a container with an anonymous volume, as kind's
	// `--volume /var`, and returns the volume; drop removes the container
	// and leaves its volume dangling, as a failed `docker run` does.
	anonymous := func(drop bool) string {
		c := docker(t, "create", "--volume", "/data", img, "/x")
		containers = append(containers, c)
		v := docker(t, "inspect", "--format", `{{range .Mounts}}{{.Name}}{{end}}`, c)
		require.Regexp(t, anonymousVolume, v)
		anon = append(anon, v)
		if drop {
			docker(t, "rm", c)
		}
		return v
	}
	old := anonymous(true)
	before, err := volumes(ctx)
	require.NoError(t, err)
	require.Contains(t, before, old)

	left := anonymous(true)
	used := anonymous(false)
	docker(t, "volume", "create", named)

	removed, err := removeNewDangling(ctx, slog.New(slog.DiscardHandler), before)
	require.NoError(t, err)
	assert.Contains(t, removed, left)
	now, err := volumes(ctx)
	require.NoError(t, err)
	assert.NotContains(t, now, left, "the new dangling anonymous volume is gone")
	for _, v := range []string{old, used, named} {
		assert.Contains(t, now, v)
		assert.NotContains(t, removed, v)
	}
}

// TestLoadNeed: loading writes each image twice in every node that lacks
// it, plus the largest archive once.
func TestLoadNeed(t *testing.T) {
	needDocker(t)
	repo := "meshbench.local/test-loadneed-" + randHex(t, 4)
	a, b := repo+":00000000000a", repo+":00000000000b"
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", a, b).Run() })
	tinyImage(t, a)
	tinyImage(t, b)
	size := func(ref string) uint64 {
		n, err := strconv.ParseUint(docker(t, "image", "inspect", "--format", "{{.Size}}", ref), 10, 64)
		require.NoError(t, err)
		return n
	}
	sa, sb := size(a), size(b)
	need, err := loadNeed(context.Background(), map[string][]string{a: {"n1", "n2", "n3"}, b: {"n2"}})
	require.NoError(t, err)
	assert.Equal(t, 2*sa*3+2*sb+max(sa, sb), need)
	_, err = loadNeed(context.Background(), map[string][]string{repo + ":absent": {"n1"}})
	assert.ErrorContains(t, err, "docker image inspect "+repo+":absent: exit status 1: ")
}
