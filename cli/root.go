package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Streams are the standard streams a command writes to.
type Streams struct {
	Out io.Writer
	Err io.Writer
}

// ExitError carries a specific process exit code (the gate's 1, 2, 3).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// env is what every subcommand gets: streams and a logger.
type env struct {
	streams Streams
	log     *slog.Logger
}

// subcommands lists the constructors of every subcommand, each in its own
// file.
func subcommands() []func(*env) *cobra.Command {
	return []func(*env) *cobra.Command{
		newRunCmd, newReportCmd, newExportCmd, newCompareCmd, newGateCmd, newBaselineCmd, newHistoryCmd,
		newClusterCmd, newNodeImageCmd, newInjectCmd, newInjectorCmd,
		newLoadgenCmd, newEchoCmd, newRefproxyCmd, newGraphsvcCmd, newVersionCmd,
		newGraphCmd,
	}
}

// NewRoot builds the command tree.
func NewRoot(streams Streams) *cobra.Command {
	e := &env{streams: streams, log: slog.New(slog.NewTextHandler(streams.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	root := &cobra.Command{
		Use:   "meshbench",
		Short: "Performance benchmarking and regression harness for a service mesh",
		Long: `meshbench runs load scenarios against a service mesh (its own, and reference
proxies), measures latency and the CPU/memory cost of every component, compares
runs with real statistics to gate regressions, and renders reports.`,
		Example: `  meshbench run -f scenarios/synthetic/quick.yaml     # what make bench runs
  meshbench gate -f scenarios/synthetic/gate.yaml --base origin/main --candidate HEAD
  meshbench run --help                                # every command has examples`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("meshbench {{.Version}}\n")
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	for _, mk := range subcommands() {
		root.AddCommand(mk(e))
	}
	wireUsage(root)
	return root
}

// Run executes meshbench with args; it returns the process exit code.
// SIGINT and SIGTERM cancel the context so every command can tear down
// what it started and keep what it measured.
func Run(ctx context.Context, args []string, streams Streams) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := NewRoot(streams)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(streams.Err, "meshbench: %v\n", err)
	if isUsage(err) {
		fmt.Fprintf(streams.Err, "see '%s --help'\n", cmd.CommandPath())
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 3
}

// Main is the whole of cmd/meshbench.
func Main() {
	os.Exit(Run(context.Background(), os.Args[1:], Streams{Out: os.Stdout, Err: os.Stderr}))
}
