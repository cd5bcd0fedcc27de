package cluster

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	kinderrors "sigs.k8s.io/kind/pkg/errors"
	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// runError runs script through kind's exec package, as kind runs docker,
// and returns the error it gives.
func runError(t *testing.T, script string) error {
	t.Helper()
	err := kindexec.Command("sh", "-c", script).Run()
	require.Error(t, err)
	require.NotNil(t, kindexec.RunErrorForError(err), "kind's exec returns a RunError")
	return err
}

func TestWithOutput(t *testing.T) {
	full := `echo 'Unable to find image locally' ; echo 'docker: Error response from daemon: failed to copy files: userspace copy failed: write /var/lib/docker/volumes/x/_data/f: no space left on device.' >&2; echo "See 'docker run --help'." >&2; exit 125`
	many := `for i in $(seq 1 50); do echo line $i; done; exit 1`
	huge := `head -c 10000 /dev/zero | tr '\0' x; echo; echo last; exit 1`
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want string // the whole message
	}{
		{"stderr after exit status", func(t *testing.T) error { return runError(t, "echo boom >&2; exit 3") },
			`command "sh -c 'echo boom >&2; exit 3'" failed with error: exit status 3: boom`},
		{"docker's full-disk reply, stdout and stderr", func(t *testing.T) error { return runError(t, full) },
			`command "` + kindexec.PrettyCommand("sh", "-c", full) + `" failed with error: exit status 125: Unable to find image locally; docker: Error response from daemon: failed to copy files: userspace copy failed: write /var/lib/docker/volumes/x/_data/f: no space left on device.; See 'docker run --help'.`},
		{"kind's Wrap (pkg/errors)", func(t *testing.T) error {
			return kinderrors.Wrap(runError(t, "echo boom >&2; exit 3"), "failed to load image")
		}, `failed to load image: command "sh -c 'echo boom >&2; exit 3'" failed with error: exit status 3: boom`},
		{"fmt's %w", func(t *testing.T) error { return fmt.Errorf("node x: %w", runError(t, "echo boom; exit 3")) },
			`node x: command "sh -c 'echo boom; exit 3'" failed with error: exit status 3: boom`},
		{"inside kind's aggregate", func(t *testing.T) error {
			return kinderrors.NewAggregate([]error{errors.New("first"), runError(t, "echo boom >&2; exit 3")})
		}, `[first, command "sh -c 'echo boom >&2; exit 3'" failed with error: exit status 3]: boom`},
		{"no output: unchanged", func(t *testing.T) error { return runError(t, "exit 4") },
			`command "sh -c 'exit 4'" failed with error: exit status 4`},
		{"not a command: unchanged", func(t *testing.T) error { return errors.New("plain") }, "plain"},
		{"the last 10 lines only", func(t *testing.T) error { return runError(t, many) },
			`command "` + kindexec.PrettyCommand("sh", "-c", many) + `" failed with error: exit status 1: line 41; line 42; line 43; line 44; line 45; line 46; line 47; line 48; line 49; line 50`},
		{"a huge line: the last 2 KB", func(t *testing.T) error { return runError(t, huge) },
			`command "` + kindexec.PrettyCommand("sh", "-c", huge) + `" failed with error: exit status 1: ...` + strings.Repeat("x", tailBytes-len("; last")) + "; last"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			got := withOutput(err)
			assert.Equal(t, tt.want, got.Error())
			assert.ErrorIs(t, got, err, "still wraps what kind returned")
		})
	}
	assert.NoError(t, withOutput(nil))
}

func TestOutputTail(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"empty", "", ""},
		{"blank lines and spaces dropped", "\n  a  \n\n\tb\n\n", "a; b"},
		{"multi-byte runes never cut in half", strings.Repeat("é", tailBytes), "..." + strings.Repeat("é", tailBytes/2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, outputTail([]byte(tt.out)))
		})
	}
}

func TestWithTail(t *testing.T) {
	err := errors.New("docker save x: exit status 1")
	assert.Same(t, err, withTail(err, []byte("\n \n")), "nothing said: unchanged")
	got := withTail(err, []byte("Error response from daemon: no such image\n"))
	assert.Equal(t, "docker save x: exit status 1: Error response from daemon: no such image", got.Error())
	assert.ErrorIs(t, got, err)
}
