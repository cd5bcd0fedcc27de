package callgrind

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTotal(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		err      bool
	}{
		{"summary", "version: 1\ncmd: x\nevents: Ir\nfn=main\n3 5\nsummary: 6036728\ntotals: 6036728\n", 6036728, false},
		{"totals only", "events: Ir\ntotals: 42\n", 42, false},
		{"missing", "events: Ir\nfn=main\n", 0, true},
		{"garbage", "summary: lots\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTotal(strings.NewReader(tt.in))
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A real count of a real program: /bin/true executes some instructions,
// and the same program counted twice gives nearly the same number.
func TestCountIsRepeatable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs valgrind")
	}
	if _, err := Available(); err != nil {
		t.Skip(err)
	}
	a, err := Count(context.Background(), t.TempDir(), 0, "/bin/true")
	require.NoError(t, err)
	b, err := Count(context.Background(), t.TempDir(), 0, "/bin/true")
	require.NoError(t, err)
	assert.Greater(t, a, int64(1000))
	assert.InEpsilon(t, a, b, 0.01)
}
