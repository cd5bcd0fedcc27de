package measure

import (
	"context"
	"time"
)

// Sample is one reading of a component.
type Sample struct {
	// CPUSeconds is cumulative CPU time (user+system) since the component started.
	CPUSeconds float64
	// SystemSeconds is the kernel (system) part of CPUSeconds, cumulative:
	// syscalls, the TCP stack, context switches. Set only when Split.
	SystemSeconds float64
	// Split: the source tells user from system time. NoSplit says why
	// not when it cannot (the kubelet), so a result names the reason
	// instead of showing a 0 that reads as a measurement.
	Split   bool
	NoSplit string
	// RSSBytes is the resident set size now: anonymous plus file-backed
	// resident pages (/proc VmRSS; a cgroup's anon + file_mapped), 0
	// where the source cannot see it (the kubelet).
	RSSBytes int64
	// WorkingSetBytes is the cgroup working set now: memory usage minus
	// inactive file pages, what the kubelet and `kubectl top` report; 0
	// where there is no cgroup memory accounting.
	WorkingSetBytes int64
	// PSSBytes is the proportional set size now, 0 if the source lacks it.
	PSSBytes int64
	// AnonBytes is the anonymous part of RSS (heap, stacks): what the
	// process allocated, independent of how much of its binary's file
	// happens to be in the page cache. 0 if the source lacks it.
	AnonBytes int64
	// PeakRSSBytes is the high-water mark of RSS if the source knows it, else 0.
	PeakRSSBytes int64
	// Source says where the numbers came from: schedstat, proc-stat, cgroup, kubelet.
	Source string
}

// EdgeSampler is a Probe whose readings can lag behind the clock (the
// kubelet serves cAdvisor's cached stats, refreshed every ~10 s). A
// Window takes its first and last samples through SampleFresh, which
// returns a reading taken no earlier than notBefore (waiting for one, or
// failing), so the CPU between them covers the measured window and not
// a stale stretch before it. Safe for use from any goroutine.
type EdgeSampler interface {
	Probe
	SampleFresh(ctx context.Context, notBefore time.Time) (Sample, error)
}

// edgeSample reads p at a window's edge: fresh if p can lag.
func edgeSample(ctx context.Context, p Probe, now time.Time) (Sample, error) {
	if e, ok := p.(EdgeSampler); ok {
		return e.SampleFresh(ctx, now)
	}
	return p.Sample(ctx)
}

// Probe reads one component. Sample must be safe to call from a goroutine
// other than the one that created the probe.
type Probe interface {
	Name() string
	Role() string
	Sample(ctx context.Context) (Sample, error)
}
