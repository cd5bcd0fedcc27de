package rawconn

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineEcho is a held server of a line protocol: every complete line read
// is answered with "echo:" and the line, as a proxy answers each request
// of a keep-alive connection. A line is answered only once it is whole,
// so a line split across reads waits inside the registration.
type lineEcho struct {
	c     net.Conn // what Hold holds
	rw    io.ReadWriter
	br    *bufio.Reader
	end   error             // why the step ended (nil: still serving)
	onGot func(line string) // called after a line is read, before its answer
}

func newLineEcho(c net.Conn, rw io.ReadWriter) *lineEcho {
	return &lineEcho{c: c, rw: rw, br: bufio.NewReaderSize(rw, 4096)}
}

func (e *lineEcho) step() bool {
	for {
		buf, _ := e.br.Peek(e.br.Buffered())
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line := string(buf[:i])
			_, _ = e.br.Discard(i + 1)
			if e.onGot != nil {
				e.onGot(line)
			}
			if _, err := e.rw.Write([]byte("echo:" + line + "\n")); err != nil {
				e.end = err
				return true
			}
			continue
		}
		if _, err := e.br.Peek(e.br.Buffered() + 1); err != nil {
			if errors.Is(err, ErrWouldBlock) {
				return false
			}
			e.end = err
			return true
		}
	}
}

// serve runs the held loop in a goroutine; the channel gets Hold's error.
func (e *lineEcho) serve(t *testing.T) <-chan error {
	t.Helper()
	require.NoError(t, e.c.SetReadDeadline(time.Now().Add(5*time.Second))) // a missed wake-up fails, not hangs
	done := make(chan error, 1)
	go func() {
		held, err := Hold(e.c, e.step)
		if !held {
			err = errors.New("not held")
		}
		done <- err
	}()
	return done
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	s, err := r.ReadString('\n')
	require.NoError(t, err)
	return s
}

func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(4 * time.Second):
		t.Fatal("Hold did not return: a wake-up or an end of stream was missed")
		return nil
	}
}

func TestHoldSkipsTheReadAfterDraining(t *testing.T) {
	srv, cli := pair(t) // srv is the wrapped side
	e := newLineEcho(srv, srv)
	done := e.serve(t)
	cr := bufio.NewReader(cli)
	const n = 20
	for i := range n {
		line := "req" + string(rune('a'+i))
		_, err := cli.Write([]byte(line + "\n"))
		require.NoError(t, err)
		assert.Equal(t, "echo:"+line+"\n", readLine(t, cr))
	}
	require.NoError(t, cli.Close())
	assert.NoError(t, waitDone(t, done))
	assert.ErrorIs(t, e.end, io.EOF)
	f := srv.(*fastConn)
	require.Equal(t, inqOn, f.hold.inq, "TCP_INQ is needed (Linux 4.18+)")
	// One read per line, one for the end of stream, the registration's
	// first read (EAGAIN), and at most one spurious wake-up: a read before
	// every wait would be 2n+1.
	assert.LessOrEqual(t, f.hold.recvs, n+3)
	assert.GreaterOrEqual(t, f.hold.recvs, n+1)
}

func TestHoldMissesNothing(t *testing.T) {
	t.Run("end of stream queued with the data: no edge follows", func(t *testing.T) {
		srv, cli := pair(t)
		_, err := cli.Write([]byte("last\n"))
		require.NoError(t, err)
		require.NoError(t, cli.(*net.TCPConn).CloseWrite())
		time.Sleep(50 * time.Millisecond) // both queued, their edge already seen by the poller
		e := newLineEcho(srv, srv)
		assert.NoError(t, waitDone(t, e.serve(t)))
		assert.ErrorIs(t, e.end, io.EOF, "the FIN after the data must be read, not waited for")
		assert.Equal(t, "echo:last\n", readLine(t, bufio.NewReader(cli)))
	})
	t.Run("half-close right after the data, while held", func(t *testing.T) {
		srv, cli := pair(t)
		e := newLineEcho(srv, srv)
		done := e.serve(t)
		time.Sleep(20 * time.Millisecond) // parked
		_, err := cli.Write([]byte("a\nb\n"))
		require.NoError(t, err)
		require.NoError(t, cli.(*net.TCPConn).CloseWrite())
		assert.NoError(t, waitDone(t, done))
		assert.ErrorIs(t, e.end, io.EOF)
		require.NoError(t, srv.Close())
		all, err := io.ReadAll(cli)
		require.NoError(t, err)
		assert.Equal(t, "echo:a\necho:b\n", string(all))
	})
	t.Run("a line arriving while the previous is answered", func(t *testing.T) {
		srv, cli := pair(t)
		e := newLineEcho(srv, srv)
		e.onGot = func(line string) {
			if line == "first" {
				_, _ = cli.Write([]byte("second\n"))
				time.Sleep(30 * time.Millisecond) // it arrives (and its edge is seen) before the answer is written
			}
		}
		done := e.serve(t)
		_, err := cli.Write([]byte("first\n"))
		require.NoError(t, err)
		cr := bufio.NewReader(cli)
		assert.Equal(t, "echo:first\n", readLine(t, cr))
		assert.Equal(t, "echo:second\n", readLine(t, cr), "the edge recorded during the step must wake the wait")
		require.NoError(t, cli.Close())
		assert.NoError(t, waitDone(t, done))
	})
	t.Run("pipelined lines in one segment", func(t *testing.T) {
		srv, cli := pair(t)
		done := newLineEcho(srv, srv).serve(t)
		_, err := cli.Write([]byte("1\n2\n3\n"))
		require.NoError(t, err)
		cr := bufio.NewReader(cli)
		for _, want := range []string{"1", "2", "3"} {
			assert.Equal(t, "echo:"+want+"\n", readLine(t, cr))
		}
		require.NoError(t, cli.Close())
		assert.NoError(t, waitDone(t, done))
	})
	t.Run("a line split across segments", func(t *testing.T) {
		srv, cli := pair(t)
		done := newLineEcho(srv, srv).serve(t)
		for _, part := range []string{"sp", "li", "t\nne", "xt\n"} {
			_, err := cli.Write([]byte(part))
			require.NoError(t, err)
			time.Sleep(15 * time.Millisecond)
		}
		cr := bufio.NewReader(cli)
		assert.Equal(t, "echo:split\n", readLine(t, cr))
		assert.Equal(t, "echo:next\n", readLine(t, cr))
		require.NoError(t, cli.Close())
		assert.NoError(t, waitDone(t, done))
	})
}

