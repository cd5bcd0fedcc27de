package rawconn

import (
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The machine's own prices, which bound what any proxy's CPU per request can be:
// a system call that does nothing, and a sleep and a wake-up (what a proxy pays at
// least twice per request at a paced load: once for the request, once for the
// answer). docs/proxy.md "The floor" quotes them. On a paravirtualised guest both
// are many times a bare-metal machine's.

// pingPongChild makes the test binary the far side of BenchmarkSleepWake: it
// answers each byte on stdin with a byte on stdout, blocking in read(2) between.
const pingPongChild = "MESHBENCH_RAWCONN_PINGPONG"

func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv(pingPongChild)); err == nil {
		b := make([]byte, 1)
		for i := 0; i < n; i++ {
			if _, err := io.ReadFull(os.Stdin, b); err != nil {
				os.Exit(1)
			}
			if _, err := os.Stdout.Write(b); err != nil {
				os.Exit(1)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// threadCPU is the calling thread's CPU time (user + system).
func threadCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNullSyscall: getpid(2), CPU per call (cpu-ns/op: user + system of this thread).
func BenchmarkNullSyscall(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := threadCPU(b)
	for b.Loop() {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	b.ReportMetric(float64(threadCPU(b)-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSleepWake: one byte to a child process and back over pipes. Per round
// trip each side makes one write (waking the other) and one read (sleeping until
// woken); cpu-us/op is this side's CPU, child-cpu-us/op the child's.
func BenchmarkSleepWake(b *testing.B) {
	n := b.N
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), pingPongChild+"="+strconv.Itoa(n), "GOMAXPROCS=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, 1)
	b.ResetTimer()
	c0 := threadCPU(b)
	for i := 0; i < n; i++ {
		if _, err := in.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(out, buf); err != nil {
			b.Fatal(err)
		}
	}
	self := threadCPU(b) - c0
	b.StopTimer()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	child := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	b.ReportMetric(float64(self)/1e3/float64(n), "cpu-us/op")
	b.ReportMetric(float64(child)/1e3/float64(n), "child-cpu-us/op")
}
