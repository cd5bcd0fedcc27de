package run

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

func TestFailureDescribesTheComponent(t *testing.T) {
	ce := &platform.ComponentError{Component: "client-proxy", ExitStatus: "exit status 1",
		LogTail: "line one\nnginx: [emerg] open() failed\n", Err: errors.New("exited early (exit status 1)")}
	tests := []struct {
		name string
		err  error
		want results.Failure
	}{
		{"component", fmt.Errorf("lane nginx: %w", ce), results.Failure{Phase: PhaseUp, Component: "client-proxy",
			ExitStatus: "exit status 1", LogTail: ce.LogTail, Error: "lane nginx: client-proxy: exited early (exit status 1)"}},
		{"plain", errors.New("measured window:\nload client unreachable"), results.Failure{Phase: PhaseUp,
			Error: "measured window: load client unreachable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, *failure(PhaseUp, tc.err))
		})
	}
}

func TestFailedErrorIsOneLinePerLane(t *testing.T) {
	fail := func(lane, mode, msg string) *results.Result {
		return &results.Result{Lane: lane, Mode: mode, Failure: &results.Failure{Phase: PhaseUp, Error: msg}}
	}
	e := &FailedError{
		Failed: []*results.Result{fail("nginx", "", "boom"), fail("mesh", "both", "bang"), fail("nginx", "", "boom again")},
		made:   map[string]int{"nginx": 3, "mesh/both": 2},
	}
	assert.Equal(t, "runs failed in 2 lane(s) (each recorded with valid: false and its cause):\n"+
		"  mesh/both: 1 of 2 runs failed; first, in phase up: bang\n"+
		"  nginx: 2 of 3 runs failed; first, in phase up: boom", e.Error())
	assert.Equal(t, []string{"mesh/both", "nginx"}, e.FailedLanes())
}
