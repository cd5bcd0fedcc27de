package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/meshbench/meshbench/harness/graph"
)

// GraphStats implements platform.GraphStats: it asks every service's app
// (directly, not through its sidecar) for its counters.
func (t *topology) GraphStats(ctx context.Context) (map[string]graph.Stats, error) {
	out := map[string]graph.Stats{}
	for name, addr := range t.graphApps {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/stats", nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("service %s: stats: %w", name, err)
		}
		var st graph.Stats
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("service %s: stats: %w", name, err)
		}
		out[name] = st
	}
	return out, nil
}
