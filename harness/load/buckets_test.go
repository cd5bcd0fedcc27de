package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuckets: calls land in the bucket of their start, failures by cause,
// an empty bucket between busy ones is kept, percentiles are per bucket.
func TestBuckets(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int, lat time.Duration, ok bool, details string) call {
		return call{start: t0.Add(time.Duration(ms) * time.Millisecond), latency: lat, ok: ok, details: details}
	}
	threads := [][]call{
		{at(10, time.Millisecond, true, ""), at(120, 3*time.Millisecond, false, "503")},
		{at(50, 2*time.Millisecond, false, "-1"), at(310, 5*time.Millisecond, true, "")},
	}
	got := buckets(threads, t0, 100*time.Millisecond)
	require.Len(t, got, 4)
	assert.Equal(t, int64(2), got[0].Requests)
	assert.Equal(t, map[string]int64{"socket": 1}, got[0].ErrorsByCause)
	assert.InDelta(t, 2.0, got[0].P99Ms, 1e-9)
	assert.Equal(t, map[string]int64{"503": 1}, got[1].ErrorsByCause)
	assert.Equal(t, int64(0), got[2].Requests, "empty bucket kept")
	assert.InDelta(t, 0.3, got[3].StartS, 1e-9)
	assert.InDelta(t, 5.0, got[3].P50Ms, 1e-9)
}

func TestCause(t *testing.T) {
	for in, want := range map[string]string{"503": "503", "-1": "socket", "": "error", "EOF\nmore": "EOF"} {
		assert.Equal(t, want, cause(in), in)
	}
}
