package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// procUsage is a process's CPU and context switches, summed over its
// threads from /proc, so any proxy (a Go child, HAProxy) is measured the
// same way.
type procUsage struct {
	runNS          int64 // on-CPU time, exact (schedstat)
	uTicks, sTicks int64 // user and system clock ticks (stat): only the split
	vcsw, ivcsw    int64 // voluntary (slept) and involuntary (preempted) switches
}

func readProcUsage(b testing.TB, pid int) procUsage {
	b.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	require.NoError(b, err)
	require.NotEmpty(b, tasks, "process %d has no threads in /proc", pid)
	var u procUsage
	for _, t := range tasks {
		if err := u.addTask(t); err != nil {
			b.Fatalf("%s: %v", t, err)
		}
	}
	return u
}

func (u *procUsage) addTask(dir string) error {
	ss, err := os.ReadFile(filepath.Join(dir, "schedstat"))
	if err != nil {
		return err
	}
	f := strings.Fields(string(ss))
	if len(f) < 1 {
		return fmt.Errorf("schedstat %q", ss)
	}
	run, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return err
	}
	st, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return err
	}
	// Fields after the command's closing parenthesis: state is the 3rd of
	// stat(5), so utime (14th) and stime (15th) are at 11 and 12.
	rest := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
	if len(rest) < 13 {
		return fmt.Errorf("stat %q", st)
	}
	ut, err1 := strconv.ParseInt(rest[11], 10, 64)
	stk, err2 := strconv.ParseInt(rest[12], 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("stat %q: utime/stime", st)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return err
	}
	var v, iv int64
	for _, line := range strings.Split(string(status), "\n") {
		k, val, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		switch k {
		case "voluntary_ctxt_switches":
			v = n
		case "nonvoluntary_ctxt_switches":
			iv = n
		}
	}
	u.runNS += run
	u.uTicks += ut
	u.sTicks += stk
	u.vcsw += v
	u.ivcsw += iv
	return nil
}

// report states u - u0 per message: CPU (exact) and its user and system
// parts (the exact sum split as the ticks split it, as the kernel's own
// getrusage does), sleeps and preemptions.
func (u procUsage) report(b *testing.B, u0 procUsage) {
	per := func(d int64) float64 { return float64(d) / float64(b.N) }
	cpu := per(u.runNS-u0.runNS) / 1e3
	ut, st := u.uTicks-u0.uTicks, u.sTicks-u0.sTicks
	userShare := 0.0
	if ut+st > 0 {
		userShare = float64(ut) / float64(ut+st)
	}
	b.ReportMetric(cpu, "cpu-us/msg")
	b.ReportMetric(cpu*userShare, "user-us/msg")
	b.ReportMetric(cpu*(1-userShare), "sys-us/msg")
	// Counts, which the machine's load moves far less than times.
	b.ReportMetric(per(u.vcsw-u0.vcsw), "sleeps/msg")
	b.ReportMetric(per(u.ivcsw-u0.ivcsw), "preempted/msg")
}

// TestReadProcUsage: the reader sums this process's threads: on-CPU time
// grows with work done, and the counts never go backwards.
func TestReadProcUsage(t *testing.T) {
	u0 := readProcUsage(t, os.Getpid())
	x := 0
	for i := range 20_000_000 {
		x ^= i * i
	}
	u1 := readProcUsage(t, os.Getpid())
	require.NotZero(t, x|1)
	require.Greater(t, u1.runNS-u0.runNS, int64(1e6), "20M iterations took under 1 ms of CPU?")
	require.GreaterOrEqual(t, u1.uTicks+u1.sTicks, u0.uTicks+u0.sTicks)
	require.GreaterOrEqual(t, u1.vcsw, u0.vcsw)
}
