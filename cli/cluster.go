package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/platform/kind"
)

func newClusterCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create, inspect and delete the kind cluster the kind platform runs on",
		Example: `  # one node, the offline node image built by make node-image
  meshbench cluster create
  # three nodes: load client, server and mesh each on their own node
  meshbench cluster create --config three-nodes
  # on a host with a registry, the stock image
  meshbench cluster create --image kindest/node:v1.34.0
  meshbench cluster status
  meshbench cluster delete`,
	}
	cmd.AddCommand(newClusterCreateCmd(e), newClusterDeleteCmd(e), newClusterStatusCmd(e), newClusterLoadCmd(e))
	return cmd
}

func newClusterCreateCmd(e *env) *cobra.Command {
	var o cluster.CreateOptions
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a kind cluster (or reuse one with --reuse), install its CNI and wait until it is Ready",
		Example: `  meshbench cluster create
  meshbench cluster create --config three-nodes --name bench3 --wait 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			created, err := cluster.NewManager(e.log).Create(cmd.Context(), o)
			if err != nil {
				return err
			}
			verb := "reused"
			if created {
				verb = "created"
			}
			fmt.Fprintf(e.streams.Out, "kind cluster %q %s and Ready in %s\n", o.Name, verb, time.Since(start).Round(100*time.Millisecond))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Name, "name", cluster.DefaultName, "cluster name")
	fl.StringVar(&o.NodeImage, "image", cluster.DefaultNodeImage, "node image (make node-image builds the default offline)")
	fl.StringVar(&o.Config, "config", "one-node", "kind config: one-node, three-nodes, or a file path")
	fl.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file kind merges the cluster into (default $KUBECONFIG or ~/.kube/config)")
	fl.BoolVar(&o.Reuse, "reuse", false, "reuse a cluster of that name if it exists")
	fl.DurationVar(&o.ReadyTimeout, "wait", cluster.DefaultReadyTimeout, "how long to wait for every node to be Ready")
	return cmd
}

func newClusterDeleteCmd(e *env) *cobra.Command {
	var name, kubeconfig string
	cmd := &cobra.Command{
		Use:     "delete",
		Short:   "Delete a kind cluster (no error if it does not exist)",
		Example: `  meshbench cluster delete --name bench3`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := cluster.NewManager(e.log).Delete(name, kubeconfig); err != nil {
				return err
			}
			fmt.Fprintf(e.streams.Out, "kind cluster %q deleted\n", name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", cluster.DefaultName, "cluster name")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file to remove the cluster from")
	return cmd
}

func newClusterStatusCmd(e *env) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show the cluster's nodes (exit 1 when it does not exist)",
		Example: `  meshbench cluster status --name meshbench`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := cluster.NewManager(e.log).Status(cmd.Context(), name)
			if errors.Is(err, cluster.ErrNotFound) {
				return &ExitError{Code: 1, Err: fmt.Errorf("kind cluster %q does not exist", name)}
			}
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tROLE\tREADY\tPOD CIDR\tKUBELET")
			for _, n := range st {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", n.Name, n.Role, n.Ready, n.PodCIDR, n.Kubelet)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&name, "name", cluster.DefaultName, "cluster name")
	return cmd
}

func newClusterLoadCmd(e *env) *cobra.Command {
	var name, binDir string
	cmd := &cobra.Command{
		Use:   "load-images",
		Short: "Build the FROM-scratch images of meshbench, meshproxy and meshcontrol and load them into the cluster's nodes",
		Example: `  meshbench cluster load-images --bin-dir bin
  meshbench run -f scenarios/synthetic/quick.yaml --platform kube   # then run on it`,
		Long: `Builds pinned images (tag = binary's SHA-256) from static binaries and loads them with
kind's nodeutils, so that --platform kube can run on this cluster. --platform kind does
this by itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bins, err := resolveBinaries(binDir)
			if err != nil {
				return err
			}
			im, err := kind.BuildImages(cmd.Context(), bins, e.log)
			if err != nil {
				return err
			}
			if err := cluster.NewManager(e.log).LoadImages(cmd.Context(), name, im.Refs()...); err != nil {
				return err
			}
			for _, r := range im.Refs() {
				fmt.Fprintln(e.streams.Out, r)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", cluster.DefaultName, "cluster name")
	cmd.Flags().StringVar(&binDir, "bin-dir", "", "directory holding meshproxy and meshcontrol (default: next to meshbench)")
	return cmd
}
