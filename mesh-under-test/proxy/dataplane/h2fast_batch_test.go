package dataplane

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// upstreamFlushes sums the flushes of p's lean-path upstream connections.
func upstreamFlushes(p *Proxy) int {
	n := 0
	for _, cl := range p.snap.Load().Clusters {
		pool := p.fastPool(cl)
		pool.mu.Lock()
		for _, cs := range pool.conns {
			for _, c := range cs {
				c.wmu.Lock()
				n += c.flushes
				c.wmu.Unlock()
			}
		}
		pool.mu.Unlock()
	}
	return n
}

// TestH2FastBatchesWrites pins the lean path's write coalescing: ten
// requests that arrive in one read go upstream in one write (one flush
// per batch of frames, not one per frame), and a 128 KiB body sent in 16
// KiB frames gets its flow-control credit back in quarter-window batches
// (two WINDOW_UPDATEs, not one per DATA frame).
func TestH2FastBatchesWrites(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	})
	p, pa := fastProxy(t, up)
	c, fr := rawH2(t, pa)
	get := headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "x")
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: get, EndStream: true, EndHeaders: true}))
	status, _ := h2StreamOutcome(t, fr, 1) // the upstream connection is open and settled
	require.Equal(t, "200", status)
	time.Sleep(100 * time.Millisecond)
	before := upstreamFlushes(p)

	var batch bytes.Buffer
	bf := http2.NewFramer(&batch, nil)
	for id := uint32(3); id <= 21; id += 2 {
		require.NoError(t, bf.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: get, EndStream: true, EndHeaders: true}))
	}
	_, err := c.Write(batch.Bytes())
	require.NoError(t, err)
	statuses := map[uint32]string{}
	for ended := 0; ended < 10; {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if s := f.PseudoValue("status"); s != "" {
				statuses[f.StreamID] = s
			}
		case *http2.RSTStreamFrame:
			require.Failf(t, "stream reset", "stream %d: %v", f.StreamID, f.ErrCode)
		}
		if f.Header().Flags.Has(http2.FlagDataEndStream) { // END_STREAM: the same bit on HEADERS
			ended++
		}
	}
	for id := uint32(3); id <= 21; id += 2 {
		assert.Equal(t, "200", statuses[id], "stream %d", id)
	}
	assert.LessOrEqual(t, upstreamFlushes(p)-before, 2, "ten requests read in one batch leave in one write (two if the kernel split the read)")

	post := headerBlock(t, ":method", "POST", ":scheme", "http", ":path", "/body", ":authority", "x")
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 23, BlockFragment: post, EndHeaders: true}))
	chunk := make([]byte, 16<<10)
	for i := range 8 {
		require.NoError(t, fr.WriteData(23, i == 7, chunk))
	}
	updates := 0
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		if _, ok := f.(*http2.WindowUpdateFrame); ok {
			updates++
		}
		if f.Header().StreamID == 23 && f.Header().Flags.Has(http2.FlagDataEndStream) {
			break
		}
	}
	assert.LessOrEqual(t, updates, 2, "credit for 128 KiB comes back in quarter-window batches, not per 16 KiB frame")
}
