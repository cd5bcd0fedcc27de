package measure

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroup2Magic is CGROUP2_SUPER_MAGIC, the f_type of a cgroup v2 mount.
const cgroup2Magic = 0x63677270

// CgroupParent is the cgroup, under the hierarchy's root, that holds one
// child per measured component.
const CgroupParent = "meshbench"

// cgroup is one component's own cgroup. Its CPU counter covers every
// thread the process had since it moved in, including threads that exited:
// the kernel charges a thread's time to its cgroup as it runs, so nothing
// leaves with the thread (summing live threads' schedstat lost it), and at
// nanosecond (v1) or microsecond (v2) resolution, not 10 ms ticks.
type cgroup struct {
	dir string
	v2  bool
}

// findHierarchy returns where per-component cgroups can be made under
// root (/sys/fs/cgroup): a cgroup v2 mount (root itself, or root/unified
// on a hybrid host), else the v1 cpuacct hierarchy.
func findHierarchy(root string) (dir string, v2 bool, err error) {
	for _, d := range []string{root, filepath.Join(root, "unified")} {
		var st syscall.Statfs_t
		if syscall.Statfs(d, &st) == nil && st.Type == cgroup2Magic {
			return d, true, nil
		}
	}
	for _, d := range []string{"cpuacct", "cpu,cpuacct"} {
		d = filepath.Join(root, d)
		if _, err := os.Stat(filepath.Join(d, "cpuacct.usage")); err == nil {
			return d, false, nil
		}
	}
	return "", false, fmt.Errorf("no cgroup v2 mount nor v1 cpuacct hierarchy under %s", root)
}

// newCgroup makes a cgroup for the component name (process pid) under
// root's hierarchy, moves the process into it, and removes it once the
// process (and anything it left in the cgroup) has exited. It fails
// without side effects where cgroups cannot be made (not root, a read-only
// /sys/fs/cgroup in a container).
func newCgroup(root, name string, pid int) (*cgroup, error) {
	h, v2, err := findHierarchy(root)
	if err != nil {
		return nil, err
	}
	parent := filepath.Join(h, CgroupParent)
	if err := os.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create cgroup %s: %w", parent, err)
	}
	sweep(parent)
	dir := filepath.Join(parent, fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_", " ", "_").Replace(name), pid))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		_ = os.Remove(dir)
		return nil, fmt.Errorf("move pid %d into cgroup %s: %w", pid, dir, err)
	}
	c := &cgroup{dir: dir, v2: v2}
	go c.removeWhenEmpty(500 * time.Millisecond)
	return c, nil
}

// cpu is the cgroup's total CPU time and its kernel part (CgroupCPU).
func (c *cgroup) cpu() (total, system float64, split bool, err error) { return CgroupCPU(c.dir, c.v2) }

// removeWhenEmpty polls until no process is left in the cgroup, then
// removes it: the teardown of the component is its process's exit, which
// the platform, not the probe, brings about.
func (c *cgroup) removeWhenEmpty(every time.Duration) {
	for {
		time.Sleep(every)
		data, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
		if err != nil {
			return // already removed
		}
		if len(strings.TrimSpace(string(data))) == 0 {
			_ = os.Remove(c.dir)
			return
		}
	}
}

// sweep removes the empty cgroups a previous harness left under parent
// (one that was killed before its components' cgroups emptied). rmdir
// refuses a cgroup that still holds a process, so live ones stay.
func sweep(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		i := strings.LastIndexByte(e.Name(), '-')
		if !e.IsDir() || i < 0 {
			continue
		}
		// Another harness may have just made its cgroup and not yet moved
		// its process in: leave the cgroup of any live pid alone.
		if _, err := os.Stat(filepath.Join("/proc", e.Name()[i+1:])); err == nil {
			continue
		}
		_ = os.Remove(filepath.Join(parent, e.Name()))
	}
}
