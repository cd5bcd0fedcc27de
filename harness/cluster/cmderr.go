package cluster

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	kinderrors "sigs.k8s.io/kind/pkg/errors"
	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// Bounds of the output a failed command's error carries: its last lines,
// where docker and ctr put the reason ("Error response from daemon: ...
// no space left on device"), without letting a chatty command flood the log.
const (
	tailLines = 10
	tailBytes = 2048
)

// withOutput adds the tail of the failing command's combined output to err,
// an error from kind (provider, nodeutils, node commands). kind's RunError
// keeps that output but prints only "command ... failed with error: exit
// status 125", which is how a full disk once showed up as nothing more.
// err is still wrapped: errors.Is and errors.As see through.
func withOutput(err error) error {
	if err == nil {
		return nil
	}
	re := findRunError(err)
	if re == nil {
		return err
	}
	return withTail(err, re.Output)
}

// withTail adds the tail of out to err; err alone when out says nothing.
// It is also how the os/exec calls here (docker save, import, inspect)
// report their CombinedOutput.
func withTail(err error, out []byte) error {
	t := outputTail(out)
	if t == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, t)
}

// findRunError finds kind's RunError in err: through Unwrap (fmt's %w,
// pkg/errors' Wrap), kind's Cause chain, and kind's aggregates (which
// implement Is but not As).
func findRunError(err error) *kindexec.RunError {
	var re *kindexec.RunError
	if errors.As(err, &re) {
		return re
	}
	if re := kindexec.RunErrorForError(err); re != nil {
		return re
	}
	for _, e := range kinderrors.Errors(err) {
		if re := findRunError(e); re != nil {
			return re
		}
	}
	return nil
}

// outputTail is the last tailLines non-empty lines of out, each trimmed,
// joined with "; ", and cut to the last tailBytes bytes (at a rune
// boundary, marked with "...").
func outputTail(out []byte) string {
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	s := strings.Join(lines, "; ")
	if len(s) <= tailBytes {
		return s
	}
	cut := len(s) - tailBytes
	for cut < len(s) && s[cut]&0xC0 == 0x80 { // not in the middle of a rune
		cut++
	}
	return "..." + s[cut:]
}

// runDocker runs the docker CLI with args and returns its combined output; a
// failure is reported as "what: <exit error>: <output tail>" (withTail), the
// one form every docker call of this package gives.
func runDocker(ctx context.Context, what string, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return out, withTail(fmt.Errorf("%s: %w", what, err), out)
	}
	return out, nil
}
