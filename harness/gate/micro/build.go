package micro

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/meshbench/meshbench/internal/procgroup"
)

// testBinary is one package's compiled test binary on one side.
type testBinary struct {
	ImportPath string
	Dir        string // package source dir: the binary runs there, as go test does
	Path       string
}

// buildSide compiles the test binary of every package matching patterns in
// the module at root into outDir. Packages without test files are skipped.
func buildSide(ctx context.Context, root, outDir string, patterns []string, nice int) ([]testBinary, error) {
	args := append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{len .TestGoFiles}}{{len .XTestGoFiles}}"}, patterns...)
	out, err := goCmd(ctx, root, nice, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %w%s", root, err, stderrOf(err))
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var bins []testBinary
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || f[2] == "00" {
			continue
		}
		b := testBinary{ImportPath: f[0], Dir: f[1],
			Path: filepath.Join(outDir, strings.NewReplacer("/", "_", ".", "_").Replace(f[0])+".test")}
		cmd := goCmd(ctx, root, nice, "test", "-c", "-o", b.Path, f[0])
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go test -c %s in %s: %w\n%s", f[0], root, err, msg)
		}
		bins = append(bins, b)
	}
	if len(bins) == 0 {
		return nil, fmt.Errorf("no test packages match %v in %s", patterns, root)
	}
	return bins, nil
}

func goCmd(ctx context.Context, dir string, nice int, args ...string) *exec.Cmd {
	return niceCmd(ctx, dir, nice, "go", args...)
}

// niceCmd runs name under nice(1) when nice > 0: on a shared 2-core machine
// a long benchmark job should yield to interactive work, and both sides are
// niced alike so the comparison stays fair.
func niceCmd(ctx context.Context, dir string, nice int, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if nice > 0 {
		cmd = exec.CommandContext(ctx, "nice", append([]string{"-n", fmt.Sprint(nice), name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	cmd.Dir = dir
	procgroup.KillOnCancel(cmd)
	return cmd
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return "\n" + string(ee.Stderr)
	}
	return ""
}
