package kind

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}

func TestCgroupProbe(t *testing.T) {
	const id = "0123abcd"
	scope := "kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/pod_x.slice/cri-containerd-" + id + ".scope"
	tests := []struct {
		name    string
		setup   func(root string)
		wantCPU float64
		// wantSys is the kernel part; -1: the cgroup cannot split
		wantSys float64
		// resident set, anonymous, working set: named apart on every platform
		wantRSS, wantAnon, wantWS int64
	}{
		{
			name: "cgroup v1 under a docker node",
			setup: func(root string) {
				write(t, filepath.Join(root, "cpuacct/docker/node1", scope, "cpuacct.usage"), "2500000000\n")
				write(t, filepath.Join(root, "cpuacct/docker/node1", scope, "cpuacct.usage_sys"), "1750000000\n")
				write(t, filepath.Join(root, "memory/docker/node1", scope, "memory.usage_in_bytes"), "10000\n")
				write(t, filepath.Join(root, "memory/docker/node1", scope, "memory.stat"), "cache 5\ntotal_rss 3000\ntotal_mapped_file 400\ntotal_inactive_file 1000\n")
			},
			wantCPU: 2.5, wantSys: 1.75, wantRSS: 3400, wantAnon: 3000, wantWS: 9000,
		},
		{
			name: "cgroup v2, cgroupfs driver names the directory by id",
			setup: func(root string) {
				write(t, filepath.Join(root, "cgroup.controllers"), "cpu memory\n")
				dir := filepath.Join(root, "system.slice/docker-node.scope/kubelet/kubepods/pod_x", id)
				write(t, filepath.Join(dir, "cpu.stat"), "usage_usec 1500000\nuser_usec 1000000\n")
				write(t, filepath.Join(dir, "memory.current"), "20000\n")
				write(t, filepath.Join(dir, "memory.stat"), "anon 100\nfile_mapped 50\ninactive_file 5000\n")
				write(t, filepath.Join(dir, "memory.peak"), "30000\n")
			},
			wantCPU: 1.5, wantSys: -1, wantRSS: 150, wantAnon: 100, wantWS: 15000,
		},
		{
			name: "cgroup v2, systemd driver, cpu.stat as the kernel writes it",
			setup: func(root string) {
				write(t, filepath.Join(root, "cgroup.controllers"), "cpu memory\n")
				dir := filepath.Join(root, "system.slice/docker-node.scope", scope)
				stat, err := os.ReadFile(filepath.Join("testdata", "cpu.stat"))
				require.NoError(t, err)
				write(t, filepath.Join(dir, "cpu.stat"), string(stat))
				write(t, filepath.Join(dir, "memory.current"), "20000\n")
				write(t, filepath.Join(dir, "memory.stat"), "anon 100\nfile_mapped 50\ninactive_file 5000\n")
			},
			wantCPU: 8.731042, wantSys: 6.110731, wantRSS: 150, wantAnon: 100, wantWS: 15000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(root)
			p, err := findCgroup(root, id)
			require.NoError(t, err)
			s, err := p.Sample(context.Background())
			require.NoError(t, err)
			assert.InDelta(t, tt.wantCPU, s.CPUSeconds, 1e-9)
			if tt.wantSys < 0 {
				assert.False(t, s.Split, "no system_usec: no split, never a guess")
				assert.Contains(t, s.NoSplit, "no system CPU counter")
			} else {
				assert.True(t, s.Split)
				assert.InDelta(t, tt.wantSys, s.SystemSeconds, 1e-9, "the kernel part")
			}
			assert.Equal(t, tt.wantRSS, s.RSSBytes, "anon + file-mapped, as VmRSS")
			assert.Equal(t, tt.wantAnon, s.AnonBytes)
			assert.Equal(t, tt.wantWS, s.WorkingSetBytes, "usage - inactive file")
			assert.Zero(t, s.PeakRSSBytes, "memory.peak counts page cache: not an RSS peak")
			assert.Equal(t, "cgroup", s.Source)
			_, err = findCgroup(root, "nope")
			assert.Error(t, err)
		})
	}
}
