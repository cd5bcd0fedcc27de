package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RunSplit runs one phase on every client at once, each with its share of
// the connections and the rate (SplitClients), and merges their reports
// exactly (Merge). One client runs the phase as it is. The platforms call
// it with their load client processes (local) or pods (kind, kube).
func RunSplit(ctx context.Context, o Options, clients []*Client) (*Report, error) {
	if len(clients) == 1 {
		return clients[0].Run(ctx, o)
	}
	parts, err := SplitClients(o, len(clients))
	if err != nil {
		return nil, err
	}
	reps := make([]*Report, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = clients[i].Run(ctx, parts[i])
			if errs[i] != nil {
				errs[i] = fmt.Errorf("load client %d: %w", i, errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return Merge(reps)
}
