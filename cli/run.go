package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/outdir"
	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/run"
	"github.com/meshbench/meshbench/harness/scenario"
	"github.com/meshbench/meshbench/harness/summary"
)

type runFlags struct {
	file      string
	out       string
	lanes     []string
	seed      int64
	profile   string
	platform  string
	binDir    string
	proxyArgs []string
	// variantProxyArgs are VARIANT=ARG pairs (--variant-proxy-arg).
	variantProxyArgs []string
	labels           []string
	noReport         bool
	kubeconfig       string
	keep             bool
}

func newRunCmd(e *env) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run -f SCENARIO.yaml",
		Short: "Run a scenario and write one result file per run",
		Long: `Run a scenario and write one result file per run, then print a summary and render the report.

A run that fails (a component exits early, a lane cannot start) is written as a
result with valid: false and its cause, and the other runs go on. A case a lane
cannot do (nginx with protocol h2) is never run: it is recorded as unavailable,
with the reason.

Exit codes: 0 every run made; 3 usage error (the scenario, --lanes and
--platform are checked before anything is created or started); 4 some runs
failed (one line per failed lane); 5 a resilience scenario's criterion did
not hold in some run (every run made; one line per run); 130 interrupted
(results so far are kept).`,
		Example: `  # the default job (what make bench runs)
  meshbench run -f scenarios/synthetic/quick.yaml

  # only the no-mesh baseline and the mesh with a client-side sidecar only
  meshbench run -f scenarios/synthetic/quick.yaml --lanes none,mesh/clientonly -o out/quick

  # Istio's published latency sweep, durations scaled down
  meshbench run -f scenarios/synthetic/istio-latency.yaml --profile short`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScenario(cmd.Context(), e, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "scenario file (required)")
	fl.StringVarP(&f.out, "out", "o", "", "output directory (default results/<scenario>-<time>)")
	fl.StringSliceVar(&f.lanes, "lanes", nil, "lanes to run, overriding the scenario's: "+strings.Join(results.LaneLabels(), ", "))
	fl.Int64Var(&f.seed, "seed", 0, "seed of the interleaved run order (default: the scenario's)")
	fl.StringVar(&f.profile, "profile", "", "named profile of the scenario that rescales durations (e.g. short)")
	fl.StringVar(&f.platform, "platform", "local", "platform: "+strings.Join(platformNames(), ", "))
	fl.StringVar(&f.binDir, "bin-dir", "", "directory holding meshproxy and meshcontrol (default: next to meshbench)")
	fl.StringArrayVar(&f.proxyArgs, "proxy-arg", nil, "extra argument for every meshproxy (repeatable), e.g. --proxy-arg=--inject-spin=5us")
	fl.StringArrayVar(&f.variantProxyArgs, "variant-proxy-arg", nil, "VARIANT=ARG: extra argument for every meshproxy in the runs of one telemetry variant (repeatable), e.g. --variant-proxy-arg=metrics=--inject-spin=50us (checks the telemetry table's statistics)")
	fl.StringArrayVar(&f.labels, "label", nil, "key=value label copied into every result (repeatable)")
	fl.BoolVar(&f.noReport, "no-report", false, "do not render the HTML/PNG/Markdown report")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of an existing cluster (platform kube)")
	fl.BoolVar(&f.keep, "keep", false, "keep the cluster after the run (platform kind)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// exitRunsFailed is run's exit code when some runs failed: every result,
// the failed ones included (valid: false, with the cause), was written.
const exitRunsFailed = 4

func runScenario(ctx context.Context, e *env, f *runFlags) error {
	// Everything the user typed is checked before anything is created or
	// started (no output directory, no cluster): a typo costs nothing.
	s, err := scenario.Load(f.file)
	if err != nil {
		return err
	}
	if err := s.ApplyProfile(f.profile); err != nil {
		return err
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return err
	}
	variantArgs, err := parseVariantArgs(f.variantProxyArgs, s)
	if err != nil {
		return err
	}
	if f.out == "" {
		f.out = filepath.Join("results", s.Name+"-"+time.Now().UTC().Format("20060102-150405"))
	}
	if h, ok := kindHandlers[s.Kind]; ok {
		return h(ctx, e, f, s)
	}
	lanes, err := plan.Lanes(s, f.lanes)
	if err != nil {
		return fmt.Errorf("%s: %w", s.File, err)
	}
	plat, err := openPlatform(ctx, e, f, lanes)
	if err != nil {
		return err
	}
	// Close with a fresh context: after Ctrl-C the run's context is done,
	// but every process must still be stopped.
	defer plat.Close(context.WithoutCancel(ctx))

	res, runErr := run.Execute(ctx, run.Options{
		Scenario: s, Platform: plat, OutDir: f.out, Lanes: f.lanes, Seed: f.seed,
		ProxyArgs: f.proxyArgs, VariantProxyArgs: variantArgs, Labels: labels, Env: envinfo.Collect("."), Log: e.log, Progress: e.streams.Err,
	})
	if len(res) > 0 {
		fmt.Fprintf(e.streams.Out, "\n%s: %d runs, results in %s\n\n", s.Name, len(res), f.out)
		summary.Print(e.streams.Out, res)
		if !f.noReport {
			if err := renderReport(ctx, e, res, nil, f.out, s.Name); err != nil {
				e.log.Warn("report not rendered", "err", err)
			}
		}
	}
	if errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(e.streams.Err, "interrupted: %d results kept in %s; every process stopped\n", len(res), f.out)
		return &ExitError{Code: exitInterrupted, Err: runErr}
	}
	if fe := (*run.FailedError)(nil); errors.As(runErr, &fe) {
		return &ExitError{Code: exitRunsFailed, Err: runErr}
	}
	return runErr
}

