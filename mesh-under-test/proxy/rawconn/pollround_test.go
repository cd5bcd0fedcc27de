package rawconn

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spinUntil burns about d of CPU without blocking (an accept loop whose
// accept(2) never blocks).
func spinUntil(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// TestPollRoundLetsReadySocketsRun: on one P, a goroutine that never
// blocks but steps aside between 100 us steps. Stepping aside with
// runtime.Gosched leaves a goroutine whose socket became readable waiting
// until sysmon polls the network (up to 10 ms: up to 100 steps); a
// PollRound gets it running within a step or two. Counted in steps, not
// time, so a loaded machine does not change the verdict. Five bytes, five
// wake-ups each way.
func TestPollRoundLetsReadySocketsRun(t *testing.T) {
	for _, round := range []bool{true, false} {
		name := map[bool]string{true: "poll round", false: "gosched"}[round]
		t.Run(name, func(t *testing.T) {
			waited := stepsToWake(t, round, 5)
			t.Logf("loop steps between a byte's arrival and its reader running: %v", waited)
			if round {
				for _, w := range waited {
					assert.LessOrEqual(t, w, int64(3))
				}
				return
			}
			var sum int64
			for _, w := range waited {
				sum += w
			}
			assert.Greater(t, sum, int64(10), "without poll rounds the reader waits for sysmon (the test can tell the difference)")
		})
	}
}

// stepsToWake runs the stepping loop (with or without a PollRound) on one
// P and counts, for each of n bytes written to a parked reader's socket,
// the loop steps taken before the reader ran.
func stepsToWake(t *testing.T, withRound bool, n int) []int64 {
	c, s := pair(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var round *PollRound
	if withRound {
		var err error
		round, err = NewPollRound()
		require.NoError(t, err)
		defer round.Close()
	}
	var steps atomic.Int64
	var stop atomic.Bool
	looped := make(chan error, 1)
	go func() {
		for !stop.Load() {
			spinUntil(100 * time.Microsecond)
			steps.Add(1)
			if round == nil {
				runtime.Gosched()
			} else if err := round.Wait(); err != nil {
				looped <- err
				return
			}
		}
		looped <- nil
	}()
	ran := make(chan int64)
	go func() {
		buf := make([]byte, 1)
		for range n {
			if _, err := c.Read(buf); err != nil { // parked in the poller until a write below
				return
			}
			ran <- steps.Load()
		}
	}()
	var waited []int64
	for range n {
		time.Sleep(20 * time.Millisecond) // the reader parks, the loop runs
		before := steps.Load()
		_, err := s.Write([]byte("x"))
		require.NoError(t, err)
		waited = append(waited, <-ran-before)
	}
	stop.Store(true)
	require.NoError(t, <-looped)
	return waited
}

func TestPollRoundWaitDoesNotAllocateAndCloses(t *testing.T) {
	round, err := NewPollRound()
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(100, func() { require.NoError(t, round.Wait()) }))
	require.NoError(t, round.Close())
	assert.Error(t, round.Wait())
}
