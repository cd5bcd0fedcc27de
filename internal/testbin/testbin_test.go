package testbin

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/internal/buildtags"
)

func TestMain(m *testing.M) { Main(m) }

func TestDirBuildsOnceAndHoldsEveryBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the project's binaries")
	}
	dir := Dir(t)
	for _, name := range []string{"meshbench", "meshproxy", "meshcontrol"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.NotZero(t, fi.Mode()&0o111, "%s is executable", name)
	}
	assert.Equal(t, dir, Dir(t), "the second call reuses the first build")
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
}

// TestBuildTagsAgree: every place that builds the shipped binaries uses the
// same tags, so tests, the CI gate and `make build` measure one binary.
func TestBuildTagsAgree(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		return string(b)
	}
	assert.Regexp(t, `(?m)^TAGS\s+:= `+buildtags.Tags+`$`, read("Makefile"), "Makefile TAGS")
	// every go build of the project's commands (not of tools like istiod)
	ours := regexp.MustCompile(`(?m)^.*\bbuild .*\./(cmd/meshbench|mesh-under-test/cmd/).*$`)
	for _, f := range []string{"ci/github/perf-gate.yml", "ci/gate.sh", "Makefile"} {
		lines := ours.FindAllString(read(f), -1)
		require.NotEmpty(t, lines, "%s builds the project's commands", f)
		for _, l := range lines {
			if !strings.Contains(l, "-tags "+buildtags.Tags+" ") && !strings.Contains(l, `-tags "$(TAGS)" `) {
				assert.Fail(t, "a go build without the tags", "%s: %s", f, strings.TrimSpace(l))
			}
		}
	}
}
