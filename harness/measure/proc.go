package measure

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// ProcProbe reads a local process from /proc. CPU comes from the sum of
// every thread's /proc/PID/task/TID/schedstat (nanosecond run time), which
// is far finer than the 10 ms ticks of /proc/PID/stat; when schedstat is
// unavailable it falls back to utime+stime ticks.
type ProcProbe struct {
	name, role string
	pid        int
	procRoot   string
}

// NewProcProbe returns a probe of process pid.
func NewProcProbe(name, role string, pid int) *ProcProbe {
	return &ProcProbe{name: name, role: role, pid: pid, procRoot: "/proc"}
}

// Name implements Probe.
func (p *ProcProbe) Name() string { return p.name }

// Role implements Probe.
func (p *ProcProbe) Role() string { return p.role }

// PID is the process id.
func (p *ProcProbe) PID() int { return p.pid }

// Sample implements Probe.
func (p *ProcProbe) Sample(_ context.Context) (Sample, error) {
	dir := filepath.Join(p.procRoot, strconv.Itoa(p.pid))
	mem, err := readStatusMemory(filepath.Join(dir, "status"), "VmRSS", "VmHWM", "RssAnon")
	if err != nil {
		return Sample{}, fmt.Errorf("%s (pid %d): %w", p.name, p.pid, err)
	}
	s := Sample{RSSBytes: mem[0], PeakRSSBytes: mem[1], AnonBytes: mem[2]}
	if pss, err := readStatusMemory(filepath.Join(dir, "smaps_rollup"), "Pss"); err == nil {
		s.PSSBytes = pss[0]
	}
	if ns, err := sumSchedstat(filepath.Join(dir, "task")); err == nil {
		s.CPUSeconds, s.Source = float64(ns)/1e9, "schedstat"
		return s, nil
	}
	ticks, err := readStatTicks(filepath.Join(dir, "stat"))
	if err != nil {
		return Sample{}, fmt.Errorf("%s (pid %d): %w", p.name, p.pid, err)
	}
	s.CPUSeconds, s.Source = float64(ticks)/clockTicks, "proc-stat"
	return s, nil
}

// sumSchedstat adds the first field (time spent on the CPU, ns) of every
// thread's schedstat. Threads that exited are lost, which Go's runtime
// rarely does; the fallback would lose nothing but has 10 ms resolution.
func sumSchedstat(taskDir string) (int64, error) {
	entries, err := os.ReadDir(taskDir)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(taskDir, e.Name(), "schedstat"))
		if err != nil {
			continue // thread exited between ReadDir and ReadFile
		}
		f := bytes.Fields(data)
		if len(f) < 1 {
			return 0, fmt.Errorf("malformed schedstat %q", data)
		}
		ns, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, err
		}
		total += ns
	}
	return total, nil
}

// readStatTicks returns utime+stime of /proc/PID/stat in clock ticks.
func readStatTicks(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; fields resume after ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed %s", path)
	}
	f := strings.Fields(string(data[i+1:]))
	// After ')': state is field 3, so utime (14) and stime (15) are at 11 and 12.
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed %s", path)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed %s", path)
	}
	return u + s, nil
}

// readStatusMemory returns the "Key: N kB" values of keys from a /proc
// file such as status or smaps_rollup, in bytes, in the keys' order (0 for
// a key the file lacks).
func readStatusMemory(path string, keys ...string) ([]int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(keys))
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if i := slices.Index(keys, k); i >= 0 {
			out[i] = parseKB(v)
		}
	}
	return out, nil
}

func parseKB(v string) int64 {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n * 1024
}
