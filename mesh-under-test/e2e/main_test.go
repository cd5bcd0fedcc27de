package e2e

import (
	"testing"

	"github.com/meshbench/meshbench/internal/testbin"
)

// binDir holds meshproxy and meshcontrol (and meshbench), built once for this
// test binary before the first test (never inside a test's deadline).
var binDir string

func TestMain(m *testing.M) { testbin.MainBuilt(m, &binDir) }
