package dataplane

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The relay's CPU per message at a sidecar's pace, measured in a proxy of
// its own. BenchmarkTCPRelayCPU starts the proxy as a child process (this
// test binary, TestRelayCPUChild, GOMAXPROCS=1 as the protocols scenario's
// `workers: 1`) with a tcp_proxy listener in front of an echo server, and
// drives 16 connections of 1 KB ping-pong at 1000 messages per second in
// all (each connection one message every 16 ms), the protocols scenario's
// TCP case. It reports the child's own user and system CPU (getrusage
// RUSAGE_SELF, asked of the child before and after the measured messages)
// per message: only the proxy is in that process, so no "no proxy" run has
// to be subtracted. In one process with its client and server, the proxy's
// goroutines would find the echo's readiness in the same scheduler round
// and never sleep in the poller, which is the cost this measures.
//
// RELAY_CPU_OTHER=/path/to/dataplane.test adds a sub-benchmark whose child
// is that binary (a dataplane test binary built from another commit), so a
// before/after pair runs interleaved in one run (-count 6, then benchstat).
const relayChildEnv = "MESHPROXY_RELAY_CPU_CHILD"

// TestRelayCPUChild is BenchmarkTCPRelayCPU's proxy process; it runs only
// when the benchmark starts it. It prints "addr HOST:PORT", then answers
// every line on stdin with its user and system CPU time in ns.
func TestRelayCPUChild(t *testing.T) {
	up := os.Getenv(relayChildEnv)
	if up == "" {
		t.Skip("the proxy process of BenchmarkTCPRelayCPU")
	}
	_, pa := startProxy(t, tcpResources(t, up))
	fmt.Printf("addr %s\n", pa)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ru syscall.Rusage
		require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
		fmt.Printf("cpu %d %d\n", ru.Utime.Nano(), ru.Stime.Nano())
	}
}

// relayChild is a running TestRelayCPUChild.
type relayChild struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	addr string
}

func startRelayChild(b *testing.B, bin, upstream string) *relayChild {
	b.Helper()
	cmd := exec.Command(bin, "-test.run=^TestRelayCPUChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), relayChildEnv+"="+upstream, "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(b, err)
	out, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	c := &relayChild{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	b.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	for c.out.Scan() {
		if a, ok := strings.CutPrefix(c.out.Text(), "addr "); ok {
			c.addr = a
			return c
		}
	}
	b.Fatalf("relay child %s printed no address: %v", bin, c.out.Err())
	return nil
}

// cpu is the child's user and system CPU time so far.
func (c *relayChild) cpu(b *testing.B) (user, sys time.Duration) {
	b.Helper()
	_, err := io.WriteString(c.in, "\n")
	require.NoError(b, err)
	for c.out.Scan() {
		f := strings.Fields(c.out.Text())
		if len(f) == 3 && f[0] == "cpu" {
			u, err1 := strconv.ParseInt(f[1], 10, 64)
			s, err2 := strconv.ParseInt(f[2], 10, 64)
			require.NoError(b, err1)
			require.NoError(b, err2)
			return time.Duration(u), time.Duration(s)
		}
	}
	b.Fatalf("relay child: no cpu line: %v", c.out.Err())
	return 0, 0
}

func BenchmarkTCPRelayCPU(b *testing.B) {
	if testing.Short() {
		b.Skip("paced at 1000 messages per second")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go echoConn(c)
		}
	}()
	bins := []struct{ name, path string }{{"self", os.Args[0]}}
	if other := os.Getenv("RELAY_CPU_OTHER"); other != "" {
		bins = append(bins, struct{ name, path string }{"other", other})
	}
	for _, bin := range bins {
		b.Run("proxy="+bin.name, func(b *testing.B) {
			child := startRelayChild(b, bin.path, ln.Addr().String())
			benchRelayCPU(b, child)
		})
	}
}

// benchRelayCPU runs b.N paced ping-pongs over 16 connections through the
// child and reports its CPU per message.
func benchRelayCPU(b *testing.B, child *relayChild) {
	const conns, every = 16, 16 * time.Millisecond
	msg := bytes.Repeat([]byte("x"), 1024)
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", child.addr)
		require.NoError(b, err)
		b.Cleanup(func() { _ = c.Close() })
		cs[i] = c
		pingPong(b, c, msg, make([]byte, len(msg))) // connected and relaying before the window
	}
	u0, s0 := child.cpu(b)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range cs {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * every / conns) // staggered: one message per ms in all
			tick := time.NewTicker(every)
			defer tick.Stop()
			buf := make([]byte, len(msg))
			for range n {
				pingPong(b, c, msg, buf)
				<-tick.C
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	u1, s1 := child.cpu(b)
	b.ReportMetric(float64((u1-u0).Nanoseconds())/1e3/float64(b.N), "user-us/msg")
	b.ReportMetric(float64((s1-s0).Nanoseconds())/1e3/float64(b.N), "sys-us/msg")
	// The sum is exact (the scheduler's runtime); its split into user and
	// system is the kernel's, scaled by tick samples, so noisier.
	b.ReportMetric(float64((u1-u0+s1-s0).Nanoseconds())/1e3/float64(b.N), "cpu-us/msg")
}

func pingPong(b *testing.B, c net.Conn, msg, buf []byte) {
	if _, err := c.Write(msg); err != nil {
		b.Error(err)
		return
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		b.Error(err)
	}
}
