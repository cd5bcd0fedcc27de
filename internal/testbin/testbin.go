package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshbench/meshbench/internal/buildtags"
)

// Packages are the main packages every build holds, relative to the module root.
var Packages = []string{"./cmd/meshbench", "./mesh-under-test/cmd/meshproxy", "./mesh-under-test/cmd/meshcontrol"}

// A set is one build configuration (plain, or static for container images)
// of some packages (nil: Packages).
type set struct {
	once sync.Once
	dir  string
	err  error
	env  []string
	pkgs []string
}

var (
	plain  = &set{}
	static = &set{env: []string{"CGO_ENABLED=0"}}
	// staticProxy is meshproxy alone, linked as `make build` links it: a
	// test of the shipped proxy binary need not link the two others.
	staticProxy = &set{env: []string{"CGO_ENABLED=0"}, pkgs: []string{"./mesh-under-test/cmd/meshproxy"}}
)

// Dir returns a directory holding meshbench, meshproxy and meshcontrol built
// from this checkout, building them on the first call. A build failure fails
// the calling test with the compiler's output.
func Dir(tb testing.TB) string {
	tb.Helper()
	return plain.get(tb)
}

// StaticDir is Dir with CGO_ENABLED=0: binaries for FROM-scratch images.
func StaticDir(tb testing.TB) string {
	tb.Helper()
	return static.get(tb)
}

// StaticProxy returns the path of meshproxy built alone with CGO_ENABLED=0,
// as `make build` builds it (the binary whose size and pages a footprint
// test measures), building it on the first call.
func StaticProxy(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(staticProxy.get(tb), "meshproxy")
}

func (s *set) get(tb testing.TB) string {
	tb.Helper()
	s.once.Do(func() { s.dir, s.err = build(s.env, s.pkgs) })
	if s.err != nil {
		tb.Fatalf("build the project's binaries: %v", s.err)
	}
	return s.dir
}

// build runs `go build` with no deadline: how long a cold build takes is not
// what any test measures.
func build(env, pkgs []string) (string, error) {
	if pkgs == nil {
		pkgs = Packages
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "meshbench-testbin-")
	if err != nil {
		return "", err
	}
	args := append([]string{"build", "-tags", buildtags.Tags, "-o", dir + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build in %s: %w\n%s", root, err, out)
	}
	return dir, nil
}

// ModuleRoot is the directory of the meshbench module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(mod), nil
}

// MainBuilt is Main for packages whose every test runs the binaries: it
// builds them before the first test (a failed build exits 1 with the
// compiler's output), stores their directory in *dir, then runs the tests.
func MainBuilt(m *testing.M, dir *string) {
	plain.once.Do(func() { plain.dir, plain.err = build(plain.env, plain.pkgs) })
	if plain.err != nil {
		fmt.Fprintln(os.Stderr, "build the project's binaries:", plain.err)
		os.Exit(1)
	}
	*dir = plain.dir
	Main(m)
}

// Main runs the package's tests and then removes what Dir and StaticDir built.
func Main(m *testing.M) {
	code := m.Run()
	for _, s := range []*set{plain, static, staticProxy} {
		if s.dir != "" {
			os.RemoveAll(s.dir)
		}
	}
	os.Exit(code)
}
