package resilience

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRetryOn(t *testing.T) {
	tests := []struct {
		in      string
		want    RetryOn
		wantErr string
	}{
		{"", 0, ""},
		{"5xx,connect-failure,reset", On5xx | OnConnectFailure | OnReset, ""},
		// Istio's default retry policy.
		{"connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
			OnConnectFailure | OnRefusedStream | OnGRPCUnavailable | OnGRPCCancelled | OnRetriableCodes, ""},
		{" deadline-exceeded , internal,resource-exhausted,", OnGRPCDeadlineExceeded | OnGRPCInternal | OnGRPCResourceExhausted, ""},
		{"5xx,unavailble", 0, `unknown retry condition "unavailble"`},
		{"UNAVAILABLE", 0, `unknown retry condition "UNAVAILABLE"`},     // Envoy's names are lower case
		{"retriable-4xx", 0, `unknown retry condition "retriable-4xx"`}, // not honoured: refused, not ignored
		{strings.Repeat("5xx,", 100000) + "x", 0, `unknown retry condition "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.in[:min(len(tc.in), 40)], func(t *testing.T) {
			got, err := ParseRetryOn(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Contains(t, err.Error(), "known: 5xx, gateway-error", "the error lists the values known")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestRetryConditionsAreDistinct: every catalog entry has its own bit and
// name, so ParseRetryOn and the docs cannot disagree.
func TestRetryConditionsAreDistinct(t *testing.T) {
	seen, names := RetryOn(0), map[string]bool{}
	for _, c := range RetryConditions {
		assert.Zero(t, seen&c.On, "%s shares a bit", c.Name)
		assert.False(t, names[c.Name], "%s twice", c.Name)
		seen |= c.On
		names[c.Name] = true
		got, err := ParseRetryOn(c.Name)
		require.NoError(t, err)
		assert.Equal(t, c.On, got)
	}
}

func TestRetryGRPCAndRefusedStream(t *testing.T) {
	p := &RetryPolicy{On: OnGRPCUnavailable | OnGRPCCancelled}
	assert.True(t, p.RetryGRPC(14))
	assert.True(t, p.RetryGRPC(1))
	assert.False(t, p.RetryGRPC(13), "internal not asked for")
	assert.False(t, p.RetryGRPC(0))
	assert.False(t, p.RetryStatus(200), "a gRPC condition does not retry on HTTP status")
	assert.False(t, p.RetryReset())
	assert.False(t, p.RetryRefusedStream())
	all := &RetryPolicy{On: OnGRPCDeadlineExceeded | OnGRPCResourceExhausted | OnGRPCInternal}
	for _, code := range []int{4, 8, 13} {
		assert.True(t, all.RetryGRPC(code), "code %d", code)
	}
	assert.True(t, (&RetryPolicy{On: OnRefusedStream}).RetryRefusedStream())
	assert.False(t, (&RetryPolicy{On: OnRefusedStream}).RetryReset(), "refused-stream retries only refused streams")
	assert.True(t, (&RetryPolicy{On: OnReset}).RetryRefusedStream(), "reset retries every reset, a refused stream too")
	var none *RetryPolicy
	assert.False(t, none.RetryGRPC(14))
	assert.False(t, none.RetryRefusedStream())
}

func TestGRPCStatusAsHTTP(t *testing.T) {
	for code, want := range map[int]int{0: 200, 1: 499, 2: 500, 4: 504, 8: 429, 12: 501, 13: 500, 14: 503, 16: 401, 99: 500} {
		assert.Equal(t, want, GRPCStatusAsHTTP(code), "grpc-status %d", code)
	}
}

func TestBodyLimit(t *testing.T) {
	assert.Equal(t, int64(DefaultBufferLimit), (*RetryPolicy)(nil).BodyLimit())
	assert.Equal(t, int64(DefaultBufferLimit), (&RetryPolicy{}).BodyLimit())
	assert.Equal(t, int64(10), (&RetryPolicy{BufferLimit: 10}).BodyLimit())
}
