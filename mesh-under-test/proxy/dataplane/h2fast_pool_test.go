package dataplane

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestH2FastPooledStreamsNeverMix: many concurrent requests, a share of
// them cancelled by the client mid-body, others cut by the route timeout,
// go through one proxy whose stream state is pooled: every answered
// request gets its own body back (a recycled stream never carries another
// request's bytes), and once all have ended every stream has gone back to
// the pool (no reference leaked, none released twice: that panics).
func TestH2FastPooledStreamsNeverMix(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slow") {
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("x-echo-path", r.URL.Path)
		_, _ = io.Copy(w, r.Body)
	})
	// Only /slow has the 150 ms route timeout: on it the timeout is the
	// point; on the echo requests it made the test fail by the machine's
	// speed (a 20 KB echo over 150 ms under -race or a busy host: 504).
	slow := prefixRoute("/slow", "up")
	slow.GetRoute().Timeout = durationpb.New(150 * time.Millisecond)
	_, pa := fastXDS(t, h2StaticCluster(t, "up", up), prefixRoute("/", "up"), func(h *hcmv3.HttpConnectionManager) {
		vh := h.GetRouteConfig().GetVirtualHosts()[0]
		vh.Routes = append([]*routev3.Route{slow}, vh.Routes...)
	})
	before := fstreamsOut.Load()
	client := h2cClient()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				id := fmt.Sprintf("/w%d/r%d", w, i)
				body := bytes.Repeat([]byte(id), 50+i*40) // up to ~20 KB: past a frame, some past a window batch
				ctx, cancel := context.WithCancel(context.Background())
				switch i % 5 {
				case 3: // cancelled by the client while the body is flowing
					pr, pw := io.Pipe()
					req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+pa+id, pr)
					go func() { _, _ = pw.Write(body[:len(body)/2]); cancel(); _ = pw.Close() }()
					if resp, err := client.Do(req); err == nil {
						_ = resp.Body.Close()
					}
				case 4: // the route timeout answers 504
					req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+pa+"/slow"+id, nil)
					resp, err := client.Do(req)
					if assert.NoError(t, err) {
						assert.Equal(t, 504, resp.StatusCode, id)
						_ = resp.Body.Close()
					}
				default:
					req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+pa+id, bytes.NewReader(body))
					resp, err := client.Do(req)
					if assert.NoError(t, err, id) {
						got, err := io.ReadAll(resp.Body)
						assert.NoError(t, err, id)
						_ = resp.Body.Close()
						assert.Equal(t, id, resp.Header.Get("x-echo-path"))
						assert.True(t, bytes.Equal(body, got), "%s: got %d bytes, want %d of its own", id, len(got), len(body))
					}
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	assert.Eventually(t, func() bool { return fstreamsOut.Load() <= before }, 5*time.Second, 10*time.Millisecond,
		"streams out of the pool after every request ended: %d more than before", fstreamsOut.Load()-before)
}

// TestH2FastResetStreamsReturnToThePool: streams that end every other way
// (client reset mid-body, a malformed request, a local reply, refused
// over the stream limit) go back to the pool too.
func TestH2FastResetStreamsReturnToThePool(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	_, pa := fastProxy(t, up)
	before := fstreamsOut.Load()
	_, fr := rawH2(t, pa)
	id := uint32(1)
	for range 20 {
		require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: postHeaders(t, "/body"), EndHeaders: true}))
		require.NoError(t, fr.WriteData(id, false, []byte("partial")))
		require.NoError(t, fr.WriteRSTStream(id, http2.ErrCodeCancel))
		id += 2
		// malformed: a connection-specific field
		require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
			BlockFragment: headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "x", "connection", "close")}))
		id += 2
	}
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
		BlockFragment: headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/ok", ":authority", "x")}))
	status, _ := h2StreamOutcome(t, fr, id)
	assert.Equal(t, "200", status, "the connection still serves")
	assert.Eventually(t, func() bool { return fstreamsOut.Load() <= before }, 5*time.Second, 10*time.Millisecond,
		"streams out of the pool: %d more than before", fstreamsOut.Load()-before)
}
