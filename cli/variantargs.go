package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/scenario"
)

// parseVariantArgs reads --variant-proxy-arg VARIANT=ARG pairs: VARIANT
// must be one of the scenario's telemetry variants, so a typo fails before
// anything starts instead of injecting nothing.
func parseVariantArgs(pairs []string, s *scenario.Scenario) (map[string][]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string][]string{}
	for _, p := range pairs {
		v, arg, ok := strings.Cut(p, "=")
		if !ok || v == "" || arg == "" {
			return nil, fmt.Errorf("--variant-proxy-arg %q: want VARIANT=ARG, e.g. metrics=--inject-spin=50us", p)
		}
		if !slices.Contains(s.Matrix.Telemetry, v) {
			return nil, fmt.Errorf("--variant-proxy-arg %q: %s's matrix.telemetry has no variant %q (has: %s)", p, s.File, v, strings.Join(s.Matrix.Telemetry, ", "))
		}
		out[v] = append(out[v], arg)
	}
	return out, nil
}
