package await

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Condition is one look. done: what is awaited holds. state: where things
// stand when it does not ("2 of 3 nodes Ready", a failed request's error),
// kept for the error if the wait ends unmet. A non-nil err ends the wait
// at once and is returned as it is (the awaited thing failed: a process
// exited, a pod crashed); a look that merely could not see yet (a refused
// connection) is a state, not an error.
type Condition func(ctx context.Context) (done bool, state string, err error)

// TimeoutError is a wait whose bound passed before its condition held. It
// matches context.DeadlineExceeded under errors.Is.
type TimeoutError struct {
	What  string        // what was awaited: completes "waiting for ..."
	Bound time.Duration // the bound that passed
	Last  string        // the last state the condition reported; "" if none
}

func (e *TimeoutError) Error() string {
	s := "waiting for " + e.What + ": not within " + e.Bound.String()
	if e.Last != "" {
		s += "; last seen: " + e.Last
	}
	return s
}

func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Until looks at cond now and then every interval until it holds (nil),
// returns an error (that error), bound passes (a *TimeoutError) or ctx
// ends ("waiting for WHAT: " ctx's error, and the last state seen). what
// completes "waiting for ...": "nodes of kind cluster \"mb\" to be Ready".
//
// A look cut short by the bound (its request failed because the bound's
// context expired under it) does not replace the state of the look before
// it: the error says where things stood, not that the clock ran out.
func Until(ctx context.Context, what string, interval, bound time.Duration, cond Condition) error {
	var last string
	var condErr error
	err := wait.PollUntilContextTimeout(ctx, interval, bound, true, func(lookCtx context.Context) (bool, error) {
		done, state, err := cond(lookCtx)
		if cutShort(lookCtx) && !done {
			// The bound or ctx ended this look: its findings are the
			// clock's, and the loop ends on the next select.
			if last == "" {
				last = state
			}
			return false, nil
		}
		last = state
		if err != nil {
			condErr = err
			return false, err
		}
		return done, nil
	})
	switch {
	case err == nil:
		return nil
	case condErr != nil:
		return condErr
	case ctx.Err() != nil: // the caller's context, not the bound
		if last != "" {
			return fmt.Errorf("waiting for %s: %w; last seen: %s", what, ctx.Err(), last)
		}
		return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
	case wait.Interrupted(err):
		return &TimeoutError{What: what, Bound: bound, Last: last}
	}
	return err
}

// cutShort: the look's context ended, or its deadline passed (a dialer
// fails with "i/o timeout" at the deadline, a moment before the context's
// timer marks it done).
func cutShort(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(dl)
}
