package measure

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// Window samples a set of probes over a measured window: CPU at the start
// and the end, memory every Interval in between.
type Window struct {
	probes   []Probe
	interval time.Duration
	first    []Sample
	samples  [][]Sample // per probe, every sample taken so far
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	errs     []error
}

// DefaultInterval between RSS samples.
const DefaultInterval = 250 * time.Millisecond

// Start takes the first sample of every probe (an EdgeSampler's no older
// than the call) and starts memory sampling.
func Start(ctx context.Context, probes []Probe, interval time.Duration) (*Window, error) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	w := &Window{probes: probes, interval: interval, stop: make(chan struct{}), samples: make([][]Sample, len(probes))}
	now := time.Now()
	for i, p := range probes {
		s, err := edgeSample(ctx, p, now)
		if err != nil {
			return nil, fmt.Errorf("first sample: %w", err)
		}
		w.first = append(w.first, s)
		w.samples[i] = append(w.samples[i], s)
	}
	w.wg.Add(1)
	go w.loop(ctx)
	return w, nil
}

func (w *Window) loop(ctx context.Context) {
	defer w.wg.Done()
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			for i, p := range w.probes {
				s, err := p.Sample(ctx)
				w.mu.Lock()
				if err != nil {
					w.errs = append(w.errs, err)
				} else {
					w.samples[i] = append(w.samples[i], s)
				}
				w.mu.Unlock()
			}
		}
	}
}

// Finish takes the last sample and turns the window into per-component
// costs, attributing CPU to the given number of completed requests over
// the window's length in seconds.
func (w *Window) Finish(ctx context.Context, requests int64, seconds float64) ([]results.Component, error) {
	close(w.stop)
	w.wg.Wait()
	out := make([]results.Component, 0, len(w.probes))
	now := time.Now()
	for i, p := range w.probes {
		last, err := edgeSample(ctx, p, now)
		if err != nil {
			return nil, fmt.Errorf("last sample: %w", err)
		}
		all := append(w.samples[i], last)
		c := Cost(p.Name(), p.Role(), w.first[i], last, series(all, func(s Sample) int64 { return s.RSSBytes }), requests, seconds)
		c.PSSBytesSteady = medianBytes(series(all, func(s Sample) int64 { return s.PSSBytes }))
		c.RSSAnonBytesSteady = medianBytes(series(all, func(s Sample) int64 { return s.AnonBytes }))
		c.WorkingSetBytesSteady = medianBytes(series(all, func(s Sample) int64 { return s.WorkingSetBytes }))
		out = append(out, c)
	}
	return out, nil
}

// series picks one field of every sample.
func series(samples []Sample, field func(Sample) int64) []int64 {
	out := make([]int64, len(samples))
	for i, s := range samples {
		out[i] = field(s)
	}
	return out
}

// Cost computes one component's cost from its first and last samples and
// the RSS readings in between.
func Cost(name, role string, first, last Sample, rss []int64, requests int64, seconds float64) results.Component {
	c := results.Component{Name: name, Role: role, CPUSource: last.Source}
	c.CPUSeconds = last.CPUSeconds - first.CPUSeconds
	if c.CPUSeconds < 0 {
		c.CPUSeconds = 0
	}
	if requests > 0 {
		c.CPUUsPerRequest = c.CPUSeconds / float64(requests) * 1e6
	}
	c.CPUSystemUsPerRequest, c.CPUSplitAbsent = systemPerRequest(first, last, c.CPUSeconds, requests)
	if seconds > 0 && requests > 0 {
		rps := float64(requests) / seconds
		c.VCPUPer1000RPS = (c.CPUSeconds / seconds) / rps * 1000
	}
	if len(rss) > 0 {
		c.RSSBytesSteady = medianBytes(rss)
		c.RSSBytesPeak = slices.Max(rss)
		c.RSSBytesWindowPeak = c.RSSBytesPeak
	}
	if last.PeakRSSBytes > c.RSSBytesPeak {
		c.RSSBytesPeak = last.PeakRSSBytes
	}
	return c
}

// medianBytes is the median of byte counts through stats.Median, the one
// median (the mean of the two middle values for even lengths, rounded to a
// byte; 0 for none).
func medianBytes(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return int64(math.Round(stats.Median(f)))
}
