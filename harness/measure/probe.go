package measure

import "context"

// Sample is one reading of a component.
type Sample struct {
	// CPUSeconds is cumulative CPU time (user+system) since the component started.
	CPUSeconds float64
	// RSSBytes is the resident set size (or cgroup working set) now.
	RSSBytes int64
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

// Probe reads one component. Sample must be safe to call from a goroutine
// other than the one that created the probe.
type Probe interface {
	Name() string
	Role() string
	Sample(ctx context.Context) (Sample, error)
}
