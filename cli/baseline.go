package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/gate/baseline"
	"github.com/meshbench/meshbench/harness/summary"
)

const defaultBaselineStore = "baselines/stored"

func newBaselineCmd(e *env) *cobra.Command {
	var store string
	cmd := &cobra.Command{
		Use:   "baseline save|list|show",
		Short: "Save, list and show named, immutable sets of results",
		Example: `  meshbench baseline save main-2026-11-24 results/quick-20261124-2010
  meshbench baseline list
  meshbench compare main-2026-11-24 results/quick-20261125-0930   # a candidate against it`,
	}
	cmd.PersistentFlags().StringVar(&store, "store", defaultBaselineStore, "baseline store directory")
	st := func() *baseline.Store { return &baseline.Store{Root: store} }

	var force bool
	var note string
	save := &cobra.Command{
		Use:     "save NAME DIR",
		Short:   "Save the results under DIR as baseline NAME (immutable: --force to replace)",
		Example: `  meshbench baseline save main-2026-11-24 results/quick-20261124-2010 --note "before the router rewrite"`,
		Args:    cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			rev := envinfo.Collect(".").GitRevision
			m, err := st().Save(args[0], args[1], baseline.SaveOptions{Force: force, Note: note, GitRevision: rev})
			if err != nil {
				return err
			}
			verb := "saved"
			if m.Replaced {
				verb = "replaced"
			}
			fmt.Fprintf(e.streams.Out, "%s baseline %s: %d runs from %s, revision %v, machine %v\n", verb, m.Name, m.Runs, m.Source, m.GitRevisions, m.MachineIDs)
			return nil
		},
	}
	save.Flags().BoolVar(&force, "force", false, "replace an existing baseline of the same name")
	save.Flags().StringVar(&note, "note", "", "free text kept with the baseline")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List saved baselines",
		Example: `  meshbench baseline list --store baselines/stored`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ms, err := st().List()
			if err != nil {
				return err
			}
			if len(ms) == 0 {
				fmt.Fprintf(e.streams.Out, "no baselines in %s\n", store)
				return nil
			}
			tw := tabwriter.NewWriter(e.streams.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCREATED\tRUNS\tREVISION\tSCENARIOS\tCPU\tNOTE")
			for _, m := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%v\t%s\t%s\n", m.Name, m.Created.Format("2006-01-02 15:04"), m.Runs,
					shortRev(firstOr(m.GitRevisions, "-")), m.Scenarios, m.Environment.CPUModel, m.Note)
			}
			return tw.Flush()
		},
	}

	var asJSON bool
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a baseline's manifest and a summary of its runs",
		Example: `  meshbench baseline show main-2026-11-24
  meshbench baseline show main-2026-11-24 --json | jq .environment`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m, err := st().Manifest(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(m)
			}
			fmt.Fprintf(e.streams.Out, "baseline %s\n  created   %s\n  source    %s\n  revisions %v (dirty: %v)\n  scenarios %v\n  machine   %s, %d cores, kernel %s, %s (id %v)\n  runs      %d\n",
				m.Name, m.Created.Format("2006-01-02 15:04:05 MST"), m.Source, m.GitRevisions, m.GitDirty, m.Scenarios,
				m.Environment.CPUModel, m.Environment.Cores, m.Environment.Kernel, m.Environment.GoVersion, m.MachineIDs, m.Runs)
			if m.Note != "" {
				fmt.Fprintf(e.streams.Out, "  note      %s\n", m.Note)
			}
			rs, err := st().Load(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(e.streams.Out)
			summary.Print(e.streams.Out, rs)
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	cmd.AddCommand(save, list, show)
	return cmd
}

func firstOr(v []string, def string) string {
	if len(v) == 0 {
		return def
	}
	return v[0]
}
