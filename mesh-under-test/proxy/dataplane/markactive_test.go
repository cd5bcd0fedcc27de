package dataplane

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMarkActiveRestartsTheIdleClock: bytes moving restart the idle clock
// whatever the sweeper saw before (markActive skips its store only when
// nothing is to restart), so a relay that keeps moving bytes is never cut
// and one gone quiet is cut a whole timeout after its last byte.
func TestMarkActiveRestartsTheIdleClock(t *testing.T) {
	const limit, sec = int64(10e9), int64(1e9)
	for _, tc := range []struct {
		name  string
		setup func(*connTimers) // the state before the bytes move
	}{
		{"idle, not yet stamped", func(c *connTimers) { c.setState(connIdle) }},
		{"idle, stamped by the sweeper", func(c *connTimers) { c.setState(connIdle); c.check(1 * sec) }},
		{"busy (an upgrade's request)", func(c *connTimers) { c.setState(connBusy) }},
		{"reading a head", func(c *connTimers) { c.setState(connHead); c.check(1 * sec) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c connTimers
			c.idleTO.Store(limit)
			c.headTO.Store(limit)
			tc.setup(&c)
			c.markActive() // at 50 s: bytes moved
			assert.Equal(t, connIdle<<stateShift, c.state.Load(), "idle, clock not started")
			assert.False(t, c.check(50*sec), "first sight after the bytes stamps the clock")
			assert.False(t, c.check(59*sec), "within the timeout of the stamp")
			assert.True(t, c.check(60*sec), "a whole timeout after the stamp")
		})
	}
}
