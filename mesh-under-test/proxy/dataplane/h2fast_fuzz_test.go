package dataplane

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Frames builds a frame sequence for the seed corpus.
func h2Frames(write func(fr *http2.Framer, hb func(...string) []byte)) []byte {
	var out bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	hb := func(kv ...string) []byte {
		var b bytes.Buffer
		enc := hpack.NewEncoder(&b)
		for i := 0; i+1 < len(kv); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return b.Bytes()
	}
	_ = fr.WriteSettings()
	write(fr, hb)
	return out.Bytes()
}

// FuzzH2FastFrames feeds arbitrary bytes after the client preface to the
// lean h2 path (in front of a real h2c upstream). Whatever the frames, the
// proxy must not crash or hang the connection past its read, and must go
// on serving a well-formed request on a new connection.
func FuzzH2FastFrames(f *testing.F) {
	get := []string{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "x"}
	post := []string{":method", "POST", ":scheme", "http", ":path", "/p", ":authority", "x", "content-type", "application/grpc"}
	f.Add(h2Frames(func(fr *http2.Framer, hb func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb(get...), EndStream: true, EndHeaders: true})
	}))
	f.Add(h2Frames(func(fr *http2.Framer, hb func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb(post...), EndHeaders: true})
		_ = fr.WriteData(1, false, []byte("\x00\x00\x00\x00\x02hi"))
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb("x-t", "1"), EndStream: true, EndHeaders: true})
	}))
	f.Add(h2Frames(func(fr *http2.Framer, hb func(...string) []byte) {
		b := hb(get...)
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:3], EndStream: true})
		_ = fr.WriteContinuation(1, true, b[3:])
		_ = fr.WriteWindowUpdate(0, 1000)
		_ = fr.WritePing(false, [8]byte{1})
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
		_ = fr.WriteRSTStream(1, http2.ErrCodeCancel)
	}))
	f.Add(h2Frames(func(fr *http2.Framer, hb func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: hb(post...), EndHeaders: true})
		_ = fr.WriteData(3, false, make([]byte, 100))
		_ = fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		_ = fr.WriteData(3, true, nil)
	}))
	up := h2Upstream(f, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Trailer", "Grpc-Status")
		_, _ = io.WriteString(w, "ok")
		w.Header().Set("Grpc-Status", "0")
	})
	_, pa := fastProxy(f, up)
	client := h2cClient()
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := net.Dial("tcp", pa)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = c.Write(append([]byte(http2.ClientPreface), in...))
		// The input is all the client says: half-closing lets the proxy
		// see the end (and close) at once, instead of every input waiting
		// out the deadline (3 execs a second, minimizing one input took a
		// minute).
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c) // until the proxy closes it or the deadline
		_ = c.Close()
		resp, err := client.Get("http://" + pa + "/")
		if err != nil {
			t.Fatalf("proxy stopped serving: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d after hostile input", resp.StatusCode)
		}
	})
}
