package kubeapi

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// PIDs returns the running etcd and kube-apiserver processes by name, for
// measuring what the API server costs beside the process it serves.
// envtest does not hand out its processes, so they are found in /proc: the
// live children of this process whose executable is in the binary
// directory (only one Server runs at a time in a harness process).
func (s *Server) PIDs() map[string]int { return children(s.binDir) }

// children maps name -> pid for this process's live child processes whose
// executable is in dir.
func children(dir string) map[string]int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	out := map[string]int{}
	self := strconv.Itoa(os.Getpid())
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != self {
			continue
		}
		exe, err := os.Readlink(filepath.Join(filepath.Dir(p), "exe"))
		if err != nil || filepath.Dir(exe) != dir {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			out[filepath.Base(exe)] = pid
		}
	}
	return out
}
