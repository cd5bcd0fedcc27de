package measure

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spin burns d of CPU time on the calling goroutine's thread: CPU time,
// not wall time, so a busy machine delays it but does not shorten it.
func spin(d time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const rusageThread = 1 // RUSAGE_THREAD
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(rusageThread, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	end := cpu() + d
	for x := 0; cpu() < end; x++ {
	}
}

func TestProcProbeSeesOwnCPUAndMemory(t *testing.T) {
	p := NewProcProbe("self", "app", os.Getpid())
	ctx := context.Background()
	a, err := p.Sample(ctx)
	require.NoError(t, err)
	spin(200 * time.Millisecond)
	b, err := p.Sample(ctx)
	require.NoError(t, err)
	used := b.CPUSeconds - a.CPUSeconds
	assert.InDelta(t, 0.2, used, 0.12, "CPU used by a 200ms spin")
	assert.Equal(t, "rusage", b.Source, "the harness's own process")
	assert.Greater(t, b.RSSBytes, int64(1<<20))
	assert.GreaterOrEqual(t, b.PeakRSSBytes, b.RSSBytes)
}

// Steady RSS is the median of the samples: for an even count the mean of
// the middle two (stats.Median, the one median), not either of them.
func TestCostSteadyIsTheMedian(t *testing.T) {
	tests := []struct {
		name string
		rss  []int64
		want int64
	}{
		{"odd", []int64{30, 10, 20}, 20},
		{"even", []int64{40, 10, 30, 20}, 25},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Cost("p", "app", Sample{}, Sample{}, tt.rss, 1, 1)
			assert.Equal(t, tt.want, c.RSSBytesSteady)
		})
	}
}

func TestProcProbeMissingProcess(t *testing.T) {
	_, err := NewProcProbe("gone", "app", 1<<30).Sample(context.Background())
	assert.ErrorContains(t, err, "gone")
}

func TestCost(t *testing.T) {
	first := Sample{CPUSeconds: 10}
	last := Sample{CPUSeconds: 11, PeakRSSBytes: 50 << 20, Source: "schedstat"}
	c := Cost("p", "client-proxy", first, last, []int64{30 << 20, 10 << 20, 20 << 20}, 10000, 10)
	assert.InDelta(t, 1.0, c.CPUSeconds, 1e-9)
	assert.InDelta(t, 100, c.CPUUsPerRequest, 1e-9) // 1 s over 10000 requests
	assert.InDelta(t, 0.1, c.VCPUPer1000RPS, 1e-9)  // 0.1 vCPU at 1000 rps
	assert.Equal(t, int64(20<<20), c.RSSBytesSteady)
	assert.Equal(t, int64(50<<20), c.RSSBytesPeak, "peak: the lifetime high-water mark (VmHWM)")
	assert.Equal(t, int64(30<<20), c.RSSBytesWindowPeak, "window peak: the highest sample of the window")

	c = Cost("p", "client-proxy", first, Sample{CPUSeconds: 11}, []int64{30 << 20, 10 << 20}, 1, 1)
	assert.Equal(t, int64(30<<20), c.RSSBytesPeak, "without a high-water mark the peak is the window's")
	assert.Equal(t, c.RSSBytesPeak, c.RSSBytesWindowPeak)
}

func TestWindow(t *testing.T) {
	p := NewProcProbe("self", "app", os.Getpid())
	w, err := Start(context.Background(), []Probe{p}, 10*time.Millisecond)
	require.NoError(t, err)
	spin(100 * time.Millisecond)
	comps, err := w.Finish(context.Background(), 100, 0.1)
	require.NoError(t, err)
	require.Len(t, comps, 1)
	assert.Greater(t, comps[0].CPUSeconds, 0.05)
	assert.Greater(t, comps[0].CPUUsPerRequest, 500.0)
	assert.Greater(t, comps[0].RSSBytesSteady, int64(0))
	assert.Greater(t, comps[0].PSSBytesSteady, int64(0))
	assert.LessOrEqual(t, comps[0].PSSBytesSteady, comps[0].RSSBytesPeak, "PSS never exceeds RSS")
	assert.LessOrEqual(t, comps[0].RSSBytesSteady, comps[0].RSSBytesWindowPeak, "the median sample never exceeds the highest")
	assert.LessOrEqual(t, comps[0].RSSBytesWindowPeak, comps[0].RSSBytesPeak, "the window's highest sample never exceeds VmHWM")
	assert.Greater(t, comps[0].RSSAnonBytesSteady, int64(0))
	assert.Less(t, comps[0].RSSAnonBytesSteady, comps[0].RSSBytesPeak, "anonymous RSS is a part of RSS (the binary's text is file-backed)")
}

func TestReadStatusMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	require.NoError(t, os.WriteFile(path, []byte("Name:\tmeshproxy\nVmHWM:\t   30000 kB\nVmRSS:\t   29000 kB\nRssAnon:\t    9000 kB\nRssFile:\t   20000 kB\n"), 0o644))
	tests := []struct {
		keys []string
		want []int64
	}{
		{[]string{"VmRSS", "VmHWM", "RssAnon"}, []int64{29000 << 10, 30000 << 10, 9000 << 10}},
		{[]string{"Pss"}, []int64{0}}, // absent: 0
	}
	for _, tt := range tests {
		got, err := readStatusMemory(path, tt.keys...)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, tt.keys)
	}
	_, err := readStatusMemory(filepath.Join(t.TempDir(), "missing"), "VmRSS")
	require.Error(t, err)
}
