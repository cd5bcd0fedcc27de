package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binDir holds meshproxy and meshcontrol, built once for this test binary
// (never inside a test's deadline).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mesh-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/meshproxy", "./cmd/meshcontrol")
	cmd.Dir = filepath.Join("..")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build meshproxy and meshcontrol:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
