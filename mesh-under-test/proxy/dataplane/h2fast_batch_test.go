package dataplane

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
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

// TestH2FastFlushesAnEndedStreamOnTheNextDestination pins touch's rule
// (issue 15, tcph2): a reader that moves on to another connection flushes
// the one it left if what that one holds ends a stream, so a response read
// in a batch leaves before the rest of the batch is handled; a connection
// holding no stream's end, the same destination written again and the
// reader's own connection wait for the batch's end (flushTouched).
func TestH2FastFlushesAnEndedStreamOnTheNextDestination(t *testing.T) {
	conn := func() (*fconn, *http2.Framer) {
		outer, side := tcpPair(t)
		require.NoError(t, outer.SetReadDeadline(time.Now().Add(10*time.Second)))
		return newFconn(side, bufio.NewReader(side), true), http2.NewFramer(nil, outer)
	}
	rd, _ := conn()
	a, fa := conn()
	b, fb := conn()
	write := func(c *fconn, id uint32, end bool) {
		c.wmu.Lock()
		c.writeHeadersLocked(id, []hpack.HeaderField{{Name: ":status", Value: "200"}}, end)
		c.wmu.Unlock()
	}
	flushes := func(c *fconn) int {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		return c.flushes
	}
	stream := func(fr *http2.Framer) (uint32, bool) {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		return f.Header().StreamID, f.Header().Flags.Has(http2.FlagHeadersEndStream)
	}

	write(a, 1, true) // a response ends on a
	rd.touch(a)
	assert.Equal(t, 0, flushes(a), "still the same destination")
	write(b, 1, false) // the next frame of the batch is for b
	rd.touch(b)
	assert.Equal(t, 1, flushes(a), "a's ended stream leaves when the reader moves on")
	id, end := stream(fa)
	assert.Equal(t, uint32(1), id)
	assert.True(t, end)

	write(a, 3, false)
	rd.touch(a)
	assert.Equal(t, 0, flushes(b), "b holds no stream's end: it waits for the batch")
	write(a, 3, true)
	rd.touch(a)
	rd.touch(rd) // the reader's own connection (a WINDOW_UPDATE, an RST_STREAM): no move
	assert.Equal(t, 1, flushes(a), "the same destination again: written together")

	rd.flushTouched()
	assert.Equal(t, 1, flushes(b))
	assert.Equal(t, 2, flushes(a))
	id, end = stream(fb)
	assert.Equal(t, uint32(1), id)
	assert.False(t, end)
	for _, wantEnd := range []bool{false, true} {
		id, end = stream(fa)
		assert.Equal(t, uint32(3), id)
		assert.Equal(t, wantEnd, end)
	}
}
