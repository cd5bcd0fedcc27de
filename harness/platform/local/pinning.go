package local

import (
	"fmt"
	"os/exec"
	"runtime"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// pin wraps a command in taskset so the kernel keeps it on its CPUs from
// its first instruction (setting affinity after start would miss threads
// the Go runtime had already created). Under PinSplit the load client and
// the app share CPU 0 and everything in the data path gets the rest; on a
// single CPU, or without taskset, commands run unpinned.
func pin(policy, role, bin string, args []string) (string, []string) {
	if policy != platform.PinSplit || runtime.NumCPU() < 2 {
		return bin, args
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return bin, args
	}
	cpus := fmt.Sprintf("1-%d", runtime.NumCPU()-1)
	if role == results.RoleLoadgen || role == results.RoleApp {
		cpus = "0"
	}
	return taskset, append([]string{"-c", cpus, bin}, args...)
}
