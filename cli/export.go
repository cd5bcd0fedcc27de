package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/export"
	"github.com/meshbench/meshbench/harness/gate/baseline"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports"
)

type exportFlags struct {
	format, out string
}

func newExportCmd(e *env) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export --format fortio|smp|benchfmt -o DIR RESULTS...",
		Short: "Write results in the formats peers speak: fortio JSON, Service Mesh Performance, Go benchmark format",
		Long: `export reads result files (or directories of them, as report does) and writes
them to DIR in another tool's format:

  fortio    one fortio HTTP result JSON per run (RunType, ActualQPS,
            DurationHistogram with percentiles 50 75 90 99 99.9 and buckets,
            RetCodes, StartTime...), the JSON fortio's report UI reads
  smp       per run, a Service Mesh Performance PerformanceTestResult
            (NAME.smp-result.json, latencies in ms) and the ServiceMeshConfig
            (NAME.smp-mesh.json: sidecar and control-plane CPU in millicores,
            memory in MiB) and EnvironmentConfig (NAME.smp-env.json) it
            points to by id
  benchfmt  one file per RESULTS argument, DIR/NAME.txt, one benchmark line
            per run: benchstat DIR/base.txt DIR/candidate.txt

With several RESULTS arguments, fortio and smp files go to one subdirectory
per argument. See docs/export.md.`,
		Example: `  meshbench export --format fortio -o out/fortio results/quick-20261124
  meshbench export --format benchfmt -o out/bench base=results/a candidate=results/b
  benchstat out/bench/base.txt out/bench/candidate.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(export.Formats, f.format) {
				return usageError("--format %q: want one of %s", f.format, strings.Join(export.Formats, ", "))
			}
			sets, err := exportSets(args)
			if err != nil {
				return err
			}
			files, err := export.Write(f.format, f.out, sets)
			if err != nil {
				return err
			}
			e.log.Info("exported", "format", f.format, "dir", f.out, "files", len(files))
			fmt.Fprintln(e.streams.Out, f.out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", "output format: "+strings.Join(export.Formats, " | ")+" (required)")
	fl.StringVarP(&f.out, "out", "o", "export", "output `DIR`")
	_ = cmd.MarkFlagRequired("format")
	return cmd
}

// exportSets reads each RESULTS argument as one set. An argument may be
// written NAME=PATH to name its set; otherwise the set is named after the
// path's base name.
func exportSets(args []string) ([]export.Set, error) {
	var sets []export.Set
	used := map[string]bool{}
	for _, a := range args {
		name, path, named := strings.Cut(a, "=")
		if !named {
			path = a
			name = strings.TrimSuffix(filepath.Base(filepath.Clean(a)), ".json")
		}
		rs, files, err := reports.ReadResults(path)
		if err != nil {
			return nil, fmt.Errorf("read results %s: %w", path, err)
		}
		if len(rs) == 0 {
			return nil, usageError("%s: no meshbench results found", path)
		}
		for base, i := name, 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		used[name] = true
		sets = append(sets, export.Set{Name: name, Results: rs, Files: files})
	}
	return sets, nil
}

// resolveResults is what compare reads BASE and CANDIDATE with: a path
// (file or directory) yields meshbench results and fortio JSON results
// (fortio's own, or Nighthawk's fortio-format output); anything else is
// the name of a saved baseline.
func resolveResults(store *baseline.Store, ref string) ([]*results.Result, error) {
	if _, err := os.Stat(ref); err == nil {
		return export.ReadAll(ref)
	}
	return store.Resolve(ref)
}
