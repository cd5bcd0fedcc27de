package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/graph/isotope"
)

func newGraphCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "graph",
		Short:   "Service-graph topologies (Istio isotope files)",
		Example: `  meshbench graph check topology.yaml`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Parse an isotope topology; print its services and call edges (exit 0 when valid)",
		Long: `Parse an isotope topology file as isotope's converter reads it and print its
services and call edges, with the calls each edge gets per request to the entry
service. Keys isotope ignores are reported as warnings on stderr. An invalid file
is reported as FILE:LINE: field: problem, with exit code 3.`,
		Example: `  # an app scenario's graph: {isotope: topology.yaml} reads the same file
  meshbench graph check topology.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			g, err := isotope.Load(args[0])
			if err != nil {
				return err
			}
			for _, w := range g.Warnings {
				fmt.Fprintf(e.streams.Err, "warning: %s\n", w)
			}
			return printGraph(e.streams.Out, args[0], g)
		},
	})
	return cmd
}

// printGraph writes the services and the expected calls per edge.
func printGraph(w io.Writer, file string, g *graph.Graph) error {
	exp := g.Expect()
	edges := 0
	for _, s := range g.Services {
		edges += len(s.Callees())
	}
	for _, sp := range g.Splits {
		edges += len(sp.Versions)
	}
	splits := ""
	if len(g.Splits) > 0 {
		splits = fmt.Sprintf(", %d weighted splits", len(g.Splits))
	}
	fmt.Fprintf(w, "%s: %d services%s, %d call edges, entry %s, %d hops per request when every call is made\n\n",
		file, len(g.Services), splits, edges, g.Entry, g.Hops())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTYPE\tREPLICAS\tNAMESPACE\tCLUSTER\tRESPONSE BYTES\tERROR RATE\tREQUESTS PER ENTRY REQUEST")
	for _, s := range g.Services {
		name := s.Name
		if name == g.Entry {
			name += " (entry)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%g\t%.4g\n", name, or(s.Type, graph.TypeHTTP), max(s.Replicas, 1),
			or(s.Namespace, "-"), or(s.Cluster, "-"), s.ResponseBytes, s.ErrorRate, exp.Received[s.Name])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EDGE\tCALLS PER ENTRY REQUEST")
	for _, s := range g.Services {
		for _, c := range s.Callees() {
			fmt.Fprintf(tw, "%s -> %s\t%.4g\n", s.Name, c, exp.Calls[graph.Edge{From: s.Name, To: c}])
		}
	}
	for _, sp := range g.Splits {
		for _, v := range sp.Versions {
			fmt.Fprintf(tw, "%s -> %s (split, weight %d)\t%.4g\n", sp.Name, v.Service, v.Weight, exp.Calls[graph.Edge{From: sp.Name, To: v.Service}])
		}
	}
	return tw.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
