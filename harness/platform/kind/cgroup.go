package kind

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshbench/meshbench/harness/measure"
)

// cgroupSource finds a container's cgroup on this host. A kind node is a
// Docker container whose nested cgroups (kubelet.slice/...) are real
// cgroups of the host, so the harness reads them directly.
type cgroupSource struct {
	root     string // /sys/fs/cgroup
	fallback interface {
		Probe(ctx context.Context, pod *corev1.Pod, container, name, role string) (measure.Probe, error)
	}
}

// Probe implements kube.ProbeSource.
func (s *cgroupSource) Probe(ctx context.Context, pod *corev1.Pod, container, name, role string) (measure.Probe, error) {
	id := containerID(pod, container)
	if id != "" {
		if p, err := findCgroup(s.root, id); err == nil {
			p.name, p.role = name, role
			if _, err := p.Sample(ctx); err == nil {
				return p, nil
			}
		}
	}
	return s.fallback.Probe(ctx, pod, container, name, role)
}

func containerID(pod *corev1.Pod, container string) string {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container {
			_, id, _ := strings.Cut(cs.ContainerID, "://")
			return id
		}
	}
	return ""
}

// cgroupProbe reads one container's cgroup: v1 (cpuacct + memory
// hierarchies) or v2 (unified).
type cgroupProbe struct {
	name, role string
	v2         bool
	cpuDir     string
	memDir     string
}

// findCgroup walks the host's cgroup tree for the directory of container
// id: "cri-containerd-<id>.scope" or "docker-<id>.scope" (systemd driver)
// or "<id>" (cgroupfs).
func findCgroup(root, id string) (*cgroupProbe, error) {
	find := func(top string) (string, error) { return findDir(top, id) }
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err == nil {
		dir, err := find(root)
		if err != nil {
			return nil, err
		}
		return &cgroupProbe{v2: true, cpuDir: dir, memDir: dir}, nil
	}
	cpu, err := find(filepath.Join(root, "cpuacct"))
	if err != nil {
		return nil, err
	}
	mem, err := find(filepath.Join(root, "memory"))
	if err != nil {
		return nil, err
	}
	return &cgroupProbe{cpuDir: cpu, memDir: mem}, nil
}

// findDir walks top for the cgroup directory of container id.
func findDir(top, id string) (string, error) {
	match := func(base string) bool {
		// containerd's pod containers, and Docker's (the node containers)
		// under the systemd driver: "<runtime>-<id>.scope"
		return base == id || base == "cri-containerd-"+id+".scope" || base == "docker-"+id+".scope"
	}
	var found string
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil //nolint:nilerr // unreadable subtrees are skipped
		}
		if match(d.Name()) {
			found = path
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if found == "" {
		return "", fmt.Errorf("no cgroup for container %s under %s", id, top)
	}
	return found, nil
}

func (p *cgroupProbe) Name() string { return p.name }
func (p *cgroupProbe) Role() string { return p.role }

// Sample implements measure.Probe. Memory is named as on every platform:
// the resident set (anonymous plus file-mapped pages, as VmRSS counts
// them: v2 anon + file_mapped, v1 total_rss + total_mapped_file), the
// anonymous part alone, and the working set (usage minus inactive file
// pages, what the kubelet and `kubectl top` report). memory.peak is the
// peak of usage, page cache included, so it is not an RSS peak: unused.
func (p *cgroupProbe) Sample(context.Context) (measure.Sample, error) {
	s := measure.Sample{Source: "cgroup"}
	var err error
	if s.CPUSeconds, s.SystemSeconds, s.Split, err = measure.CgroupCPU(p.cpuDir, p.v2); err != nil {
		return s, fmt.Errorf("%s: %w", p.name, err)
	}
	if !s.Split {
		s.NoSplit = "the container's cgroup has no system CPU counter (cpu.stat system_usec, cpuacct.stat)"
	}
	if p.v2 {
		usage, err := readInt(filepath.Join(p.memDir, "memory.current"))
		if err != nil {
			return s, fmt.Errorf("%s: %w", p.name, err)
		}
		ms, _ := measure.ReadKV(filepath.Join(p.memDir, "memory.stat"))
		s.WorkingSetBytes = workingSet(usage, ms["inactive_file"])
		s.AnonBytes = ms["anon"]
		s.RSSBytes = ms["anon"] + ms["file_mapped"]
		return s, nil
	}
	usage, err := readInt(filepath.Join(p.memDir, "memory.usage_in_bytes"))
	if err != nil {
		return s, fmt.Errorf("%s: %w", p.name, err)
	}
	ms, _ := measure.ReadKV(filepath.Join(p.memDir, "memory.stat"))
	s.WorkingSetBytes = workingSet(usage, ms["total_inactive_file"])
	s.AnonBytes = ms["total_rss"]
	s.RSSBytes = ms["total_rss"] + ms["total_mapped_file"]
	return s, nil
}

func workingSet(usage, inactiveFile int64) int64 {
	if inactiveFile > usage {
		return 0
	}
	return usage - inactiveFile
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
}
