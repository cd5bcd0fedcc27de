package local

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/harness/platform"
)

func TestPin(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("pinning needs 2 CPUs")
	}
	tests := []struct {
		policy, role string
		wantCPUs     string // "" = not wrapped
	}{
		{"", "app", ""},
		{"none", "client-proxy", ""},
		{"split", "loadgen", "0"},
		{"split", "app", "0"},
		{"split", "client-proxy", "1-"},
		{"split", "control-plane", "1-"},
	}
	for _, tc := range tests {
		bin, args := pin(tc.policy, tc.role, "/bin/x", []string{"--a"})
		if tc.wantCPUs == "" {
			assert.Equal(t, "/bin/x", bin)
			assert.Equal(t, []string{"--a"}, args)
			continue
		}
		assert.Contains(t, bin, "taskset")
		assert.Equal(t, "-c", args[0])
		assert.Contains(t, args[1], tc.wantCPUs)
		assert.Equal(t, []string{"/bin/x", "--a"}, args[2:])
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 4}
	_, _ = b.Write([]byte("abc"))
	_, _ = b.Write([]byte("defg"))
	assert.Equal(t, "defg", b.String())
}

func TestTopologyDirCreatesTheWorkDirectory(t *testing.T) {
	work := t.TempDir() + "/not/yet/there"
	top := &topology{p: New(platformBinariesForTest(), WithWorkDir(work))}
	d, err := top.dir()
	assert.NoError(t, err)
	assert.DirExists(t, d)
	assert.NoError(t, top.Down(context.Background()))
	assert.NoDirExists(t, d, "Down removes the lane's generated files")
}

func platformBinariesForTest() platform.Binaries { return platform.Binaries{} }
