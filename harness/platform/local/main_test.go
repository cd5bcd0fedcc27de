package local

import (
	"testing"

	"github.com/meshbench/meshbench/internal/testbin"
)

// TestMain removes the binaries testbin.Dir built for the tests that run
// the real processes (restart_test.go).
func TestMain(m *testing.M) { testbin.Main(m) }
