package callgrind

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnavailable is returned when valgrind is not installed.
var ErrUnavailable = errors.New("valgrind is not installed (apt-get install valgrind)")

// Available returns valgrind's path, or ErrUnavailable.
func Available() (string, error) {
	p, err := exec.LookPath("valgrind")
	if err != nil {
		return "", ErrUnavailable
	}
	return p, nil
}

// Count runs argv under callgrind in dir and returns the instructions it
// executed (the "summary:" or "totals:" line of the callgrind output).
func Count(ctx context.Context, dir string, nice int, argv ...string) (int64, error) {
	return CountWith(ctx, dir, nice, nil, argv...)
}

// CountWith is Count with extra callgrind options (e.g. --toggle-collect).
func CountWith(ctx context.Context, dir string, nice int, opts []string, argv ...string) (int64, error) {
	vg, err := Available()
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "callgrind-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	outFile := filepath.Join(tmp, "callgrind.out")
	args := append(append([]string{"--tool=callgrind", "--callgrind-out-file=" + outFile}, opts...), argv...)
	var cmd *exec.Cmd
	if nice > 0 {
		cmd = exec.CommandContext(ctx, "nice", append([]string{"-n", strconv.Itoa(nice), vg}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, vg, args...)
	}
	cmd.Dir = dir
	// Go's asynchronous preemption signals (SIGURG) trip an assertion in
	// callgrind's signal handling (valgrind 3.19: threads.c:247); without
	// them the count is unaffected.
	// Go 1.26 reads the cycle counter with RDTSCP where the CPU has it, an
	// instruction valgrind 3.19 cannot decode (SIGILL in runtime.cputicks
	// before the first benchmark); cpu.rdtscp=off takes the RDTSC path on
	// both sides of a comparison alike.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("callgrind %s: %w\n%s", filepath.Base(argv[0]), err, tail(stderr.String(), 2000))
	}
	f, err := os.Open(outFile)
	if err != nil {
		return 0, fmt.Errorf("callgrind output: %w", err)
	}
	defer f.Close()
	return parseTotal(f)
}

func parseTotal(f io.Reader) (int64, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var total int64 = -1
	for sc.Scan() {
		line := sc.Text()
		for _, prefix := range []string{"summary:", "totals:"} {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				fields := strings.Fields(rest)
				if len(fields) == 0 {
					continue
				}
				v, err := strconv.ParseInt(fields[0], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("callgrind output %q: %w", line, err)
				}
				total = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if total < 0 {
		return 0, errors.New("callgrind output has no summary line")
	}
	return total, nil
}

// PerOp measures the instructions per iteration of one Go benchmark:
// the test binary runs it at n and at 2n iterations (-test.benchtime=Nx),
// and the difference divided by n cancels the benchmark's own setup.
// Only instructions inside the benchmark function (and its callees) are
// collected (--toggle-collect): the runtime's background threads (sysmon
// wakes by wall time, which valgrind stretches) made whole-process counts
// vary by ~4% per op; inside the function the count repeats exactly.
// benchFunc is the benchmark's top-level function name, e.g. BenchmarkPick.
func PerOp(ctx context.Context, dir string, nice int, testBinary, benchRegexp, benchFunc string, n int) (float64, error) {
	opts := []string{"--toggle-collect=*" + benchFunc + "*"}
	run := func(iters int) (int64, error) {
		return CountWith(ctx, dir, nice, opts, testBinary, "-test.run=^$", "-test.bench="+benchRegexp,
			fmt.Sprintf("-test.benchtime=%dx", iters), "-test.count=1", "-test.cpu=1")
	}
	i1, err := run(n)
	if err != nil {
		return 0, err
	}
	i2, err := run(2 * n)
	if err != nil {
		return 0, err
	}
	if i2 <= i1 {
		return 0, fmt.Errorf("instructions did not grow with iterations (%d at %dx, %d at %dx)", i1, n, i2, 2*n)
	}
	return float64(i2-i1) / float64(n), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
