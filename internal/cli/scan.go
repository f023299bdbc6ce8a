package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/match"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/scan"
	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/walk"
)

// scanFlags are the flags every scan subcommand shares.
type scanFlags struct {
	format     string
	output     string
	failOn     policy.Threshold
	ignoreFile string
	platform   string
}

func (f *scanFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", report.FormatTable, "report format: "+strings.Join(report.Formats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of standard output")
	fl.Var(&f.failOn, "fail-on", "exit 1 when a finding is at or above this severity: critical, high, medium, low, or none")
	fl.StringVar(&f.ignoreFile, "ignore-file", "", "ignore file (default: "+policy.DefaultIgnoreFile+" in the scanned directory, if present)")
}

func newScanCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan a target for vulnerable dependencies and gate the build",
		Long: `Scan a target, match what it contains against the local vulnerability
database, apply the gate and print a report.

The gate: --fail-on SEVERITY makes the command exit 1 when a finding at or
above that severity remains after the ignore file. The ignore file
(` + policy.DefaultIgnoreFile + `, YAML) suppresses findings by id or alias, optionally
only for one package or path, and every entry needs a reason, an owner and an
expiry date; an expired entry stops suppressing and says so.

Exit codes: 0 pass, 1 blocked by policy, 2 usage or runtime error.`,
	}
	addDBFlag(cmd, g)
	cmd.AddCommand(newScanFSCmd(g), newScanImageCmd(g))
	return cmd
}

func newScanFSCmd(g *globals) *cobra.Command {
	var (
		sf                  scanFlags
		skipDirs, skipFiles []string
	)
	cmd := &cobra.Command{
		Use:   "fs PATH",
		Short: "Scan a directory: source tree, git checkout or unpacked filesystem",
		Long: `Scan a directory for dependencies and match them against the vulnerability
database. One walk reads every lockfile, manifest and binary it knows:

  Go        binaries (build info: modules with replaces, and the toolchain as stdlib), go.mod
  npm       package-lock.json / npm-shrinkwrap.json (v1-v3), yarn.lock (classic, berry),
            pnpm-lock.yaml, node_modules/**/package.json
  PyPI      requirements*.txt (pinned lines), poetry.lock, Pipfile.lock, uv.lock,
            *.dist-info/METADATA, *.egg-info/PKG-INFO
  crates.io Cargo.lock
  Packagist composer.lock
  RubyGems  Gemfile.lock

Symbolic links are not followed and .git directories are skipped. A file that
cannot be parsed is a warning naming it; the scan goes on.`,
		Example: `  redline scan fs .
  redline scan fs . --fail-on high
  redline scan fs . --format sarif -o redline.sarif
  redline scan fs . --skip-dirs 'testdata' --skip-dirs '**/fixtures' --skip-files '*.min.js'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := dir.Open(args[0], dir.Options{SkipDirs: skipDirs, SkipFiles: skipFiles})
			if err != nil {
				return usageErr(err)
			}
			return g.runScan(cmd.Context(), a, args[0], &sf)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&sf.platform, "platform", "", "os/arch the Go modules of a go.mod will be built for, to drop vulnerabilities of other platforms (default: report every platform's, as govulncheck does for source); Go binaries always use their own")
	cmd.Flags().StringSliceVar(&skipDirs, "skip-dirs", nil, "glob of directories to skip (repeatable; '**' matches any depth; no slash: any directory of that name)")
	cmd.Flags().StringSliceVar(&skipFiles, "skip-files", nil, "glob of files to skip (repeatable; same rules as --skip-dirs)")
	return cmd
}

// runScan runs the scan pipeline on a, writes the report and turns the gate's
// decision into the exit code. root is the directory holding the default
// ignore file.
func (g *globals) runScan(ctx context.Context, a artifact.Artifact, root string, sf *scanFlags) error {
	if !validFormat(sf.format) {
		return usageErr(fmt.Errorf("unknown format %q (want %s)", sf.format, strings.Join(report.Formats(), ", ")))
	}
	mopts, err := parsePlatform(sf.platform)
	if err != nil {
		return usageErr(err)
	}
	ignores, err := loadIgnores(sf.ignoreFile, root)
	if err != nil {
		return usageErr(err)
	}
	db, err := vulndb.Open(g.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if st, err := db.Status(); err == nil {
		g.warnIfStale(st)
	}

	p := newProgress(g)
	bi := readBuildInfo()
	start := time.Now()
	r, err := scan.Run(ctx, a, scan.Options{
		DB:     db,
		Gate:   policy.Gate{FailOn: sf.failOn, Ignores: ignores},
		Match:  mopts,
		Tool:   report.Tool{Name: "redline", Version: bi.Version, Commit: bi.Commit},
		Logger: g.log,
		Progress: func(s walk.Stats) {
			p.Update("scanning %s: %d files read", a.Target().Name, s.Analyzed)
		},
	})
	p.Done()
	if err != nil {
		return err
	}
	g.log.Debug("scan done", "took", time.Since(start))

	if err := writeReport(sf.output, sf.format, r, g.stdout); err != nil {
		return err
	}
	if r.Gate != nil && r.Gate.Blocked {
		return blocked()
	}
	return nil
}

func validFormat(f string) bool {
	for _, known := range report.Formats() {
		if f == known {
			return true
		}
	}
	return false
}

func parsePlatform(s string) (match.Options, error) {
	if s == "" {
		return match.Options{}, nil
	}
	goos, goarch, ok := strings.Cut(s, "/")
	if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
		return match.Options{}, fmt.Errorf("--platform %q: want os/arch, such as linux/amd64", s)
	}
	return match.Options{GOOS: goos, GOARCH: goarch}, nil
}

// loadIgnores reads the ignore file. A file named with --ignore-file must
// exist; the default one in the scanned directory is optional.
func loadIgnores(explicit, root string) ([]policy.Ignore, error) {
	name := explicit
	if name == "" {
		name = filepath.Join(root, policy.DefaultIgnoreFile)
	}
	ignores, err := policy.LoadIgnoreFile(name)
	if err != nil {
		if explicit == "" && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return ignores, nil
}

// writeReport writes the report to the named file (atomically, so a reader
// never sees half a report) or to stdout.
func writeReport(output, format string, r *report.Report, stdout io.Writer) error {
	if output == "" {
		return report.Write(stdout, format, r)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), ".redline-report-*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := report.Write(tmp, format, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", output, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", output, err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("write report %s: %w", output, err)
	}
	return nil
}
