package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// invocationError is a mistake in how a command was called: an unknown
// command or flag, a missing or extra argument, a bad flag value. Run ends
// its message with "see 'meshbench X --help'"; the exit code is exitUsage.
type invocationError struct{ err error }

func (e *invocationError) Error() string { return e.err.Error() }
func (e *invocationError) Unwrap() error { return e.err }

// usageError marks a mistake in how the command was called (exit 3).
func usageError(format string, args ...any) error {
	return &ExitError{Code: exitUsage, Err: &invocationError{fmt.Errorf(format, args...)}}
}

// isUsage reports whether err is a mistake in the invocation.
func isUsage(err error) bool {
	var ie *invocationError
	return errors.As(err, &ie)
}

// wireUsage makes every mistake cobra itself finds a usage error, so it
// exits 3 with a pointer to the help instead of cobra's bare message and
// exit code of a run failure: flag errors (every command inherits the
// root's handler), argument counts, required flags and flag groups, and an
// unknown subcommand of a command group (which cobra would answer with the
// group's help and exit 0).
func wireUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = unknownSubcommand
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		} else if c.Args != nil {
			check := c.Args
			c.Args = func(c *cobra.Command, args []string) error {
				if err := check(c, args); err != nil {
					return usageError("%v (usage: %s)", err, c.UseLine())
				}
				return nil
			}
		}
		if c.Runnable() {
			pre := c.PreRunE
			c.PreRunE = func(c *cobra.Command, args []string) error {
				// cobra checks these after PreRunE, with plain errors.
				if err := c.ValidateRequiredFlags(); err != nil {
					return usageError("%v", err)
				}
				if err := c.ValidateFlagGroups(); err != nil {
					return usageError("%v", err)
				}
				if pre != nil {
					return pre(c, args)
				}
				return nil
			}
		}
	}
	walk(root)
}

// unknownSubcommand is the Args check of a command group.
func unknownSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's own default, set lazily
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += " (did you mean " + strings.Join(s, " or ") + "?)"
	}
	return usageError("%s", msg)
}
