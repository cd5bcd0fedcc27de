package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/meshbench/meshbench/internal/buildtags"
	"github.com/meshbench/meshbench/internal/procgroup"
)

// DefaultPackages are built for each side: the harness's own binary
// (workloads: echo server, load client) and the mesh's commands.
var DefaultPackages = []string{"./cmd/meshbench", "./mesh-under-test/cmd/..."}

// CurrentTree is the revision name for "the working tree as it is, with
// uncommitted changes", built in place without a worktree.
const CurrentTree = "."

// Checkout is one revision's source tree.
type Checkout struct {
	Rev  string // resolved commit, or CurrentTree
	Dir  string
	repo string
	temp bool
}

// Checkout makes a detached git worktree of rev under parent (or returns
// the repository itself for CurrentTree). Remove it with Close.
func CheckoutRev(ctx context.Context, repo, rev, parent string) (*Checkout, error) {
	if rev == CurrentTree {
		return &Checkout{Rev: CurrentTree, Dir: repo, repo: repo}, nil
	}
	out, err := git(ctx, repo, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	commit := strings.TrimSpace(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "worktree-"+commit[:min(12, len(commit))]+"-")
	if err != nil {
		return nil, err
	}
	if _, err := git(ctx, repo, "worktree", "add", "--detach", "--force", dir, commit); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("git worktree add %s: %w", rev, err)
	}
	return &Checkout{Rev: commit, Dir: dir, repo: repo, temp: true}, nil
}

// Close removes the worktree (and git's record of it).
func (c *Checkout) Close() error {
	if !c.temp {
		return nil
	}
	_, err := git(context.Background(), c.repo, "worktree", "remove", "--force", c.Dir)
	if err != nil {
		os.RemoveAll(c.Dir)
		_, _ = git(context.Background(), c.repo, "worktree", "prune")
	}
	return err
}

// Build compiles packages of the checkout into binDir with go build -o,
// niced so a gate on a shared machine does not starve other work. It
// builds with -trimpath: the two worktrees live at different paths, and
// without it identical sources gave binaries differing in the embedded
// paths (an A/A gate must compare identical bytes).
func (c *Checkout) Build(ctx context.Context, binDir string, packages []string, nice int) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(binDir)
	if err != nil {
		return err
	}
	args := append([]string{"build", "-trimpath", "-tags", buildtags.Tags, "-o", abs + string(filepath.Separator)}, packages...)
	var cmd *exec.Cmd
	if nice > 0 {
		cmd = exec.CommandContext(ctx, "nice", append([]string{"-n", fmt.Sprint(nice), "go"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "go", args...)
	}
	cmd.Dir = c.Dir
	procgroup.KillOnCancel(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s (%s): %w\n%s", c.Dir, c.Rev, err, out)
	}
	return nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return string(out), nil
}

// HarnessPackage builds the harness's own binary (HarnessBinary): the load
// client and the app of every lane. It is the yardstick, so a gate builds
// it once, from the base, for both sides (UseBaseHarness).
const (
	HarnessPackage = "./cmd/meshbench"
	HarnessBinary  = "meshbench"
)

// MeshOnly returns packages without the harness's own.
func MeshOnly(packages []string) []string {
	var out []string
	for _, p := range packages {
		if filepath.Clean(p) != filepath.Clean(HarnessPackage) {
			out = append(out, p)
		}
	}
	return out
}

// UseBaseHarness fills dir with links to the candidate's binaries (the
// mesh: meshproxy, meshcontrol) and to the base's harness binary, and
// returns the candidate side running from dir. Only the mesh then differs
// between the sides: a candidate that changed the load client or the app
// cannot move what it is measured with (the machine-speed reference is the
// app's CPU). Links, not copies: both sides map the very same harness file,
// so its page cache is shared alike.
func UseBaseHarness(base, cand Side, dir string) (Side, error) {
	harness, err := filepath.Abs(filepath.Join(base.BinDir, HarnessBinary))
	if err != nil {
		return cand, err
	}
	if _, err := os.Stat(harness); err != nil {
		return cand, fmt.Errorf("base harness binary: %w", err)
	}
	if a, b := filepath.Clean(cand.BinDir), filepath.Clean(dir); a == b {
		return cand, fmt.Errorf("candidate binaries in %s: the gate links the candidate's binaries into that directory; give another", dir)
	}
	entries, err := os.ReadDir(cand.BinDir)
	if err != nil {
		return cand, fmt.Errorf("candidate binaries: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return cand, err
	}
	link := func(target, name string) error {
		path := filepath.Join(dir, name)
		_ = os.Remove(path)
		if err := os.Symlink(target, path); err != nil {
			return fmt.Errorf("link %s: %w", path, err)
		}
		return nil
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == HarnessBinary {
			continue
		}
		target, err := filepath.Abs(filepath.Join(cand.BinDir, e.Name()))
		if err != nil {
			return cand, err
		}
		if err := link(target, e.Name()); err != nil {
			return cand, err
		}
	}
	if err := link(harness, HarnessBinary); err != nil {
		return cand, err
	}
	cand.BinDir = dir
	return cand, nil
}
