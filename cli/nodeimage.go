package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/cluster"
)

// nodeImageScript is the offline node-image builder, relative to the repository root.
const nodeImageScript = "kind-config/node-image/build.sh"

func newNodeImageCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node-image",
		Short: "Build the kind node image offline (no registry): Debian rootfs + Kubernetes from the Go module proxy",
		Example: `  # as root: what make node-image runs
  meshbench node-image build`,
	}
	var image string
	var force bool
	build := &cobra.Command{
		Use:   "build",
		Short: "Run " + nodeImageScript + " (needs root, Docker, the Go toolchain; about 15 min cold, seconds cached)",
		Long: `Builds the node image with ` + nodeImageScript + ` from the repository this
command runs in (or above). Build outputs are cached in /var/cache/meshbench/node-image;
see the script's header for its knobs (K8S_VERSION, CACHE, MIRROR, RUNC_WRAPPER).`,
		Example: `  meshbench node-image build
  meshbench node-image build --force --image meshbench/kind-node:dev`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			script, err := findUp(nodeImageScript)
			if err != nil {
				return err
			}
			c := exec.CommandContext(cmd.Context(), "bash", script)
			c.Stdout, c.Stderr = e.streams.Out, e.streams.Err
			c.Env = append(os.Environ(), "NODE_IMAGE="+image)
			if force {
				c.Env = append(c.Env, "FORCE=1")
			}
			if err := c.Run(); err != nil {
				return fmt.Errorf("%s: %w", script, err)
			}
			return nil
		},
	}
	build.Flags().StringVar(&image, "image", cluster.DefaultNodeImage, "tag of the node image")
	build.Flags().BoolVar(&force, "force", false, "rebuild even if the image exists")
	cmd.AddCommand(build)
	return cmd
}

// findUp looks for rel in the working directory and its parents.
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found here or in any parent directory: run from the meshbench repository", rel)
		}
		dir = parent
	}
}
