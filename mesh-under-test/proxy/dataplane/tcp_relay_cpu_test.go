package dataplane

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
// TCP case. It reports the proxy process's CPU per message, read from
// /proc (relayproc_test.go): only the proxy is in that process, so no
// "no proxy" run has to be subtracted. In one process with its client and
// server, the proxy's goroutines would find the echo's readiness in the
// same scheduler round and never sleep in the poller, which is the cost
// this measures.
//
// Beside it, interleaved with -count: proxy=haproxy, Debian's HAProxy in
// TCP mode with one thread as the harness's haproxy lane runs it (skipped
// when haproxy is not installed), so the ratio the protocols scenario
// reports can be looked at in one run; and with
// RELAY_CPU_OTHER=/path/to/dataplane.test, proxy=other, a dataplane test
// binary built from another commit (with this file), for a before/after.
const relayChildEnv = "MESHPROXY_RELAY_CPU_CHILD"

// TestRelayCPUChild is BenchmarkTCPRelayCPU's proxy process; it runs only
// when the benchmark starts it. It prints "addr HOST:PORT" and serves
// until its stdin closes.
func TestRelayCPUChild(t *testing.T) {
	up := os.Getenv(relayChildEnv)
	if up == "" {
		t.Skip("the proxy process of BenchmarkTCPRelayCPU")
	}
	_, pa := startProxy(t, tcpResources(t, up))
	fmt.Printf("addr %s\n", pa)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// relayProxy is a running proxy process and the address it relays on.
type relayProxy struct {
	pid  int
	addr string
}

// startMeshproxyChild starts bin's TestRelayCPUChild.
func startMeshproxyChild(b *testing.B, bin, upstream string) relayProxy {
	b.Helper()
	cmd := exec.Command(bin, "-test.run=^TestRelayCPUChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), relayChildEnv+"="+upstream, "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(b, err)
	out, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return relayProxy{cmd.Process.Pid, a}
		}
	}
	b.Fatalf("relay child %s printed no address: %v", bin, sc.Err())
	return relayProxy{}
}

// haproxyTCP is the harness's haproxy lane in TCP mode (one thread).
const haproxyTCP = `global
    nbthread 1
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend relay
    bind %s
    default_backend upstream
backend upstream
    server app %s
`

func startHAProxy(b *testing.B, bin, upstream string) relayProxy {
	b.Helper()
	addr := "127.0.0.1:" + freePort(b)
	cfg := filepath.Join(b.TempDir(), "haproxy.cfg")
	require.NoError(b, os.WriteFile(cfg, fmt.Appendf(nil, haproxyTCP, addr, upstream), 0o600))
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(b, cmd.Start())
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return relayProxy{cmd.Process.Pid, addr}
		}
		if time.Now().After(deadline) {
			b.Fatalf("haproxy did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func BenchmarkTCPRelayCPU(b *testing.B) {
	if testing.Short() {
		b.Skip("paced at 1000 messages per second")
	}
	echo := tcpEchoServer(b)
	type variant struct {
		name, bin string
		start     func(*testing.B, string, string) relayProxy
	}
	vs := []variant{{"meshproxy", os.Args[0], startMeshproxyChild}}
	if other := os.Getenv("RELAY_CPU_OTHER"); other != "" {
		vs = append(vs, variant{"other", other, startMeshproxyChild})
	}
	if hp, err := exec.LookPath("haproxy"); err == nil {
		vs = append(vs, variant{"haproxy", hp, startHAProxy})
	}
	for _, v := range vs {
		b.Run("proxy="+v.name, func(b *testing.B) {
			benchRelayCPU(b, v.start(b, v.bin, echo))
		})
	}
}

// benchRelayCPU runs b.N paced ping-pongs over 16 connections through the
// proxy and reports its CPU per message.
func benchRelayCPU(b *testing.B, p relayProxy) {
	const conns, every = 16, 16 * time.Millisecond
	msg := bytes.Repeat([]byte("x"), 1024)
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", p.addr)
		require.NoError(b, err)
		b.Cleanup(func() { _ = c.Close() })
		cs[i] = c
		pingPong(b, c, msg, make([]byte, len(msg))) // connected and relaying before the window
	}
	u0 := readProcUsage(b, p.pid)
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
	u1 := readProcUsage(b, p.pid)
	u1.report(b, u0)
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
