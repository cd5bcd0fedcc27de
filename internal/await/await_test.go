package await

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUntilHolds(t *testing.T) {
	looks := 0
	err := Until(context.Background(), "the third look", time.Millisecond, 10*time.Second, func(context.Context) (bool, string, error) {
		looks++
		return looks == 3, fmt.Sprintf("look %d", looks), nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, looks, "the first look is at once, then one per interval until it holds")
}

func TestUntilTimesOut(t *testing.T) {
	looks := 0
	err := Until(context.Background(), "nodes to be Ready", 10*time.Millisecond, 100*time.Millisecond, func(context.Context) (bool, string, error) {
		looks++
		return false, "node-a NotReady", nil
	})
	require.Error(t, err)
	assert.Equal(t, "waiting for nodes to be Ready: not within 100ms; last seen: node-a NotReady", err.Error())
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 100*time.Millisecond, te.Bound)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, looks, 5, "about one look per interval within the bound")
	assert.LessOrEqual(t, looks, 12)

	err = Until(context.Background(), "nothing said", time.Millisecond, 5*time.Millisecond, func(context.Context) (bool, string, error) {
		return false, "", nil
	})
	assert.EqualError(t, err, "waiting for nothing said: not within 5ms")
}

// A look that the bound cuts short (its request fails with the bound's
// context) does not hide where things stood at the look before.
func TestUntilKeepsTheStateOfTheLastWholeLook(t *testing.T) {
	looks := 0
	err := Until(context.Background(), "the server", 5*time.Millisecond, 50*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		looks++
		if looks == 1 {
			return false, "503 Service Unavailable", nil
		}
		<-ctx.Done() // a request hung until the bound
		return false, "Get: " + ctx.Err().Error(), ctx.Err()
	})
	assert.EqualError(t, err, "waiting for the server: not within 50ms; last seen: 503 Service Unavailable")
}

func TestUntilCancelledEndsAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	err := Until(ctx, "a process to be ready", time.Hour, time.Hour, func(context.Context) (bool, string, error) {
		return false, "connection refused", nil
	})
	took := time.Since(start)
	require.Error(t, err)
	assert.Equal(t, "waiting for a process to be ready: context canceled; last seen: connection refused", err.Error())
	assert.ErrorIs(t, err, context.Canceled)
	var te *TimeoutError
	assert.False(t, errors.As(err, &te), "a cancellation is not the bound")
	assert.Less(t, took, 5*time.Second, "the cancel ends the wait, not the hour-long interval or bound")

	// A look in flight when ctx is cancelled ends with it too.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	err = Until(ctx, "a hung look", time.Millisecond, time.Hour, func(ctx context.Context) (bool, string, error) {
		<-ctx.Done()
		return false, "", ctx.Err()
	})
	assert.EqualError(t, err, "waiting for a hung look: context canceled")
}

func TestUntilConditionErrorEndsTheWait(t *testing.T) {
	exited := errors.New("app exited early (exit status 2)")
	looks := 0
	err := Until(context.Background(), "app to be ready", time.Millisecond, time.Hour, func(context.Context) (bool, string, error) {
		looks++
		if looks < 3 {
			return false, "connection refused", nil
		}
		return false, "", exited
	})
	assert.Same(t, exited, err, "the condition's error, as it is")
	assert.Equal(t, 3, looks)
}
