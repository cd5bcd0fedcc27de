package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/measure"
)

const summaryJSON = `{"node":{"nodeName":"n"},"pods":[
 {"podRef":{"name":"app","namespace":"ns"},"containers":[
   {"name":"app","cpu":{"time":"2026-12-01T07:00:00Z","usageCoreNanoSeconds":1500000000},"memory":{"workingSetBytes":4096,"rssBytes":2048}},
   {"name":"meshproxy","cpu":{"usageCoreNanoSeconds":250000000},"memory":{"workingSetBytes":8192}}]},
 {"podRef":{"name":"app","namespace":"other"},"containers":[{"name":"app","cpu":{"usageCoreNanoSeconds":9}}]}]}`

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name, ns, pod, container string
		wantCPU                  float64
		wantWorkingSet, wantAnon int64
		wantAt                   time.Time
		wantErr                  bool
	}{
		{"app", "ns", "app", "app", 1.5, 4096, 2048, time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC), false},
		{"sidecar", "ns", "app", "meshproxy", 0.25, 8192, 0, time.Time{}, false},
		{"other namespace", "other", "app", "app", 9e-9, 0, 0, time.Time{}, false},
		{"missing container", "ns", "app", "nope", 0, 0, 0, time.Time{}, true},
		{"missing pod", "ns", "loadgen", "loadgen", 0, 0, 0, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, at, err := parseSummary([]byte(summaryJSON), tt.ns, tt.pod, tt.container)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tt.wantCPU, s.CPUSeconds, 1e-12)
			assert.Equal(t, tt.wantWorkingSet, s.WorkingSetBytes, "working set, named as such")
			assert.Equal(t, tt.wantAnon, s.AnonBytes, "cAdvisor's rssBytes is anonymous memory")
			assert.Zero(t, s.RSSBytes, "the kubelet has no resident-set figure")
			assert.True(t, tt.wantAt.Equal(at), "stats time %v", at)
			assert.Equal(t, "kubelet", s.Source)
			assert.False(t, s.Split, "usageCoreNanoSeconds is user and system together")
			assert.Equal(t, measure.NoSplitKubelet, s.NoSplit, "absent with the reason")
			c := measure.Cost("x", "app", s, s, nil, 10, 1)
			assert.Nil(t, c.CPUSystemUsPerRequest, "never 0, never a guess")
			assert.Equal(t, measure.NoSplitKubelet, c.CPUSplitAbsent)
		})
	}
}

// fakeKubelet is the stats seam: a cAdvisor cache refreshed every period
// of fake time. The container's true CPU counter grows by rate per second
// of fake time; the kubelet serves the value of the last refresh with its
// time. Each fetch advances fake time by step (the probe's polling).
type fakeKubelet struct {
	mu           sync.Mutex
	now          time.Time
	period, step time.Duration
	rate         float64 // CPU seconds per second
	fetches      int
	fail         error
}

func (f *fakeKubelet) fetch(context.Context) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches++
	if f.fail != nil {
		return nil, f.fail
	}
	f.now = f.now.Add(f.step)
	refreshed := f.now.Truncate(f.period)
	cpuNs := uint64(f.rate * float64(refreshed.Unix()-epoch.Unix()) * 1e9)
	return fmt.Appendf(nil, `{"pods":[{"podRef":{"name":"app","namespace":"ns"},"containers":[
	  {"name":"app","cpu":{"time":%q,"usageCoreNanoSeconds":%d},"memory":{"time":%q,"workingSetBytes":1000,"rssBytes":600}}]}]}`,
		refreshed.Format(time.RFC3339Nano), cpuNs, refreshed.Format(time.RFC3339Nano)), nil
}

func (f *fakeKubelet) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

var epoch = time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)

func fakeProbe(f *fakeKubelet, wait time.Duration) *kubeletProbe {
	return &kubeletProbe{fetch: f.fetch, node: "n", ns: "ns", pod: "app", container: "app", name: "app", role: "app",
		poll: time.Millisecond, freshWait: wait}
}

// At a window's edges the probe waits for stats taken at or after the
// edge, so the CPU between the edges is the window's: with a 10 s cache
// and an edge 7 s after the last refresh, the latest stats are 7 s stale
// and would credit the window with CPU from before it.
func TestKubeletEdgesWaitForFreshStats(t *testing.T) {
	f := &fakeKubelet{now: epoch.Add(7 * time.Second), period: 10 * time.Second, step: 500 * time.Millisecond, rate: 0.25}
	p := fakeProbe(f, time.Minute)
	var _ measure.EdgeSampler = p

	stale, err := p.Sample(context.Background())
	require.NoError(t, err)
	assert.InDelta(t, 0, stale.CPUSeconds, 1e-9, "the plain reading is the refresh at :00")

	edge := epoch.Add(8 * time.Second)
	s, err := p.SampleFresh(context.Background(), edge)
	require.NoError(t, err)
	assert.InDelta(t, 2.5, s.CPUSeconds, 1e-9, "the refresh at :10, the first at or after the edge")
	assert.False(t, f.clock().Before(epoch.Add(10*time.Second)), "it waited for the refresh")
	assert.Equal(t, int64(1000), s.WorkingSetBytes)
	assert.Equal(t, int64(600), s.AnonBytes)
}

func TestKubeletEdgeFailsWhenStatsStayStale(t *testing.T) {
	f := &fakeKubelet{now: epoch, period: time.Hour, step: time.Millisecond, rate: 1}
	p := fakeProbe(f, 20*time.Millisecond)
	_, err := p.SampleFresh(context.Background(), epoch.Add(time.Minute))
	require.Error(t, err)
	assert.ErrorContains(t, err, "still before the window edge")

	f = &fakeKubelet{now: epoch, period: time.Second, step: time.Millisecond, fail: errors.New("node proxy refused")}
	_, err = fakeProbe(f, 5*time.Millisecond).SampleFresh(context.Background(), epoch)
	assert.ErrorContains(t, err, "node proxy refused")
}
