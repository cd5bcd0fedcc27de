package envinfo

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// Collect fingerprints this machine. dir is where to ask git for the revision.
func Collect(dir string) results.Environment {
	e := results.Environment{
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Cores:      runtime.NumCPU(),
		GoVersion:  runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GOGC:       os.Getenv("GOGC"),
		GOMEMLIMIT: os.Getenv("GOMEMLIMIT"),
		CPUModel:   cpuModel(),
		Kernel:     kernel(),
	}
	e.Hostname, _ = os.Hostname()
	e.GitRevision, e.GitDirty = gitRevision(dir)
	sum := sha256.Sum256([]byte(strings.Join([]string{e.OS, e.Arch, e.CPUModel, strconv.Itoa(e.Cores), e.Hostname}, "|")))
	e.MachineID = hex.EncodeToString(sum[:8])
	return e
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func kernel() string {
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(data))
}

func gitRevision(dir string) (string, bool) {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	rev := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	return rev, err == nil && len(strings.TrimSpace(string(st))) > 0
}

// CPUTimes is a reading of the aggregate line of /proc/stat.
type CPUTimes struct{ Total, Steal uint64 }

// ReadCPUTimes reads /proc/stat's cpu line.
func ReadCPUTimes() (CPUTimes, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUTimes{}, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	var t CPUTimes
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal; guest is included in user
			t.Total += n
		}
		if i == 7 {
			t.Steal = n
		}
	}
	return t, nil
}

// StealPct is the share of CPU time stolen by the hypervisor between a and b.
func StealPct(a, b CPUTimes) float64 {
	if b.Total <= a.Total {
		return 0
	}
	return 100 * float64(b.Steal-a.Steal) / float64(b.Total-a.Total)
}
