package gateexec

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/gate/runner"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/local"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/run"
	"github.com/meshbench/meshbench/harness/scenario"
)

// Local runs a side on the local platform through harness/run: one
// repetition of the scenario's lanes and cases per call, with that side's
// binaries and proxy arguments.
type Local struct {
	Scenario *scenario.Scenario
	OutDir   string // results go to OutDir/runs
	Env      results.Environment
	Log      *slog.Logger
	Progress io.Writer

	platforms map[string]platform.Platform
}

// Run implements runner.Executor.
func (x *Local) Run(ctx context.Context, side runner.Side, round, seq int) ([]*results.Result, error) {
	if x.platforms == nil {
		x.platforms = map[string]platform.Platform{}
	}
	p, ok := x.platforms[side.Name]
	if !ok {
		bins := platform.Binaries{
			Meshbench: filepath.Join(side.BinDir, "meshbench"),
			Meshproxy: filepath.Join(side.BinDir, "meshproxy"),
		}
		// Without meshcontrol the local platform runs the proxies on static
		// flags; with it, on xDS. Both sides of a gate get what they built.
		if _, err := os.Stat(filepath.Join(side.BinDir, "meshcontrol")); err == nil {
			bins.Meshcontrol = filepath.Join(side.BinDir, "meshcontrol")
		}
		p = local.New(bins, local.WithLogger(x.log()), local.WithWorkDir(filepath.Join(x.OutDir, "work-"+side.Name)))
		x.platforms[side.Name] = p
	}
	s := *x.Scenario
	s.Repetitions = 1
	// A different lane order each round, reproducible from the seed.
	s.Seed = x.Scenario.Seed + int64(round)*7919
	env := x.Env
	env.GitRevision, env.GitDirty = side.Rev, false
	rs, err := run.Execute(ctx, run.Options{
		Scenario: &s, Platform: p, OutDir: filepath.Join(x.OutDir, "runs"), ProxyArgs: side.ProxyArgs,
		Labels: map[string]string{"build": side.Name, "round": fmt.Sprint(round)},
		Env:    env, Log: x.log(), Progress: x.Progress, OrderOffset: seq,
	})
	return rs, err
}

// Close stops everything both sides' platforms started.
func (x *Local) Close(ctx context.Context) error {
	for _, p := range x.platforms {
		_ = p.Close(ctx)
	}
	return nil
}

func (x *Local) log() *slog.Logger {
	if x.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return x.Log
}
