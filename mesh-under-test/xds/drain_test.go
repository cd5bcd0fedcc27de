package xds_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// countingListener counts the connections accepted and still open: the
// server closes its side when the proxy closes the connection.
type countingListener struct {
	net.Listener
	open, accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	l.accepted.Add(1)
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// drainUpstream is an app instance on 127.0.0.1 (HTTP/1.1, or h2c for
// http2): it answers its name; /slow waits until release is closed.
type drainUpstream struct {
	name    string
	addr    string
	ln      *countingListener
	slowIn  chan struct{} // one per /slow request that arrived
	release chan struct{}
}

func startDrainUpstream(t *testing.T, name, protocol string) *drainUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := &drainUpstream{name: name, addr: ln.Addr().String(), ln: &countingListener{Listener: ln},
		slowIn: make(chan struct{}, 4), release: make(chan struct{})}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			u.slowIn <- struct{}{}
			select {
			case <-u.release:
			case <-time.After(10 * time.Second):
			}
		}
		_, _ = io.WriteString(w, u.name)
	})
	if protocol == meshconfig.ProtocolHTTP2 {
		h = h2c.NewHandler(h, &http2.Server{})
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(u.ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return u
}

// getter returns a GET through c to the proxy's outbound address: the
// status, the body and the error.
func getter(c *http.Client, outbound string) func(path string) (int, string, error) {
	return func(path string) (int, string, error) {
		resp, err := c.Get("http://" + outbound + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
}

// allServedBy makes n requests through get and expects each answered 200
// by the endpoint named name, none by other (for the messages).
func allServedBy(t *testing.T, get func(string) (int, string, error), n int, name, other string) {
	t.Helper()
	for i := range n {
		s, body, err := get("/")
		require.NoError(t, err)
		assert.Equal(t, 200, s)
		assert.Equal(t, name, body, "new request %d went to %s", i, other)
	}
}

// slowResult is the outcome of the /slow request startSlow made.
type slowResult struct {
	status int
	body   string
	err    error
}

// startSlow sends /slow through get and returns once u has it in hand;
// its outcome arrives on the channel when u is released.
func startSlow(t *testing.T, get func(string) (int, string, error), u *drainUpstream) <-chan slowResult {
	t.Helper()
	slow := make(chan slowResult, 1)
	go func() {
		s, body, err := get("/slow")
		slow <- slowResult{s, body, err}
	}()
	select {
	case <-u.slowIn:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow request never reached endpoint " + u.name)
	}
	return slow
}

// finishSlow releases u's /slow request, which must then complete with
// 200 from u, after which u's last connection must close; how is the
// endpoint's state, for the messages.
func finishSlow(t *testing.T, slow <-chan slowResult, u *drainUpstream, how string) {
	t.Helper()
	close(u.release)
	select {
	case r := <-slow:
		require.NoError(t, r.err)
		assert.Equal(t, 200, r.status, "the in-flight request on the %s endpoint completes", how)
		assert.Equal(t, u.name, r.body)
	case <-time.After(5 * time.Second):
		t.Fatalf("the in-flight request on the %s endpoint never completed", how)
	}
	require.Eventually(t, func() bool { return u.ln.open.Load() == 0 }, 3*time.Second, 10*time.Millisecond,
		"the %s endpoint's connection closes after its last response (open: %d)", how, u.ln.open.Load())
}

// drainMeshDoc is a mesh file: one client proxy whose outbound listener
// calls service app, whose endpoints are given as address -> draining.
func drainMeshDoc(rev int, protocol, outbound string, eps ...string) string {
	doc := fmt.Sprintf("revision: %d\nservices:\n  - name: app\n    protocol: %s\n    endpoints:\n", rev, protocol)
	for i := 0; i < len(eps); i += 2 {
		doc += fmt.Sprintf("      - {address: '%s', draining: %s}\n", eps[i], eps[i+1])
	}
	return doc + fmt.Sprintf("proxies:\n  - id: client\n    outbound: [{address: '%s', service: app}]\n", outbound)
}

// TestDrainingEndpointThroughMeshcontrol turns an endpoint DRAINING in
// the mesh file that meshcontrol watches, with a slow request in flight on
// it, and checks what reaches a real proxy over xDS, on real sockets, for
// HTTP/1.1 and HTTP/2 (the lean path) upstreams: the slow request
// completes with 200 from the draining endpoint; every new request goes to
// the other endpoint; the draining endpoint's idle connections close at
// once and its busy one once its response is done. Then every endpoint
// drains: requests are still served, by the draining endpoints (Envoy's
// panic routing).
func TestDrainingEndpointThroughMeshcontrol(t *testing.T) {
	for _, protocol := range []string{meshconfig.ProtocolHTTP, meshconfig.ProtocolHTTP2} {
		t.Run(protocol, func(t *testing.T) { testDrainingEndpoint(t, protocol) })
	}
}

func testDrainingEndpoint(t *testing.T, protocol string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := startDrainUpstream(t, "A", protocol), startDrainUpstream(t, "B", protocol)
	outbound := freeAddr(t)
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	writeMesh(t, path, drainMeshDoc(1, protocol, outbound, a.addr, "false"))
	inst := startControl(t, ctx, path, "127.0.0.1:0")
	defer inst.Stop()
	startProxy(t, ctx, inst.Addr(), "client")

	get := getter(clientFor(protocol, 15*time.Second), outbound)
	require.Eventually(t, func() bool { s, body, _ := get("/"); return s == 200 && body == "A" }, 10*time.Second, 20*time.Millisecond,
		"the proxy serves app from its one endpoint")
	slow := startSlow(t, get, a) // the same client: HTTP/2 multiplexes it beside later requests

	writeMesh(t, path, drainMeshDoc(2, protocol, outbound, a.addr, "true", b.addr, "false"))
	require.Eventually(t, func() bool { _, body, _ := get("/"); return body == "B" }, 10*time.Second, 20*time.Millisecond,
		"the draining configuration reached the proxy")
	allServedBy(t, get, 20, "B", "the draining endpoint")
	if protocol == meshconfig.ProtocolHTTP {
		// HTTP/1.1: the warm-up's pooled connection closed at once; only
		// the slow request's connection is left.
		require.Eventually(t, func() bool { return a.ln.open.Load() == 1 }, 2*time.Second, 10*time.Millisecond,
			"the draining endpoint's idle connections close (open: %d)", a.ln.open.Load())
	}
	select {
	case r := <-slow:
		t.Fatalf("the in-flight request ended before its response: %+v", r)
	default:
	}

	finishSlow(t, slow, a, "draining")
	accepted := a.ln.accepted.Load()
	for range 10 {
		_, body, err := get("/")
		require.NoError(t, err)
		assert.Equal(t, "B", body)
	}
	assert.Equal(t, accepted, a.ln.accepted.Load(), "no new connection to the draining endpoint")

	// Every endpoint draining: Envoy's panic routing balances over all of
	// them (draining hosts included), so requests are served, not 503.
	writeMesh(t, path, drainMeshDoc(3, protocol, outbound, a.addr, "true", b.addr, "true"))
	require.Eventually(t, func() bool { _, body, _ := get("/"); return body == "A" }, 10*time.Second, 20*time.Millisecond,
		"with every endpoint draining, requests reach both again")
	for range 10 {
		s, _, err := get("/")
		require.NoError(t, err)
		assert.Equal(t, 200, s, "every endpoint draining: served by them, not refused")
	}
}

// startTCPUpstream serves raw TCP on 127.0.0.1: it answers a connection's
// first line with its name (the proxy's listener reads a first byte before
// it picks a chain, so the client speaks first), then echoes what it reads.
func startTCPUpstream(t *testing.T, name string) (string, *countingListener) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := &countingListener{Listener: raw}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := br.ReadString('\n'); err != nil {
					return
				}
				if _, err := io.WriteString(c, name+"\n"); err == nil {
					_, _ = io.Copy(c, br)
				}
			}()
		}
	}()
	return raw.Addr().String(), ln
}

