package local

import "github.com/meshbench/meshbench/harness/platform"

// GraphHops implements platform.GraphHops.
func (t *topology) GraphHops() *platform.HopMetrics { return t.hops }
