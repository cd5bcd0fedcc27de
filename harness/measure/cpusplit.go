package measure

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// NoSplitKubelet is why a kubelet-read component has no kernel share: the
// summary API has one CPU counter, usageCoreNanoSeconds, user and system
// together.
const NoSplitKubelet = "the kubelet's summary API reports only usageCoreNanoSeconds (user and system CPU together)"

// CgroupCPU reads a cgroup's cumulative CPU and its kernel (system) part,
// in seconds: cgroup v2's cpu.stat (usage_usec, system_usec), or v1's
// cpuacct.usage with cpuacct.usage_sys (ns; else cpuacct.stat's ticks). The
// local platform's per-component cgroups and kind's container cgroups both
// read through it. A cgroup without the split (a v1 hierarchy without
// cpuacct.stat) returns split false, never a made-up kernel part.
func CgroupCPU(dir string, v2 bool) (total, system float64, split bool, err error) {
	if v2 {
		st, err := ReadKV(filepath.Join(dir, "cpu.stat"))
		if err != nil {
			return 0, 0, false, err
		}
		usage, ok := st["usage_usec"]
		if !ok {
			return 0, 0, false, fmt.Errorf("%s/cpu.stat has no usage_usec", dir)
		}
		sys, split := st["system_usec"]
		return float64(usage) / 1e6, float64(sys) / 1e6, split, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		return 0, 0, false, err
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, 0, false, fmt.Errorf("%s/cpuacct.usage: %w", dir, err)
	}
	total = float64(ns) / 1e9
	// cpuacct.usage_sys counts the kernel part in ns, as usage counts the
	// whole; older kernels have only cpuacct.stat, in ticks: its kernel
	// share applied to the exact total.
	if data, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage_sys")); err == nil {
		if sys, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && sys >= 0 {
			return total, float64(sys) / 1e9, true, nil
		}
	}
	st, err := ReadKV(filepath.Join(dir, "cpuacct.stat"))
	if err != nil {
		return total, 0, false, nil //nolint:nilerr // the total stands; only the split is missing
	}
	user, okU := st["user"]
	sys, okS := st["system"]
	if !okU || !okS || user+sys == 0 {
		return total, 0, false, nil
	}
	return total, total * float64(sys) / float64(user+sys), true, nil
}

// ReadKV parses "key value" lines (cpu.stat, cpuacct.stat, memory.stat: here
// and in the platforms that read cgroup files themselves, kind's containers);
// a line whose value is not an integer is skipped.
func ReadKV(path string) (map[string]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, sc.Err()
}

// systemPerRequest is the one place a window's CPU is split: the kernel
// (system) µs per request between first and last, or why there is none.
// The kernel part is clamped to [0, cpuSeconds]: a tick counter's system
// and total can round apart by a tick.
func systemPerRequest(first, last Sample, cpuSeconds float64, requests int64) (*float64, string) {
	switch {
	case !last.Split || !first.Split:
		if last.NoSplit != "" {
			return nil, last.NoSplit
		}
		if first.NoSplit != "" {
			return nil, first.NoSplit
		}
		return nil, "the CPU source does not tell user from system time"
	case requests <= 0:
		return nil, "no completed request"
	}
	sys := min(max(last.SystemSeconds-first.SystemSeconds, 0), cpuSeconds)
	us := sys / float64(requests) * 1e6
	return &us, ""
}
