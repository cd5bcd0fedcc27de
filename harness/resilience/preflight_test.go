package resilience

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/load"
)

// refusing is a platform's injectors that cannot pause (the seam fake: any
// other method it is asked for panics, so a load or a fault that should
// not start fails the test).
type refusing struct {
	Faultable
	asked []string
}

func (r *refusing) Supports(kind, target string) error {
	r.asked = append(r.asked, kind+" "+target)
	if kind == KindPause {
		return errors.Join(ErrUnsupported, errors.New("unsupported on test: no freezing here"))
	}
	return nil
}

func (r *refusing) Addr(name string) (string, error) { return "", errors.New("no listener " + name) }

// TestPreflightRefusesBeforeTheLoad: an unsupported fault, or a flood whose
// listener cannot be reached, ends Run with the platform's reason before
// any load or measurement; abort and rotate are asked without a target.
func TestPreflightRefusesBeforeTheLoad(t *testing.T) {
	tests := []struct {
		name   string
		faults []Fault
		want   string
		asked  []string
	}{
		{"pause unsupported", []Fault{{Kind: KindAbort, Target: "route", Percent: 1, Status: 503}, {Kind: KindPause, Target: "app", At: Duration{time.Second}, Until: Duration{2 * time.Second}}},
			"fault pause app: unsupported", []string{"abort ", "pause app"}},
		{"flood without a listener", []Fault{{Kind: KindFlood, Target: "server-proxy", Connections: 10}},
			"fault flood server-proxy: no listener server-proxy", []string{"flood server-proxy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := &refusing{}
			_, err := Run(context.Background(), topo, Spec{Faults: tt.faults}, load.Options{Duration: time.Second})
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.want)
			assert.Equal(t, tt.asked, topo.asked)
		})
	}
	err := Preflight(&refusing{}, Spec{Faults: []Fault{{Kind: KindPause, Target: "app"}}})
	assert.ErrorIs(t, err, ErrUnsupported)
}
