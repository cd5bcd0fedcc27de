package local

import (
	"context"

	"github.com/meshbench/meshbench/harness/platform"
)

// startNone is the baseline: load client -> app, no proxy.
func startNone(ctx context.Context, t *topology, _ platform.Spec) error {
	app, err := t.startApp(ctx)
	if err != nil {
		return err
	}
	t.target = urlFor(app)
	return nil
}
