package measure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// ProcProbe reads a local process. Memory comes from /proc. CPU must keep
// the share of threads that exit inside the window (a Go runtime, nginx
// workers and the kernel all end threads), so it comes from, in order:
// the process's own cgroup (made by NewProcProbe where the platform allows:
// root on Linux, cgroup v2 or v1 cpuacct), getrusage for the harness's own
// process, else utime+stime of /proc/PID/stat, which the kernel keeps for
// the whole process, exited threads included, at 10 ms tick resolution.
// Summing live threads' /proc/PID/task/*/schedstat, as this probe once did,
// loses an exited thread's time: a window's CPU could even go negative.
type ProcProbe struct {
	name, role string
	pid        int
	procRoot   string
	cg         *cgroup
	// CgroupErr says why the probe has no cgroup of its own, if it has none.
	CgroupErr error
}

// ProbeOption configures NewProcProbe.
type ProbeOption func(*probeOptions)

type probeOptions struct{ cgroupRoot string }

// WithCgroupRoot sets where cgroup hierarchies are mounted (default
// /sys/fs/cgroup); "" makes no cgroup and reads /proc only.
func WithCgroupRoot(root string) ProbeOption { return func(o *probeOptions) { o.cgroupRoot = root } }

// DefaultCgroupRoot is where Linux mounts cgroup hierarchies.
const DefaultCgroupRoot = "/sys/fs/cgroup"

// NewProcProbe returns a probe of process pid, moving it into a cgroup of
// its own under CgroupParent when it can (the cgroup goes away once the
// process exits).
func NewProcProbe(name, role string, pid int, opts ...ProbeOption) *ProcProbe {
	o := probeOptions{cgroupRoot: DefaultCgroupRoot}
	for _, opt := range opts {
		opt(&o)
	}
	p := &ProcProbe{name: name, role: role, pid: pid, procRoot: "/proc"}
	switch {
	case pid == os.Getpid():
		p.CgroupErr = errors.New("the harness's own process: getrusage")
	case o.cgroupRoot == "":
		p.CgroupErr = errors.New("cgroups off")
	default:
		p.cg, p.CgroupErr = newCgroup(o.cgroupRoot, name, pid)
	}
	return p
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
	switch {
	case p.cg != nil:
		if s.CPUSeconds, s.SystemSeconds, s.Split, err = p.cg.cpu(); err != nil {
			return Sample{}, fmt.Errorf("%s (pid %d): %w", p.name, p.pid, err)
		}
		s.Source = "cgroup"
	case p.pid == os.Getpid():
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return Sample{}, fmt.Errorf("%s: getrusage: %w", p.name, err)
		}
		s.CPUSeconds, s.SystemSeconds, s.Split = tv(ru.Utime)+tv(ru.Stime), tv(ru.Stime), true
		s.Source = "rusage"
	default:
		user, sys, err := readStatTicks(filepath.Join(dir, "stat"))
		if err != nil {
			return Sample{}, fmt.Errorf("%s (pid %d): %w", p.name, p.pid, err)
		}
		s.CPUSeconds, s.SystemSeconds, s.Split, s.Source = float64(user+sys)/clockTicks, float64(sys)/clockTicks, true, "proc-stat"
	}
	return s, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// readStatTicks returns utime and stime of /proc/PID/stat in clock ticks.
func readStatTicks(path string) (user, system int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may contain spaces; fields resume after ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed %s", path)
	}
	f := strings.Fields(string(data[i+1:]))
	// After ')': state is field 3, so utime (14) and stime (15) are at 11 and 12.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("malformed %s", path)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || u < 0 || s < 0 {
		return 0, 0, fmt.Errorf("malformed %s", path)
	}
	return u, s, nil
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
