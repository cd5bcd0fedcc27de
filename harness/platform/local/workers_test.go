package local

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestWorkersSetGOMAXPROCS: a scenario's `mesh: {workers: N}` reaches a
// Go proxy as GOMAXPROCS=N (docs/proxy.md's HTTP/1.1 measurements run
// meshproxy as the lanes do, with workers 1); 0 leaves the Go default.
func TestWorkersSetGOMAXPROCS(t *testing.T) {
	for workers, want := range map[int][]string{0: nil, -1: nil, 1: {"GOMAXPROCS=1"}, 2: {"GOMAXPROCS=2"}} {
		assert.Equal(t, want, gomaxprocsEnv(workers), "workers %d", workers)
	}
}
