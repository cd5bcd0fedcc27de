package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	args := append([]string{"build", "-trimpath", "-o", abs + string(filepath.Separator)}, packages...)
	var cmd *exec.Cmd
	if nice > 0 {
		cmd = exec.CommandContext(ctx, "nice", append([]string{"-n", fmt.Sprint(nice), "go"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "go", args...)
	}
	cmd.Dir = c.Dir
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
