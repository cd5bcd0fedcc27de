package lb

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hosts(n int) []*Host {
	hs := make([]*Host, n)
	for i := range hs {
		hs[i] = NewHost("h")
	}
	return hs
}

func TestRoundRobinSpreadsEvenlyAndSkipsUnavailable(t *testing.T) {
	hs := hosts(3)
	p := NewPicker(RoundRobin, hs)
	counts := make([]int, 3)
	for range 300 {
		counts[p.Pick(0)]++
	}
	assert.Equal(t, []int{100, 100, 100}, counts)

	hs[1].SetHealthy(false)
	hs[2].Eject(10)
	for range 30 {
		assert.Equal(t, 0, p.Pick(5))
	}
	// ejection expired at 10
	seen := map[int]bool{}
	for range 30 {
		seen[p.Pick(11)] = true
	}
	assert.Equal(t, map[int]bool{0: true, 2: true}, seen)
}

func TestLeastRequestPrefersIdleHost(t *testing.T) {
	hs := hosts(2)
	p := NewPicker(LeastRequest, hs)
	for range 5 {
		hs[0].Begin()
	}
	for range 50 {
		require.Equal(t, 1, p.Pick(0))
	}
}

func TestPanicRoutingWhenNothingAvailable(t *testing.T) {
	hs := hosts(2)
	for _, h := range hs {
		h.SetHealthy(false)
	}
	for _, pol := range []Policy{RoundRobin, LeastRequest, Random} {
		i := NewPicker(pol, hs).Pick(0)
		assert.True(t, i == 0 || i == 1, pol.String())
	}
	assert.Equal(t, -1, NewPicker(RoundRobin, nil).Pick(0))
}

func BenchmarkPick(b *testing.B) {
	for _, pol := range []Policy{RoundRobin, LeastRequest} {
		b.Run(pol.String(), func(b *testing.B) {
			p := NewPicker(pol, hosts(8))
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Pick(1)
			}
		})
	}
}

// TestDrainingHostGetsNoNewRequestsUntilEveryHostDrains: under every
// policy a DRAINING host is skipped while another host is available; when
// every host drains, picks spread over all of them (Envoy's panic routing,
// which includes hosts EDS marked DRAINING), never -1.
func TestDrainingHostGetsNoNewRequestsUntilEveryHostDrains(t *testing.T) {
	for _, pol := range []Policy{RoundRobin, LeastRequest, Random} {
		t.Run(pol.String(), func(t *testing.T) {
			hs := hosts(3)
			p := NewPicker(pol, hs)
			hs[0].SetDraining(true)
			assert.True(t, hs[0].Draining())
			for range 200 {
				assert.NotEqual(t, 0, p.Pick(0), "a draining host was picked while others are available")
			}
			hs[1].SetDraining(true)
			hs[2].SetDraining(true)
			seen := map[int]bool{}
			for range 300 {
				seen[p.Pick(0)] = true
			}
			assert.Len(t, seen, 3, "every host drains: panic routing over all of them")
			hs[0].SetDraining(false)
			for range 100 {
				assert.Equal(t, 0, p.Pick(0), "the host back from draining is the only available one")
			}
		})
	}
}