// meshBinariesPresent checks, before anything starts, that the mesh lane's
// proxy exists: a mistyped --bin-dir would otherwise fail every mesh run.
// openPlatform is what every lane-running kind does before its first run,
// in an order where a typo costs nothing: the platform and the binaries are
// resolved (and, for the lanes given, checked), then the output directory is
// made and the platform started. The caller closes it.
func openPlatform(ctx context.Context, e *env, f *runFlags, lanes []string) (platform.Platform, error) {
	mkPlatform, err := platformFactory(f.platform)
	if err != nil {
		return nil, err
	}
	bins, err := resolveBinaries(f.binDir)
	if err != nil {
		return nil, err
	}
	if err := meshBinariesPresent(lanes, bins); err != nil {
		return nil, err
	}
	lock, err := claimOut(f.out)
	if err != nil {
		return nil, err
	}
	p, err := mkPlatform(ctx, e, f, bins)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &claimedPlatform{Platform: p, lock: lock}, nil
}

// claimedPlatform holds the output directory's lock until the platform is
// closed, which every caller does last.
type claimedPlatform struct {
	platform.Platform
	lock *outdir.Lock
}

func (c *claimedPlatform) Close(ctx context.Context) error {
	err := c.Platform.Close(ctx)
	c.lock.Release()
	return err
}

// claimOut claims a command's output directory (-o) before its first run:
// made, writable, with room, and no other meshbench writing into it.
func claimOut(dir string) (*outdir.Lock, error) {
	l, err := outdir.Claim(dir)
	if err != nil {
		return nil, fmt.Errorf("-o: %w", err)
	}
	return l, nil
}

func meshBinariesPresent(lanes []string, bins platform.Binaries) error {
	for _, l := range lanes {
		if lane, _ := results.SplitLaneLabel(l); lane != results.LaneMesh {
			continue
		}
		if _, err := os.Stat(bins.Meshproxy); err != nil {
			return fmt.Errorf("--bin-dir: lane %s needs meshproxy: %w (make build puts it in bin/)", l, err)
		}
		return nil
	}
	return nil
}

// kindHandlers run scenario kinds that are not a load matrix over lanes
// (controlplane, micro); each registers itself here from its own file.
var kindHandlers = map[string]func(context.Context, *env, *runFlags, *scenario.Scenario) error{
	scenario.KindControlPlane: runControlPlane,
	scenario.KindMicro:        runMicro,
	scenario.KindResilience:   runResilience,
}

// runMicro explains where micro scenarios run: they compare two builds'
// Go benchmarks, which is the gate's job.
func runMicro(_ context.Context, _ *env, _ *runFlags, s *scenario.Scenario) error {
	return fmt.Errorf("%s: kind micro compares the Go benchmarks of two builds: run it with `meshbench gate -f %s --base REV --candidate REV`", s.File, s.File)
}

func parseLabels(kv []string) (map[string]string, error) {
	if len(kv) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--label %q: want key=value", s)
		}
		m[k] = v
	}
	return m, nil
}