// TestDrainingEndpointKeepsTCPRelays: for a tcp service (tcp_proxy), a
// relay open to an endpoint that turns DRAINING in the mesh file keeps
// working, as Envoy's tcp_proxy keeps it; new connections are relayed to
// the other endpoint only.
func TestDrainingEndpointKeepsTCPRelays(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	aAddr, aLn := startTCPUpstream(t, "A")
	bAddr, _ := startTCPUpstream(t, "B")
	outbound := freeAddr(t)
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	writeMesh(t, path, drainMeshDoc(1, meshconfig.ProtocolTCP, outbound, aAddr, "false"))
	inst := startControl(t, ctx, path, "127.0.0.1:0")
	defer inst.Stop()
	startProxy(t, ctx, inst.Addr(), "client")

	// dial opens a relay through the proxy and returns it with the
	// upstream's name ("" when the relay failed).
	dial := func() (net.Conn, *bufio.Reader, string) {
		c, err := net.DialTimeout("tcp", outbound, time.Second)
		if err != nil {
			return nil, nil, ""
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "who\n"); err != nil {
			return c, nil, ""
		}
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		return c, br, strings.TrimSpace(line)
	}
	var kept net.Conn
	var keptR *bufio.Reader
	require.Eventually(t, func() bool {
		c, br, who := dial()
		if who != "A" {
			if c != nil {
				_ = c.Close()
			}
			return false
		}
		kept, keptR = c, br
		return true
	}, 10*time.Second, 20*time.Millisecond, "the proxy relays to app's one endpoint")
	defer kept.Close()

	writeMesh(t, path, drainMeshDoc(2, meshconfig.ProtocolTCP, outbound, aAddr, "true", bAddr, "false"))
	require.Eventually(t, func() bool {
		c, _, who := dial()
		if c != nil {
			_ = c.Close()
		}
		return who == "B"
	}, 10*time.Second, 20*time.Millisecond, "the draining configuration reached the proxy")
	accepted := aLn.accepted.Load()
	for i := range 10 {
		c, _, who := dial()
		require.NotNil(t, c)
		_ = c.Close()
		assert.Equal(t, "B", who, "new relay %d went to the draining endpoint", i)
	}
	assert.Equal(t, accepted, aLn.accepted.Load(), "no new connection to the draining endpoint")
	_, err := io.WriteString(kept, "still there\n")
	require.NoError(t, err)
	line, err := keptR.ReadString('\n')
	require.NoError(t, err, "the relay opened before the drain still works")
	assert.Equal(t, "still there\n", line)
}
