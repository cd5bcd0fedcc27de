package dataplane

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplayBodyResendsFromTheStart: each view reads the whole body from
// its start, the source read once; an older view gets errAttemptOver.
func TestReplayBodyResendsFromTheStart(t *testing.T) {
	src := &countingReader{r: strings.NewReader("hello, retried world")}
	b := newReplayBody(src, 1<<10, func() { t.Fatal("not over the limit") })
	v1, ok := b.view()
	require.True(t, ok)
	head := make([]byte, 5)
	_, err := io.ReadFull(v1, head)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(head))
	b.stop()
	_, err = v1.Read(head)
	assert.ErrorIs(t, err, errAttemptOver, "a given-up attempt reads no more")
	v2, ok := b.view()
	require.True(t, ok)
	all, err := io.ReadAll(v2)
	require.NoError(t, err)
	assert.Equal(t, "hello, retried world", string(all))
	v3, _ := b.view()
	all, err = io.ReadAll(v3)
	require.NoError(t, err)
	assert.Equal(t, "hello, retried world", string(all))
	assert.Equal(t, int64(len(all)), src.n, "the downstream body is read once")
	assert.True(t, b.replayable())
}

// TestReplayBodyOverTheLimit: once the body outgrows the limit, onOver
// runs once, the current view still reads every byte in order, what it
// has read is no longer kept, and no new view can start.
func TestReplayBodyOverTheLimit(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	overs := 0
	b := newReplayBody(&chunkReader{b: body, n: 7}, 100, func() { overs++ })
	v, ok := b.view()
	require.True(t, ok)
	got, err := io.ReadAll(v)
	require.NoError(t, err)
	assert.Equal(t, body, got)
	assert.Equal(t, 1, overs)
	assert.False(t, b.replayable())
	_, ok = b.view()
	assert.False(t, ok)
	assert.LessOrEqual(t, len(b.buf), 7, "nothing kept beyond one read")
}

// TestReplayBodyKeepsWhatAGivenUpReadBrings: the transport's writer of a
// given-up attempt may be blocked in the downstream read when the retry
// starts; what that read brings goes to the retry, in order, once.
func TestReplayBodyKeepsWhatAGivenUpReadBrings(t *testing.T) {
	pr, pw := io.Pipe()
	b := newReplayBody(pr, 1<<10, nil)
	v1, _ := b.view()
	var wg sync.WaitGroup
	var v1Err error
	wg.Go(func() {
		p := make([]byte, 64)
		_, v1Err = v1.Read(p) // blocks in the pipe
	})
	v2, _ := b.view() // the retry starts while v1 is in src.Read
	go func() {
		_, _ = pw.Write([]byte("abc"))
		_, _ = pw.Write([]byte("def"))
		_ = pw.Close()
	}()
	all, err := io.ReadAll(v2)
	require.NoError(t, err)
	wg.Wait()
	assert.ErrorIs(t, v1Err, errAttemptOver)
	assert.Equal(t, "abcdef", string(all))
}

func TestReplayBodyPassesTheSourceError(t *testing.T) {
	boom := errors.New("client reset")
	b := newReplayBody(io.MultiReader(strings.NewReader("ab"), errReader{boom}), 10, nil)
	v, _ := b.view()
	_, err := io.ReadAll(v)
	assert.ErrorIs(t, err, boom)
	v2, _ := b.view()
	p := make([]byte, 8)
	n, _ := v2.Read(p)
	assert.Equal(t, "ab", string(p[:n]))
	_, err = v2.Read(p)
	assert.ErrorIs(t, err, boom)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// chunkReader returns at most n bytes per read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
