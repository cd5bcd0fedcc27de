package dataplane

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
)

// tcpPair returns both ends of a real loopback TCP connection; the second
// is wrapped as the proxy wraps its sockets.
func tcpPair(t testing.TB) (outer, proxySide net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	outer, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	in, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { _ = outer.Close(); _ = in.Close() })
	return outer, rawconn.Wrap(in)
}

// echoConn echoes everything it reads on c, then half-closes.
func echoConn(c net.Conn) {
	_, _ = io.Copy(c, c)
	_ = c.(*net.TCPConn).CloseWrite()
}

// TestTunnelRelaysBufferedBytesFirstAndHalfCloses: bytes a classifying
// reader already holds go out before the socket's, in order, and a client's
// half-close reaches the upstream while the reply still flows back.
func TestTunnelRelaysBufferedBytesFirstAndHalfCloses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		buffered string // already read from the client into its bufio.Reader
		rest     string // still on the client's socket
	}{
		{"nothing buffered", "", "ping pong"},
		{"head buffered", "GET / HTTP/1.1\r\n", "Upgrade: x\r\n\r\nframe"},
		{"all buffered", "whole message", ""},
		{"larger than a relay buffer", "", strings.Repeat("0123456789abcdef", 3*relayBufSize/16+7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, down := tcpPair(t)
			upstream, up := tcpPair(t)
			go echoConn(upstream)
			_, err := io.WriteString(client, tc.buffered)
			require.NoError(t, err)
			br := bufio.NewReaderSize(down, 64<<10)
			if tc.buffered != "" {
				_, err = br.Peek(len(tc.buffered))
				require.NoError(t, err)
			}
			done := make(chan struct{})
			go func() { tunnelIdle(down, br, up, nil, nil); close(done) }()
			go func() {
				_, _ = io.WriteString(client, tc.rest)
				_ = client.(*net.TCPConn).CloseWrite()
			}()
			require.NoError(t, client.SetReadDeadline(time.Now().Add(10*time.Second)))
			got, err := io.ReadAll(client)
			require.NoError(t, err, "the upstream's half-close must reach the client as EOF")
			assert.Equal(t, tc.buffered+tc.rest, string(got))
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("tunnel did not return after both directions ended")
			}
		})
	}
}

// tunnelIOCopy is the relay this package used before tunnel (io.Copy per
// direction, two goroutines), kept to benchmark against.
func tunnelIOCopy(a net.Conn, ar *bufio.Reader, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst net.Conn, src io.Reader) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	head, _ := ar.Peek(ar.Buffered())
	go cp(b, io.MultiReader(bytes.NewReader(bytes.Clone(head)), a))
	_, _ = ar.Discard(len(head))
	go cp(a, b)
	<-done
	<-done
	_ = a.Close()
	_ = b.Close()
}

// BenchmarkTCPRelay: 1 KB ping-pong through one relay between real
// loopback sockets (client -> relay -> echo), the previous io.Copy relay and
// tunnel side by side in one run. The proxy's own cost is the difference
// between them; the client and echo are the same in both.
func BenchmarkTCPRelay(b *testing.B) {
	for _, bc := range []struct {
		name string
		run  func(a net.Conn, ar *bufio.Reader, b net.Conn)
	}{
		{"io.Copy", tunnelIOCopy},
		{"tunnel", func(a net.Conn, ar *bufio.Reader, b net.Conn) { tunnelIdle(a, ar, b, nil, nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client, down := tcpPair(b)
			upstream, up := tcpPair(b)
			go echoConn(upstream)
			br := bufio.NewReaderSize(down, 8<<10)
			_, err := client.Write([]byte{0}) // the classifier's peeked byte
			require.NoError(b, err)
			_, err = br.Peek(1)
			require.NoError(b, err)
			go bc.run(down, br, up)
			one := make([]byte, 1)
			_, err = io.ReadFull(client, one)
			require.NoError(b, err)
			benchEcho(b, client)
		})
	}
}

// benchEcho sends 1 KB and reads it back per iteration.
func benchEcho(b *testing.B, c net.Conn) {
	msg := bytes.Repeat([]byte("x"), 1024)
	buf := make([]byte, len(msg))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// tcpEchoServer serves echoConn on every connection to the address it
// returns, until the test ends.
func tcpEchoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go echoConn(c)
		}
	}()
	return ln.Addr().String()
}

