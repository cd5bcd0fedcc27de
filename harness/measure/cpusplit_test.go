package measure

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ownCPU is the process's CPU time so far, user plus system.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// burn is a component that, on each line of stdin, burns 300 ms of CPU
// and answers "done": burn-user in arithmetic (user time), burn-kernel in
// reads of /dev/zero into a 1 MiB buffer (the kernel zeroes and copies:
// system time).
func burn(mode string) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 1<<20)
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	x := 0
	for in.Scan() {
		end := ownCPU() + 300*time.Millisecond
		for ownCPU() < end {
			if mode == "burn-kernel" {
				_, _ = io.ReadFull(zero, buf)
				continue
			}
			for i := range 100000 {
				x += i * i
			}
		}
		fmt.Println("done", x%2)
	}
}

// A real child that burns user time and one that burns system time: the
// window's split says which is which, from each source that splits.
func TestKernelShareOfARealChild(t *testing.T) {
	tests := []struct {
		name, mode string
		opts       []ProbeOption
		source     string
		kernel     bool // the kernel share must be over 50%, else under
	}{
		{"user burner, cgroup", "burn-user", nil, "cgroup", false},
		{"kernel burner, cgroup", "burn-kernel", nil, "cgroup", true},
		{"user burner, proc-stat", "burn-user", []ProbeOption{WithCgroupRoot("")}, "proc-stat", false},
		{"kernel burner, proc-stat", "burn-kernel", []ProbeOption{WithCgroupRoot("")}, "proc-stat", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, stdin, out := startHelper(t, tt.mode)
			p := NewProcProbe("burner", "app", cmd.Process.Pid, tt.opts...)
			if tt.source == "cgroup" && p.cg == nil {
				t.Skipf("no cgroup of its own here: %v", p.CgroupErr)
			}
			w, err := Start(context.Background(), []Probe{p}, time.Second)
			require.NoError(t, err)
			_, err = fmt.Fprintln(stdin, "go")
			require.NoError(t, err)
			require.True(t, out.Scan())
			comps, err := w.Finish(context.Background(), 1000, 1)
			require.NoError(t, err)

			c := comps[0]
			assert.Equal(t, tt.source, c.CPUSource)
			require.NotNil(t, c.CPUSystemUsPerRequest, "split: %s", c.CPUSplitAbsent)
			assert.Empty(t, c.CPUSplitAbsent)
			assert.InDelta(t, 300, c.CPUUsPerRequest, 150, "300 ms over 1000 requests")
			share := 100 * *c.CPUSystemUsPerRequest / c.CPUUsPerRequest
			if tt.kernel {
				assert.Greater(t, share, 50.0, "kernel share of the /dev/zero reader")
			} else {
				assert.Less(t, share, 50.0, "kernel share of the spinner")
			}
			assert.LessOrEqual(t, *c.CPUSystemUsPerRequest, c.CPUUsPerRequest)
		})
	}
}

// The harness's own process (rusage) splits too.
func TestOwnProcessSplits(t *testing.T) {
	p := NewProcProbe("self", "loadgen", os.Getpid())
	a, err := p.Sample(context.Background())
	require.NoError(t, err)
	spin(100 * time.Millisecond)
	b, err := p.Sample(context.Background())
	require.NoError(t, err)
	c := Cost("self", "loadgen", a, b, nil, 100, 1)
	assert.Equal(t, "rusage", c.CPUSource)
	require.NotNil(t, c.CPUSystemUsPerRequest, c.CPUSplitAbsent)
	// spin asks getrusage for its thread's time on every turn: kernel time
	// too, but never more than the whole.
	assert.Greater(t, *c.CPUSystemUsPerRequest, 0.0)
	assert.LessOrEqual(t, *c.CPUSystemUsPerRequest, c.CPUUsPerRequest)
}

func TestCostSplit(t *testing.T) {
	split := func(cpu, sys float64) Sample { return Sample{CPUSeconds: cpu, SystemSeconds: sys, Split: true} }
	tests := []struct {
		name        string
		first, last Sample
		requests    int64
		want        float64 // kernel µs per request when present
		absent      string  // the reason when not
	}{
		{"split", split(10, 4), split(11, 4.7), 1000, 700, ""},
		{"kernel part clamped to the whole (tick rounding)", split(10, 4), split(10.01, 4.02), 100, 100, ""},
		{"a counter that went back is 0, not negative", split(10, 4), split(11, 3.9), 1000, 0, ""},
		{"kubelet: absent with its reason", Sample{CPUSeconds: 1, NoSplit: NoSplitKubelet}, Sample{CPUSeconds: 2, NoSplit: NoSplitKubelet}, 1000, 0, NoSplitKubelet},
		{"one edge without the split", Sample{CPUSeconds: 1}, split(2, 1), 1000, 0, "the CPU source does not tell user from system time"},
		{"no request", split(1, 0), split(2, 1), 0, 0, "no completed request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Cost("p", "client-proxy", tt.first, tt.last, nil, tt.requests, 1)
			if tt.absent != "" {
				assert.Nil(t, c.CPUSystemUsPerRequest, "never 0, never a guess")
				assert.Equal(t, tt.absent, c.CPUSplitAbsent)
				return
			}
			require.NotNil(t, c.CPUSystemUsPerRequest)
			assert.InDelta(t, tt.want, *c.CPUSystemUsPerRequest, 1e-6)
			assert.Empty(t, c.CPUSplitAbsent)
		})
	}
}

func TestCgroupCPU(t *testing.T) {
	write := func(t *testing.T, dir, name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	tests := []struct {
		name          string
		v2            bool
		files         map[string]string
		total, system float64
		split         bool
		err           string
	}{
		{"v2", true, map[string]string{"cpu.stat": "usage_usec 2000000\nuser_usec 600000\nsystem_usec 1400000\nnr_periods 0\n"}, 2, 1.4, true, ""},
		{"v2 without system_usec", true, map[string]string{"cpu.stat": "usage_usec 2000000\n"}, 2, 0, false, ""},
		{"v2 without usage_usec", true, map[string]string{"cpu.stat": "user_usec 1\n"}, 0, 0, false, "no usage_usec"},
		{"v2 garbage", true, map[string]string{"cpu.stat": "usage_usec many\n\x00\x01"}, 0, 0, false, "no usage_usec"},
		{"v1 usage_sys in ns", false, map[string]string{"cpuacct.usage": "3000000000\n", "cpuacct.usage_sys": "2000000000\n", "cpuacct.stat": "user 1\nsystem 1\n"}, 3, 2, true, ""},
		{"v1 stat ticks only", false, map[string]string{"cpuacct.usage": "3000000000\n", "cpuacct.stat": "user 100\nsystem 200\n"}, 3, 2, true, ""},
		{"v1 no split", false, map[string]string{"cpuacct.usage": "3000000000\n"}, 3, 0, false, ""},
		{"v1 zero ticks", false, map[string]string{"cpuacct.usage": "3000000000\n", "cpuacct.stat": "user 0\nsystem 0\n"}, 3, 0, false, ""},
		{"v1 malformed usage", false, map[string]string{"cpuacct.usage": "x\n"}, 0, 0, false, "cpuacct.usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				write(t, dir, name, data)
			}
			total, system, split, err := CgroupCPU(dir, tt.v2)
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tt.total, total, 1e-9)
			assert.InDelta(t, tt.system, system, 1e-9)
			assert.Equal(t, tt.split, split)
		})
	}
}