func TestHoldEnds(t *testing.T) {
	t.Run("deadline while waiting", func(t *testing.T) {
		srv, _ := pair(t)
		e := newLineEcho(srv, srv)
		done := e.serve(t)
		require.NoError(t, srv.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
		assert.ErrorIs(t, waitDone(t, done), os.ErrDeadlineExceeded)
	})
	t.Run("local close while waiting", func(t *testing.T) {
		srv, _ := pair(t)
		done := newLineEcho(srv, srv).serve(t)
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, srv.Close())
		assert.ErrorIs(t, waitDone(t, done), net.ErrClosed)
	})
	t.Run("local close while a step runs waits for it", func(t *testing.T) {
		srv, cli := pair(t)
		e := newLineEcho(srv, srv)
		release := make(chan struct{})
		e.onGot = func(string) { <-release }
		done := e.serve(t)
		_, err := cli.Write([]byte("x\n"))
		require.NoError(t, err)
		time.Sleep(20 * time.Millisecond) // the step is in onGot
		closed := make(chan struct{})
		go func() { _ = srv.Close(); close(closed) }()
		select {
		case <-closed:
			t.Fatal("Close returned while the step held the descriptor")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		_ = waitDone(t, done)
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not return after the step")
		}
		assert.ErrorIs(t, e.end, net.ErrClosed, "the answer's write fails: the conn is closing")
	})
	t.Run("reset by the peer", func(t *testing.T) {
		srv, cli := pair(t)
		e := newLineEcho(srv, srv)
		done := e.serve(t)
		require.NoError(t, cli.(*net.TCPConn).SetLinger(0))
		require.NoError(t, cli.Close()) // RST
		assert.NoError(t, waitDone(t, done))
		assert.ErrorIs(t, e.end, syscall.ECONNRESET)
	})
	t.Run("not wrapped: not held", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		held, err := Hold(a, func() bool { t.Error("step called"); return true })
		assert.False(t, held)
		assert.NoError(t, err)
	})
}

// splitConn writes every Write in two halves, 15 ms apart: TLS records
// arrive in pieces.
type splitConn struct{ net.Conn }

func (c splitConn) Write(b []byte) (int, error) {
	h := len(b) / 2
	n, err := c.Conn.Write(b[:h])
	if err != nil {
		return n, err
	}
	time.Sleep(15 * time.Millisecond)
	m, err := c.Conn.Write(b[h:])
	return n + m, err
}

// TestHoldTLS: crypto/tls over a held conn keeps a partial record across
// the wait (ErrWouldBlock is temporary) and skips the read after draining
// as plaintext does.
func TestHoldTLS(t *testing.T) {
	tlsPair := func(t *testing.T, split bool) (net.Conn, *tls.Conn, *tls.Conn) {
		srv, cli := pair(t)
		var under net.Conn = cli
		if split {
			under = splitConn{cli}
		}
		sc, cc := tlsOver(t, srv, under)
		return srv, sc, cc
	}
	for _, split := range []bool{false, true} {
		name := "whole records"
		if split {
			name = "records split across segments"
		}
		t.Run(name, func(t *testing.T) {
			srv, sc, cc := tlsPair(t, split)
			e := newLineEcho(srv, sc)
			done := e.serve(t)
			cr := bufio.NewReader(cc)
			const n = 10
			for i := range n {
				line := "tls" + string(rune('a'+i))
				_, err := cc.Write([]byte(line + "\n"))
				require.NoError(t, err)
				assert.Equal(t, "echo:"+line+"\n", readLine(t, cr))
			}
			require.NoError(t, cc.Close()) // close_notify, then FIN
			assert.NoError(t, waitDone(t, done))
			assert.ErrorIs(t, e.end, io.EOF)
			if !split {
				assert.LessOrEqual(t, srv.(*fastConn).hold.recvs, n+4)
			}
		})
	}
}
