package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"
)

// What the harness leaves on Docker's disk, and how it takes it back.
//
// Node volumes: kind deletes a node container with `docker rm -f -v`,
// which removes its anonymous /var volume too. But when `docker run` fails
// while dockerd copies the node image's /var into that volume (a full
// disk: "failed to copy files: ... no space left on device"), the
// container never exists and the volume stays, dangling, with nothing to
// name it by (Docker 20.10 labels no anonymous volume). So Create notes the
// volumes before kind starts and, when creation fails, removes the
// anonymous ones that appeared since and that no container uses.
//
// Images: every build of a binary is a new meshbench.local image (the tag
// is its hash), and nothing removed old ones (101 of them, 8.7 GB, in one
// session). After building a new one, BuildImage removes that repository's
// older ones beyond the newest KeepImages.

// KeepImages is how many images of each meshbench.local repository
// (meshbench, meshproxy, meshcontrol) pruning keeps, the newest first: the
// one just built, and the two before it, because `meshbench gate` builds a
// base and a candidate side by side and a third survives a rebuild while
// the other side is still loading. An image younger than keepYoungerThan
// is kept too: another run may have built it and not yet loaded it.
const (
	KeepImages      = 3
	keepYoungerThan = time.Hour
)

// anonymousVolume is how Docker names a volume nobody named.
var anonymousVolume = regexp.MustCompile(`^[0-9a-f]{64}$`)

// volumes lists Docker's volume names (filter: docker volume ls --filter).
func volumes(ctx context.Context, filter ...string) ([]string, error) {
	args := []string{"volume", "ls", "-q"}
	for _, f := range filter {
		args = append(args, "--filter", f)
	}
	out, err := runDocker(ctx, "docker volume ls", args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// removeNewDangling removes the anonymous volumes that are not in before
// and no container uses. `docker volume rm` without -f refuses a volume in
// use, so a volume another container is being created with is left alone.
// It returns what it removed.
func removeNewDangling(ctx context.Context, log *slog.Logger, before []string) ([]string, error) {
	dangling, err := volumes(ctx, "dangling=true")
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, v := range dangling {
		if !anonymousVolume.MatchString(v) || slices.Contains(before, v) {
			continue
		}
		if out, err := exec.CommandContext(ctx, "docker", "volume", "rm", v).CombinedOutput(); err != nil {
			log.Debug("volume left", "volume", v, "err", withTail(err, out))
			continue
		}
		removed = append(removed, v)
	}
	return removed, nil
}

// image is one local image of a repository.
type image struct {
	ref     string // repository:tag
	created time.Time
}

// harnessTag is the tag ImageRef gives: 12 hex digits of the binary's hash.
var harnessTag = regexp.MustCompile(`:[0-9a-f]{12}$`)

// pruneImages removes repo's images beyond the newest keep, except those
// younger than young, those in inUse, and those a container uses (`docker
// rmi` without -f refuses them). Only tags of ImageRef's form are
// considered: an image someone tagged by hand is not the harness's to
// remove. It returns the references it removed.
func pruneImages(ctx context.Context, log *slog.Logger, repo string, keep int, young time.Duration, inUse ...string) ([]string, error) {
	out, err := runDocker(ctx, "docker image ls "+repo, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repo)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, r := range strings.Fields(string(out)) {
		if harnessTag.MatchString(r) {
			refs = append(refs, r)
		}
	}
	if len(refs) <= keep {
		return nil, nil
	}
	args := append([]string{"image", "inspect", "--format", "{{.Created}}"}, refs...)
	out, err = runDocker(ctx, "docker image inspect", args...)
	if err != nil {
		return nil, err
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(refs) {
		return nil, fmt.Errorf("docker image inspect: %d creation times for %d images", len(lines), len(refs))
	}
	images := make([]image, len(refs))
	for i, r := range refs {
		t, err := time.Parse(time.RFC3339Nano, lines[i])
		if err != nil {
			return nil, fmt.Errorf("docker image inspect %s: created %q: %w", r, lines[i], err)
		}
		images[i] = image{ref: r, created: t}
	}
	slices.SortFunc(images, func(a, b image) int { return b.created.Compare(a.created) })
	var removed []string
	for _, im := range images[keep:] {
		if slices.Contains(inUse, im.ref) || time.Since(im.created) < young {
			continue
		}
		if out, err := exec.CommandContext(ctx, "docker", "rmi", im.ref).CombinedOutput(); err != nil {
			log.Debug("image kept", "image", im.ref, "err", withTail(err, out))
			continue
		}
		removed = append(removed, im.ref)
	}
	return removed, nil
}
