package dataplane

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// h2Upstream serves h as h2c on 127.0.0.1 and returns its address.
func h2Upstream(t testing.TB, h http.HandlerFunc) string {
	t.Helper()
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// fastProxy is a static proxy (an HTTP/2-capable cluster, as meshproxy
// --outbound makes) in front of upstream with the lean h2 path on.
func fastProxy(t testing.TB, upstream string) (*Proxy, string) {
	t.Helper()
	return staticH2Proxy(t, upstream, true)
}

// rawH2 opens a client connection speaking frames directly (the preface
// and an empty SETTINGS sent), for clients no library would be.
func rawH2(t *testing.T, addr string, settings ...http2.Setting) (net.Conn, *http2.Framer) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = io.WriteString(c, http2.ClientPreface)
	require.NoError(t, err)
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	require.NoError(t, fr.WriteSettings(settings...))
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return c, fr
}

func headerBlock(t *testing.T, fields ...string) []byte {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for i := 0; i+1 < len(fields); i += 2 {
		require.NoError(t, enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]}))
	}
	return hb.Bytes()
}

func postHeaders(t *testing.T, path string) []byte {
	return headerBlock(t, ":method", "POST", ":scheme", "http", ":path", path, ":authority", "x")
}

// connEnd reads until the connection ends and returns the GOAWAY code it
// got (ErrCodeNo and false when it was closed without one).
func connEnd(t *testing.T, fr *http2.Framer) (http2.ErrCode, bool) {
	t.Helper()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			var ce http2.ConnectionError
			require.False(t, errors.As(err, &ce), "the proxy wrote a malformed frame: %v", err)
			require.False(t, isTimeout(err), "connection still open after 10 s")
			return http2.ErrCodeNo, false
		}
		if g, ok := f.(*http2.GoAwayFrame); ok && g.ErrCode != http2.ErrCodeNo {
			return g.ErrCode, true
		}
	}
}

// sendUntilEnd opens a raw connection to addr, sends what send writes,
// and returns how the connection ended (connEnd), read meanwhile.
func sendUntilEnd(t *testing.T, addr string, send func(*testing.T, *http2.Framer)) (http2.ErrCode, bool) {
	t.Helper()
	_, fr := rawH2(t, addr)
	done := make(chan struct{})
	var code http2.ErrCode
	var gotAway bool
	go func() { defer close(done); code, gotAway = connEnd(t, fr) }()
	send(t, fr)
	<-done
	return code, gotAway
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestH2FastPathIsTheDefault: h2 connections take the lean path unless
// asked not to (Options.H2XNet, meshproxy --h2-fast=false), which keeps them
// on x/net/http2's server.
func TestH2FastPathIsTheDefault(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })
	for _, xnet := range []bool{false, true} {
		res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: up}}, nil, nil)
		require.NoError(t, err)
		p := New(Options{ID: "x", H2XNet: xnet})
		require.NoError(t, p.Apply(context.Background(), res))
		client := h2cClient()
		resp, err := client.Get("http://" + p.Addr(res.Listeners[0].GetName()) + "/")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "HTTP/2.0", string(body))
		n := 0
		p.fast.Range(func(any, any) bool { n++; return true })
		assert.Equal(t, !xnet, n == 1, "lean path connections with H2XNet=%v", xnet)
		_ = resp.Body.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = p.Shutdown(ctx)
		cancel()
	}
}

// TestH2FastLargeBodiesBothWays: 4 MiB each way, many times the windows,
// arrives intact: flow control moves on both legs.
func TestH2FastLargeBodiesBothWays(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })
	_, pa := fastProxy(t, up)
	body := bytes.Repeat([]byte("0123456789abcdef"), 256<<10)
	resp, err := h2cClient().Post("http://"+pa+"/echo", "application/octet-stream", bytes.NewReader(body))
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, bytes.Equal(body, got), "echoed %d of %d bytes", len(got), len(body))
}