// BenchmarkTCPRoundTrip: 1 KB ping-pong through the proxy's tcp_proxy
// listener to an echo upstream.
func BenchmarkTCPRoundTrip(b *testing.B) {
	_, pa := startProxy(b, tcpResources(b, tcpEchoServer(b)))
	c, err := net.Dial("tcp", pa)
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	benchEcho(b, c)
}

// BenchmarkTCPRelayPaced is BenchmarkTCPRelay at a sidecar's pace (one
// 1 KB ping-pong per millisecond, the processes idle in between), where
// the cost that matters is CPU per message, not round-trip time: it
// reports the whole test process's CPU (user+system, rusage) per message
// as cpu-us/op. Client and echo are the same for both relays.
func BenchmarkTCPRelayPaced(b *testing.B) {
	if testing.Short() {
		b.Skip("paced: one millisecond per iteration")
	}
	for _, bc := range []struct {
		name string
		run  func(a net.Conn, ar *bufio.Reader, b net.Conn)
	}{
		{"io.Copy", tunnelIOCopy},
		{"tunnel", func(a net.Conn, ar *bufio.Reader, b net.Conn) { tunnelIdle(a, ar, b, nil, nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client, down := tcpPair(b)
			upstream, up := tcpPair(b)
			go echoConn(upstream)
			br := bufio.NewReaderSize(down, 8<<10)
			go bc.run(down, br, up)
			msg := bytes.Repeat([]byte("x"), 1024)
			buf := make([]byte, len(msg))
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			cpu0 := processCPU(b)
			b.ReportAllocs()
			for b.Loop() {
				<-tick.C
				if _, err := client.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(client, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}

// processCPU is the test process's user+system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTunnelFullDuplex: both directions move megabytes at once (each
// larger than the socket buffers and many relay buffers, so both
// directions block on writes while the other runs), then one side
// half-closes and the other keeps sending: every byte arrives in order
// each way, each end sees the other's EOF, and the tunnel returns.
func TestTunnelFullDuplex(t *testing.T) {
	const size = 4 << 20
	pattern := func(seed byte) []byte {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i*7) ^ seed
		}
		return b
	}
	for _, first := range []string{"client closes first", "upstream closes first"} {
		t.Run(first, func(t *testing.T) {
			client, down := tcpPair(t)
			upstream, up := tcpPair(t)
			done := make(chan struct{})
			go func() { tunnelIdle(down, bufio.NewReader(down), up, nil, nil); close(done) }()
			toUp, toClient := pattern(1), pattern(2)
			// The side that closes first sends its whole stream and
			// half-closes before the other has sent a third of its own.
			firstEnd, secondEnd := client, upstream
			firstData, secondData := toUp, toClient
			if first == "upstream closes first" {
				firstEnd, secondEnd, firstData, secondData = upstream, client, toClient, toUp
			}
			firstClosed := make(chan struct{})
			send := func(c net.Conn, data []byte, waitFor <-chan struct{}, then chan<- struct{}) <-chan error {
				errc := make(chan error, 1)
				go func() {
					if _, err := c.Write(data[:size/3]); err != nil {
						errc <- err
						return
					}
					if waitFor != nil {
						<-waitFor
					}
					_, err := c.Write(data[size/3:])
					if err == nil {
						err = c.(*net.TCPConn).CloseWrite()
					}
					if then != nil {
						close(then)
					}
					errc <- err
				}()
				return errc
			}
			e1 := send(firstEnd, firstData, nil, firstClosed)
			e2 := send(secondEnd, secondData, firstClosed, nil)
			read := func(c net.Conn) <-chan []byte {
				out := make(chan []byte, 1)
				go func() {
					_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
					got, err := io.ReadAll(c)
					assert.NoError(t, err, "EOF expected after the peer's half-close")
					out <- got
				}()
				return out
			}
			atUp, atClient := read(upstream), read(client)
			require.NoError(t, <-e1)
			require.NoError(t, <-e2)
			assert.True(t, bytes.Equal(toUp, <-atUp), "client -> upstream stream differs")
			assert.True(t, bytes.Equal(toClient, <-atClient), "upstream -> client stream differs")
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("tunnel did not return after both directions ended")
			}
		})
	}
}
