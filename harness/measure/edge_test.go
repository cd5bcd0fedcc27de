package measure

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// laggingProbe is a fake at the Probe seam whose plain readings are stale
// (a counter frozen at its value of long ago) and whose fresh readings
// are current, as the kubelet's cache behaves.
type laggingProbe struct {
	mu           sync.Mutex
	cpu          float64 // the true counter now
	stale        float64 // what Sample returns
	freshCalls   []time.Time
	plainSamples int
}

func (p *laggingProbe) Name() string { return "lagging" }
func (p *laggingProbe) Role() string { return "app" }
func (p *laggingProbe) Sample(context.Context) (Sample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plainSamples++
	return Sample{CPUSeconds: p.stale, RSSBytes: 1, WorkingSetBytes: 7 << 20, Source: "fake"}, nil
}
func (p *laggingProbe) SampleFresh(_ context.Context, notBefore time.Time) (Sample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.freshCalls = append(p.freshCalls, notBefore)
	return Sample{CPUSeconds: p.cpu, WorkingSetBytes: 9 << 20, Source: "fake"}, nil
}

// A window's edges are read fresh: the CPU between them is the true
// counter's, not the stale cache's, and the memory in between is sampled
// as usual (working set named on its own).
func TestWindowEdgesAreFresh(t *testing.T) {
	p := &laggingProbe{cpu: 10, stale: 3}
	t0 := time.Now()
	w, err := Start(context.Background(), []Probe{p}, 10*time.Millisecond)
	require.NoError(t, err)
	time.Sleep(60 * time.Millisecond)
	p.mu.Lock()
	p.cpu = 12.5 // 2.5 s of CPU inside the window
	p.mu.Unlock()
	t1 := time.Now()
	comps, err := w.Finish(context.Background(), 1000, 1)
	require.NoError(t, err)

	assert.InDelta(t, 2.5, comps[0].CPUSeconds, 1e-9, "edges read fresh, not the stale 3 s")
	require.Len(t, p.freshCalls, 2, "first and last samples")
	assert.False(t, p.freshCalls[0].Before(t0), "the first edge asks for a reading from the window's start on")
	assert.False(t, p.freshCalls[1].Before(t1), "the last edge asks for a reading from the window's end on")
	assert.Positive(t, p.plainSamples, "memory sampled in between")
	assert.Equal(t, int64(7<<20), comps[0].WorkingSetBytesSteady, "median over the samples")
}