// TestH2FastClientIgnoringFlowControl: a client that sends past the
// windows it was given (to an upstream that reads nothing, so credit stops
// coming back) gets FLOW_CONTROL_ERROR (the stream reset, or the
// connection); the proxy does not buffer past its windows.
func TestH2FastClientIgnoringFlowControl(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	_, pa := fastProxy(t, up)
	_, fr := rawH2(t, pa)
	flowErr := make(chan bool, 1)
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				flowErr <- false
				return
			}
			switch f := f.(type) {
			case *http2.RSTStreamFrame:
				if f.ErrCode == http2.ErrCodeFlowControl {
					flowErr <- true
					return
				}
			case *http2.GoAwayFrame:
				flowErr <- f.ErrCode == http2.ErrCodeFlowControl
				return
			}
		}
	}()
	chunk := make([]byte, 16<<10)
	for id := uint32(1); id <= 15; id += 2 {
		if fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: postHeaders(t, "/"), EndHeaders: true}) != nil {
			break
		}
		for range 128 { // 2 MiB per stream: past any window the proxy gave
			if fr.WriteData(id, false, chunk) != nil {
				break
			}
		}
	}
	assert.True(t, <-flowErr, "FLOW_CONTROL_ERROR (RST_STREAM or GOAWAY)")
}

// TestH2FastResetMidBody: RST_STREAM while the body is flowing cancels
// the upstream request; the connection serves the next stream.
func TestH2FastResetMidBody(t *testing.T) {
	canceled := make(chan struct{}, 1)
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		_, err := io.Copy(io.Discard, r.Body)
		if err != nil || r.Context().Err() != nil {
			canceled <- struct{}{}
		}
	})
	_, pa := fastProxy(t, up)
	_, fr := rawH2(t, pa)
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: postHeaders(t, "/body"), EndHeaders: true}))
	require.NoError(t, fr.WriteData(1, false, []byte("partial")))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, fr.WriteRSTStream(1, http2.ErrCodeCancel))
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream request not cancelled")
	}
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, EndStream: true, EndHeaders: true,
		BlockFragment: headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/ok", ":authority", "x")}))
	status, _ := h2StreamOutcome(t, fr, 3)
	assert.Equal(t, "200", status)
}

// h2StreamOutcome reads until stream id ends: its :status ("" if reset)
// and body.
func h2StreamOutcome(t *testing.T, fr *http2.Framer, id uint32) (string, string) {
	t.Helper()
	status := ""
	var body bytes.Buffer
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		if f.Header().StreamID != id {
			continue
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if s := f.PseudoValue("status"); s != "" {
				status = s
			}
			if f.StreamEnded() {
				return status, body.String()
			}
		case *http2.DataFrame:
			body.Write(f.Data())
			if f.StreamEnded() {
				return status, body.String()
			}
		case *http2.RSTStreamFrame:
			return "", body.String()
		}
	}
}

// TestH2FastHostileFrames: malformed and hostile frame sequences end the
// stream or the connection with the protocol's error, never hang it or
// crash the proxy, which keeps serving others.
func TestH2FastHostileFrames(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "fine") })
	_, pa := fastProxy(t, up)
	get := func(path string) []byte {
		return headerBlock(t, ":method", "GET", ":scheme", "http", ":path", path, ":authority", "x")
	}
	tests := []struct {
		name string
		send func(t *testing.T, fr *http2.Framer)
		want http2.ErrCode
	}{
		{"continuation flood", func(t *testing.T, fr *http2.Framer) {
			junk := headerBlock(t, "x-junk", strings.Repeat("j", 8000))
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: get("/"), EndHeaders: false})
			for range 1000 { // 8 MB of CONTINUATION, never END_HEADERS
				if fr.WriteContinuation(1, false, junk) != nil {
					return
				}
			}
		}, 0},
		{"stream id reused", func(t *testing.T, fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: get("/"), EndStream: true, EndHeaders: true})
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: get("/"), EndStream: true, EndHeaders: true})
		}, http2.ErrCodeStreamClosed},
		{"even stream id", func(t *testing.T, fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 2, BlockFragment: get("/"), EndStream: true, EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"data on stream 0", func(t *testing.T, fr *http2.Framer) {
			_ = fr.WriteRawFrame(http2.FrameData, 0, 0, []byte("x"))
		}, http2.ErrCodeProtocol},
		{"window overflow", func(t *testing.T, fr *http2.Framer) {
			_ = fr.WriteWindowUpdate(0, 1<<31-1)
		}, http2.ErrCodeFlowControl},
		{"push promise from a client", func(t *testing.T, fr *http2.Framer) {
			_ = fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: get("/"), EndHeaders: true})
		}, http2.ErrCodeProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, gotAway := sendUntilEnd(t, pa, tc.send)
			if tc.want != 0 {
				assert.True(t, gotAway, "GOAWAY sent")
				assert.Equal(t, tc.want, code)
			}
		})
	}
	// the proxy still serves
	resp, err := h2cClient().Get("http://" + pa + "/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

// TestH2FastHugeHeaderBlock: a header list over the limit (1 MiB) is
// refused (431 or the connection closed), and nothing past it forwarded.
func TestH2FastHugeHeaderBlock(t *testing.T) {
	var seen atomic.Int64
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { seen.Add(1) })
	_, pa := fastProxy(t, up)
	_, fr := rawH2(t, pa)
	hb := headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "x",
		"x-a", strings.Repeat("a", 600<<10), "x-b", strings.Repeat("b", 600<<10))
	for i := 0; len(hb) > 0; i++ {
		n := min(len(hb), 16<<10)
		var err error
		if i == 0 {
			err = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb[:n], EndStream: true, EndHeaders: n == len(hb)})
		} else {
			err = fr.WriteContinuation(1, n == len(hb), hb[:n])
		}
		if err != nil {
			break
		}
		hb = hb[n:]
	}
	f, err := fr.ReadFrame()
	for err == nil {
		if h, ok := f.(*http2.MetaHeadersFrame); ok {
			assert.Equal(t, "431", h.PseudoValue("status"))
			break
		}
		f, err = fr.ReadFrame()
	}
	assert.Zero(t, seen.Load(), "the request never reached the upstream")
}

