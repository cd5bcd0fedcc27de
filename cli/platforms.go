package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/local"
)

// platformFactories builds a platform by name.
func platformFactories() map[string]func(ctx context.Context, e *env, f *runFlags, bins platform.Binaries) (platform.Platform, error) {
	return map[string]func(ctx context.Context, e *env, f *runFlags, bins platform.Binaries) (platform.Platform, error){
		"local": newLocalPlatform,
		"kind":  newKindPlatform,
		"kube":  newKubePlatform,
	}
}

func newLocalPlatform(_ context.Context, e *env, f *runFlags, bins platform.Binaries) (platform.Platform, error) {
	return local.New(bins, local.WithLogger(e.log), local.WithWorkDir(f.out)), nil
}

func platformNames() []string {
	var n []string
	for k := range platformFactories() {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// platformFactory returns the factory of a platform by name, without
// creating anything (a bad --platform is reported before any side effect).
func platformFactory(name string) (func(ctx context.Context, e *env, f *runFlags, bins platform.Binaries) (platform.Platform, error), error) {
	mk, ok := platformFactories()[name]
	if !ok {
		return nil, fmt.Errorf("--platform %q: unknown (known: %v)", name, platformNames())
	}
	return mk, nil
}

// resolveBinaries finds meshbench (this executable), meshproxy and
// meshcontrol: in binDir when given, else next to this executable.
func resolveBinaries(binDir string) (platform.Binaries, error) {
	self, err := os.Executable()
	if err != nil {
		return platform.Binaries{}, err
	}
	if binDir == "" {
		binDir = filepath.Dir(self)
	}
	// Absolute: these paths are handed to child processes.
	if binDir, err = filepath.Abs(binDir); err != nil {
		return platform.Binaries{}, fmt.Errorf("--bin-dir: %w", err)
	}
	b := platform.Binaries{
		Meshbench:   filepath.Join(binDir, "meshbench"),
		Meshproxy:   filepath.Join(binDir, "meshproxy"),
		Meshcontrol: filepath.Join(binDir, "meshcontrol"),
	}
	if _, err := os.Stat(b.Meshbench); err != nil {
		b.Meshbench = self
	}
	return b, nil
}
