// Package cli builds Redline's command tree. Each file holds one command
// group; commands turn flags into an options struct and call the package that
// does the work, so no logic lives here beyond wiring and printing.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, the same for every command.
const (
	ExitOK      = 0 // success; the gate passed
	ExitBlocked = 1 // the policy gate blocked
	ExitError   = 2 // usage or runtime error
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// globals are the flags every command shares, and the streams.
type globals struct {
	quiet, debug bool
	dbPath       string
	noProgress   bool

	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}

// interactive reports whether stderr is a terminal (for progress lines).
func (g *globals) interactive() bool {
	if g.quiet || g.noProgress {
		return false
	}
	f, ok := g.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Execute runs the command line args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "redline: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "redline: %v\n", err)
	return ExitError
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "redline",
		Short: "Security from design to runtime in one binary",
		Long: `Redline finds what makes a build unsafe before it ships: vulnerable
dependencies (matched on OSV data), and more analyzers as they land.

It works offline: the vulnerability database is one local file, built from
OSV records by 'redline db update' (online) or 'redline db import' (from files).

Start here:
  redline db update                      # download OSV data for the common ecosystems
  redline scan fs .                      # scan this source tree
  redline scan fs . --fail-on high       # exit 1 when a high or critical vulnerability is found

Exit codes: 0 pass, 1 blocked by policy, 2 usage or runtime error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.quiet && g.debug {
				return usageErr(errors.New("--quiet and --debug cannot be used together"))
			}
			level := slog.LevelInfo
			switch {
			case g.debug:
				level = slog.LevelDebug
			case g.quiet:
				level = slog.LevelError
			}
			g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print only errors and the report")
	pf.BoolVar(&g.debug, "debug", false, "print debug logs")
	pf.BoolVar(&g.noProgress, "no-progress", false, "never draw progress lines, even on a terminal")

	root.AddCommand(newVersionCmd(g), newDBCmd(g), newScanCmd(g), newSBOMCmd(g), newChecksCmd(g))
	root.AddCommand(newModelCmd(g))
	root.AddCommand(newStandardCmd(g))
	root.AddCommand(newKeyCmd(g))
	root.AddCommand(newSignCmd(g), newVerifyCmd(g), newAttestCmd(g), newVerifyAttestationCmd(g))
	root.AddCommand(newServerCmd(g), newFindingsCmd(g))
	root.AddCommand(newReviewCmd(g))
	return root
}

func usageErr(err error) error { return &exitError{code: ExitError, err: err} }

// blocked is returned by a command whose gate decided to block.
func blocked() error { return &exitError{code: ExitBlocked} }