// TestH2FastSettingsChangeMidStream: the client shrinks and then grows its
// initial window while a 1 MiB response streams; the proxy never sends
// past the window and the body arrives whole.
func TestH2FastSettingsChangeMidStream(t *testing.T) {
	body := bytes.Repeat([]byte("z"), 1<<20)
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
	_, pa := fastProxy(t, up)
	_, fr := rawH2(t, pa, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true,
		BlockFragment: headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "x")}))
	streamWin, connWin := int64(1000), int64(65535)
	got := 0
	grown := false
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		d, ok := f.(*http2.DataFrame)
		if !ok || d.StreamID != 1 {
			continue
		}
		n := int64(d.Length)
		streamWin -= n
		connWin -= n
		require.GreaterOrEqual(t, streamWin, int64(0), "sent past the stream window")
		require.GreaterOrEqual(t, connWin, int64(0), "sent past the connection window")
		got += len(d.Data())
		if d.StreamEnded() {
			break
		}
		if !grown && got >= 5000 { // mid-stream: a larger initial window (+64000 to the open stream)
			require.NoError(t, fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 65000}))
			streamWin += 64000
			grown = true
		}
		if n > 0 { // give back what was read, as a reader would
			require.NoError(t, fr.WriteWindowUpdate(0, uint32(n)))
			require.NoError(t, fr.WriteWindowUpdate(1, uint32(n)))
			streamWin += n
			connWin += n
		}
	}
	assert.Equal(t, len(body), got)
}

// TestH2FastSlowUpstreamStreamDoesNotBlockOthers: one stream waiting on a
// slow upstream answer does not hold the connection's other streams.
func TestH2FastSlowUpstreamStreamDoesNotBlockOthers(t *testing.T) {
	release := make(chan struct{})
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = io.WriteString(w, r.URL.Path)
	})
	_, pa := fastProxy(t, up)
	client := h2cClient() // one connection, many streams
	slow := make(chan string, 1)
	go func() {
		resp, err := client.Get("http://" + pa + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		slow <- string(b)
	}()
	time.Sleep(50 * time.Millisecond)
	for range 20 {
		resp, err := client.Get("http://" + pa + "/fast")
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, "/fast", string(b))
	}
	select {
	case s := <-slow:
		t.Fatalf("the slow stream ended early: %q", s)
	default:
	}
	close(release)
	assert.Equal(t, "/slow", <-slow)
}

// TestH2FastUpstreamGoAway: an upstream that shuts down gracefully (GOAWAY)
// between requests costs nothing: the next request goes over a new
// upstream connection.
func TestH2FastUpstreamGoAway(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	go func() { _ = srv.Serve(ln) }()
	_, pa := fastProxy(t, addr)
	client := h2cClient()
	get := func() int {
		resp, err := client.Get("http://" + pa + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 200, get())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx) // GOAWAY, then close
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv2 := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	go func() { _ = srv2.Serve(ln2) }()
	t.Cleanup(func() { _ = srv2.Close() })
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 200, get())
}
