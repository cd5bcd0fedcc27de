package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/meshbench/meshbench/harness/controlplane"
	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// runControlPlane runs a controlplane scenario: each named control plane
// (meshcontrol, istiod) against simulated xDS clients, one result per size
// and control plane.
func runControlPlane(ctx context.Context, e *env, f *runFlags, s *scenario.Scenario) error {
	spec, err := controlplane.DecodeSpec(s.ControlPlane)
	if err != nil {
		return fmt.Errorf("%s: controlplane: %w", s.File, err)
	}
	bins, err := resolveBinaries(f.binDir)
	if err != nil {
		return err
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return err
	}
	// Absolute: meshcontrol is handed paths under it.
	workDir, err := filepath.Abs(f.out)
	if err != nil {
		return fmt.Errorf("-o %s: %w", f.out, err)
	}
	lock, err := claimOut(workDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	seed := s.Seed
	if f.seed != 0 {
		seed = f.seed
	}
	var all []*results.Result
	for rep := 1; rep <= s.Repetitions; rep++ {
		res, err := controlplane.Run(ctx, spec, controlplane.Options{
			// `make istiod` builds pilot-discovery beside meshcontrol.
			Meshcontrol: bins.Meshcontrol, Istiod: filepath.Join(filepath.Dir(bins.Meshcontrol), "pilot-discovery"), WorkDir: workDir, Scenario: s.Name, Seed: seed,
			Repetition: rep, Order: len(all), Environment: envinfo.Collect("."), Labels: labels, Logger: e.log,
		})
		for _, r := range res {
			if _, werr := results.Write(f.out, r); werr != nil {
				return werr
			}
		}
		all = append(all, res...)
		if err != nil {
			return err
		}
	}
	printControlPlane(e, all)
	if !f.noReport {
		if err := renderReport(ctx, e, all, nil, f.out, s.Name); err != nil {
			e.log.Warn("report not rendered", "err", err)
		}
	}
	return nil
}

func printControlPlane(e *env, rs []*results.Result) {
	tw := tabwriter.NewWriter(e.streams.Out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "control plane\tservices\tendpoints\tproxies\tchanges\tconv p50 ms\tp90 ms\tp99 ms\tcontrol CPU s\tRSS MB\tpushes\tMB pushed\tnacks\t")
	for _, r := range rs {
		cp := r.ControlPlane
		if cp == nil {
			continue
		}
		name := cp.Name
		if name == "" {
			name = "meshcontrol"
		}
		if cp.Unavailable != "" {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t\n", name, cp.Services, cp.EndpointsPerSvc, cp.Proxies, cp.Changes, cp.Unavailable)
			continue
		}
		var cpu, rss float64
		if c := r.Component(results.RoleControlPlane); c != nil {
			cpu, rss = c.CPUSeconds, float64(c.RSSBytesSteady)/(1<<20)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.2f\t%.1f\t%d\t%.2f\t%d\t\n", name, cp.Services, cp.EndpointsPerSvc, cp.Proxies, cp.Changes,
			cp.ConvergenceMs.P50, cp.ConvergenceMs.P90, cp.ConvergenceMs.P99, cpu, rss, cp.Pushes, float64(cp.BytesPushed)/(1<<20), cp.Nacks)
	}
	tw.Flush()
}
