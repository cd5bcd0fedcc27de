package cluster

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// ImageRepo prefixes the harness's images. The tag is the first 12 hex
// digits of the binary's SHA-256: pinned, never :latest, and a new build
// gets a new tag, so imagePullPolicy IfNotPresent always runs what was built.
const ImageRepo = "meshbench.local/"

// ImageRef returns the pinned reference of the image of binary.
func ImageRef(name, binary string) (string, error) {
	f, err := os.Open(binary)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", binary, err)
	}
	return ImageRepo + name + ":" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// CheckStatic fails when binary needs a dynamic loader: FROM scratch there is none.
func CheckStatic(binary string) error {
	f, err := elf.Open(binary)
	if err != nil {
		return fmt.Errorf("%s: %w", binary, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; images are FROM scratch: rebuild with CGO_ENABLED=0", binary)
		}
	}
	return nil
}

// BuildImage makes a FROM-scratch image holding binary as
// /usr/local/bin/<name> (its entrypoint) with `docker import`, which needs
// no base image and no registry. An image already present is reused; after
// building a new one, the repository's old ones are pruned (cleanup.go).
func BuildImage(ctx context.Context, log *slog.Logger, name, binary string) (string, error) {
	ref, err := ImageRef(name, binary)
	if err != nil {
		return "", err
	}
	if exec.CommandContext(ctx, "docker", "image", "inspect", ref).Run() == nil {
		return ref, nil
	}
	if err := CheckStatic(binary); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := scratchTar(&buf, name, binary); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "docker", "import",
		"-c", `ENTRYPOINT ["/usr/local/bin/`+name+`"]`,
		"-c", "ENV PATH=/usr/local/bin",
		"-", ref)
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", withTail(fmt.Errorf("docker import %s: %w", ref, err), out)
	}
	removed, err := pruneImages(ctx, log, ImageRepo+name, KeepImages, keepYoungerThan, ref)
	if err != nil {
		log.Warn("old images not pruned", "repository", ImageRepo+name, "err", err)
	}
	if len(removed) > 0 {
		log.Info("old images removed", "repository", ImageRepo+name, "removed", len(removed), "kept", KeepImages)
	}
	return ref, nil
}

// scratchTar writes the image's filesystem: the binary, /tmp, and an
// /etc/passwd naming nobody (some libraries look the user up).
func scratchTar(w io.Writer, name, binary string) error {
	data, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	dirs := []string{"etc/", "tmp/", "usr/", "usr/local/", "usr/local/bin/"}
	for _, d := range dirs {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode}); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/:/nonexistent\n")},
		{filepath.Join("usr/local/bin", name), 0o755, data},
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// LoadImages loads images from the local Docker into every node of the
// cluster that lacks them, with kind's nodeutils.LoadImageArchive. Before
// the first it checks Docker's disk for what loading will write
// (loadNeed).
func (m *Manager) LoadImages(ctx context.Context, name string, refs ...string) error {
	all, err := m.provider.ListInternalNodes(name)
	if err != nil {
		return fmt.Errorf("nodes of %q: %w", name, withOutput(err))
	}
	missing := map[string][]string{}
	for _, ref := range refs {
		for _, n := range all {
			if _, err := nodeutils.ImageID(n, ref); err != nil {
				missing[ref] = append(missing[ref], n.String())
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	need, err := loadNeed(ctx, missing)
	if err != nil {
		return err
	}
	if err := m.disk.Check(ctx, fmt.Sprintf("loading %d image(s) into kind cluster %q", len(missing), name), need); err != nil {
		return err
	}
	for _, ref := range refs {
		if len(missing[ref]) == 0 {
			continue
		}
		archive, err := os.CreateTemp("", "meshbench-image-*.tar")
		if err != nil {
			return err
		}
		path := archive.Name()
		archive.Close()
		defer os.Remove(path)
		if _, err := runDocker(ctx, "docker save "+ref, "save", "-o", path, ref); err != nil {
			return err
		}
		for _, nn := range missing[ref] {
			node, _ := nodeByName(all, nn)
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			err = nodeutils.LoadImageArchive(node, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("load %s into %s: %w", ref, nn, withOutput(err))
			}
			m.log.Debug("image loaded", "image", ref, "node", nn)
		}
		os.Remove(path) // the next archive need not share the disk with this one
	}
	return nil
}

// loadNeed is what loading writes, in Docker's data root: each image twice
// in every node that lacks it (containerd keeps the layer blob and unpacks
// a snapshot: measured, 235 MB of images grew a node's volume by 470 MB),
// plus the largest archive, which docker save writes to the temporary
// directory (often the same disk).
func loadNeed(ctx context.Context, missing map[string][]string) (uint64, error) {
	var need, largest uint64
	for ref, nodes := range missing {
		out, err := runDocker(ctx, "docker image inspect "+ref, "image", "inspect", "--format", "{{.Size}}", ref)
		if err != nil {
			return 0, err
		}
		size, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("docker image inspect %s: size %q: %w", ref, strings.TrimSpace(string(out)), err)
		}
		need += 2 * size * uint64(len(nodes))
		largest = max(largest, size)
	}
	return need + largest, nil
}
