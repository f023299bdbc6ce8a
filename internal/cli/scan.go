package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/artifact/githistory"
	"github.com/redline-sec/redline/internal/match"
	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/scan"
	"github.com/redline-sec/redline/internal/secret"
	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/walk"
)

// scanFlags are the flags every scan subcommand shares.
type scanFlags struct {
	format     string
	output     string
	failOn     policy.Threshold
	ignoreFile string
	policyFile string
	vexFiles   []string
	platform   string

	alertWebhook, alertSlack, alertDingTalk string

	scanners      []string
	secretConfig  string
	secretMaxSize string

	// upload, when set, is the server the JSON report is sent to, for product.
	upload, product string

	// history, when set, is walked for secrets as well (scan fs --history).
	history artifact.Artifact
	// resolved caches scanOptions: a gitleaks configuration is read and
	// compiled once.
	resolved *scan.Scanners
	// onPass runs after the report is written when the gate passed (scan
	// image --sign/--attest).
	onPass func(ctx context.Context, r *report.Report, inv *scan.Inventory) error
}

func (f *scanFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", report.FormatTable, "report format: "+strings.Join(report.Formats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of standard output")
	fl.Var(&f.failOn, "fail-on", "exit 1 when a finding is at or above this severity: critical, high, medium, low, or none")
	fl.StringVar(&f.ignoreFile, "ignore-file", "", "ignore file (default: "+policy.DefaultIgnoreFile+" in the scanned directory, if present)")
	fl.StringVar(&f.policyFile, "policy", "", "policy file: per-kind thresholds, CEL rules, red lines, exceptions (default: "+policy.DefaultPolicyFile+" in the scanned directory, if present)")
	fl.StringSliceVar(&f.scanners, "scanners", []string{"vuln", "misconfig", "secret"}, "what to look for: vuln (vulnerable packages), misconfig (Dockerfile and Kubernetes checks), secret (hard-coded credentials)")
	fl.StringVar(&f.secretMaxSize, "secret-max-file-size", "32MiB", "largest file the secret scanner reads; bigger files are not read, and a warning counts them (disk images and dumps can be bigger)")
	fl.StringVar(&f.secretConfig, "secret-config", "", "gitleaks TOML configuration for the secret scanner ([extend] useDefault = true adds Redline's built-in rules)")
	fl.StringSliceVar(&f.vexFiles, "vex", nil, "OpenVEX document whose not_affected and fixed statements suppress vulnerabilities (repeatable)")
	fl.StringVar(&f.alertWebhook, "alert-webhook", "", "POST a JSON alert here when the gate blocks (env REDLINE_ALERT_WEBHOOK)")
	fl.StringVar(&f.alertSlack, "alert-slack", "", "Slack incoming-webhook URL to alert when the gate blocks (env REDLINE_ALERT_SLACK)")
	fl.StringVar(&f.upload, "upload", "", "also send the JSON report to this Redline server (token from env REDLINE_TOKEN); a failed upload exits 2 unless the gate blocked (then 1)")
	fl.StringVar(&f.product, "product", "", "product the scanned target belongs to on the --upload server")
	fl.StringVar(&f.alertDingTalk, "alert-dingtalk", "", "DingTalk robot webhook URL to alert when the gate blocks (env REDLINE_ALERT_DINGTALK; its signing secret from env REDLINE_DINGTALK_SECRET)")
}

// notifiers returns the alert targets the flags or, since webhook URLs hold
// tokens that should stay out of process listings, the environment name.
func (f *scanFlags) notifiers() []notify.Notifier {
	var ns []notify.Notifier
	if u := cmp.Or(f.alertWebhook, os.Getenv("REDLINE_ALERT_WEBHOOK")); u != "" {
		ns = append(ns, &notify.Webhook{URL: u})
	}
	if u := cmp.Or(f.alertSlack, os.Getenv("REDLINE_ALERT_SLACK")); u != "" {
		ns = append(ns, &notify.Slack{URL: u})
	}
	if u := cmp.Or(f.alertDingTalk, os.Getenv("REDLINE_ALERT_DINGTALK")); u != "" {
		ns = append(ns, &notify.DingTalk{URL: u, Secret: os.Getenv("REDLINE_DINGTALK_SECRET")})
	}
	return ns
}

// gate loads the ignore file, the policy and the VEX documents: all before
// any scan work, so that a broken policy fails fast with file and line.
func (f *scanFlags) gate(root string) (policy.Gate, error) {
	g := policy.Gate{FailOn: f.failOn}
	var err error
	if g.Ignores, err = loadIgnores(f.ignoreFile, root); err != nil {
		return g, err
	}
	if g.Policy, err = loadPolicy(f.policyFile, root); err != nil {
		return g, err
	}
	if len(f.vexFiles) > 0 {
		if g.VEX, err = policy.LoadVEX(f.vexFiles...); err != nil {
			return g, err
		}
	}
	return g, nil
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
	cmd.AddCommand(newScanFSCmd(g), newScanImageCmd(g), newScanSBOMCmd(g))
	return cmd
}

func newScanFSCmd(g *globals) *cobra.Command {
	var (
		sf                  scanFlags
		skipDirs, skipFiles []string
		history             bool
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
  redline scan fs . --history            # secrets in every commit too
  redline scan fs . --fail-on high
  redline scan fs . --format sarif -o redline.sarif
  redline scan fs . --skip-dirs 'testdata' --skip-dirs '**/fixtures' --skip-files '*.min.js'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := dir.Open(args[0], dir.Options{SkipDirs: skipDirs, SkipFiles: skipFiles})
			if err != nil {
				return usageErr(err)
			}
			if history {
				h, err := githistory.Open(cmd.Context(), args[0], githistory.Options{})
				if err != nil {
					return usageErr(err)
				}
				sf.history = h
			}
			return g.runScan(cmd.Context(), a, args[0], &sf)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&sf.platform, "platform", "", "os/arch the Go modules of a go.mod will be built for, to drop vulnerabilities of other platforms (default: report every platform's, as govulncheck does for source); Go binaries always use their own")
	cmd.Flags().BoolVar(&history, "history", false, "also scan every commit of the git repository at PATH for secrets (each file version once, at the commit that added it)")
	cmd.Flags().StringSliceVar(&skipDirs, "skip-dirs", nil, "glob of directories to skip (repeatable; '**' matches any depth; no slash: any directory of that name)")
	cmd.Flags().StringSliceVar(&skipFiles, "skip-files", nil, "glob of files to skip (repeatable; same rules as --skip-dirs)")
	return cmd
}

// runScan catalogs the artifact and assesses what it found. root is the
// directory holding the default ignore file ("" for none).
func (g *globals) runScan(ctx context.Context, a artifact.Artifact, root string, sf *scanFlags) error {
	if err := sf.check(); err != nil {
		return err
	}
	gate, err := sf.gate(root)
	if err != nil {
		return usageErr(err)
	}
	p := newProgress(g)
	scanners, _ := sf.scanOptions()
	inv, err := scan.Catalog(ctx, a, scan.Options{
		Scanners: scanners,
		Logger:   g.log,
		Progress: func(s walk.Stats) {
			p.Update("scanning %s: %d files read", a.Target().Name, s.Analyzed)
		},
	})
	p.Done()
	if err != nil {
		return err
	}
	if sf.history != nil && !scanners.NoSecret {
		// Secrets only: old commits' dependencies and manifests are not
		// what ships, but a credential once committed is leaked for good.
		hinv, err := scan.Catalog(ctx, sf.history, scan.Options{
			Scanners: scan.Scanners{NoVuln: true, NoMisconfig: true, SecretRules: scanners.SecretRules},
			Logger:   g.log,
		})
		if err != nil {
			return err
		}
		inv.Findings = append(inv.Findings, hinv.Findings...)
		inv.Warnings = append(inv.Warnings, hinv.Warnings...)
	}
	return g.assess(ctx, inv, gate, sf)
}

// scanOptions turns --scanners into scan.Scanners.
func (sf *scanFlags) scanOptions() (scan.Scanners, error) {
	if sf.resolved != nil {
		return *sf.resolved, nil
	}
	s := scan.Scanners{NoVuln: true, NoMisconfig: true, NoSecret: true}
	for _, name := range sf.scanners {
		switch strings.TrimSpace(name) {
		case "vuln":
			s.NoVuln = false
		case "misconfig":
			s.NoMisconfig = false
		case "secret":
			s.NoSecret = false
		default:
			return s, fmt.Errorf("unknown scanner %q (want vuln, misconfig or secret)", name)
		}
	}
	size, err := parseSize("--secret-max-file-size", sf.secretMaxSize)
	if err != nil {
		return s, err
	}
	s.SecretMaxFileSize = size
	if sf.secretConfig != "" {
		rules, err := secret.LoadGitleaksConfig(sf.secretConfig)
		if err != nil {
			return s, err
		}
		s.SecretRules = rules
	}
	sf.resolved = &s
	return s, nil
}

// check validates the flags before any scan work.
func (sf *scanFlags) check() error {
	if _, err := sf.scanOptions(); err != nil {
		return usageErr(err)
	}
	if !slices.Contains(report.Formats(), sf.format) {
		return usageErr(fmt.Errorf("unknown format %q (want %s)", sf.format, strings.Join(report.Formats(), ", ")))
	}
	if _, err := parsePlatform(sf.platform); err != nil {
		return usageErr(err)
	}
	return nil
}

// assess matches an inventory against the database, applies the gate,
// writes the report and turns the decision into the exit code. The caller
// has validated sf with sf.check.
func (g *globals) assess(ctx context.Context, inv *scan.Inventory, gate policy.Gate, sf *scanFlags) error {
	mopts, _ := parsePlatform(sf.platform)
	scanners, _ := sf.scanOptions()
	// Without the vulnerability scanner no database is needed.
	var db *vulndb.DB
	if !scanners.NoVuln {
		var err error
		if db, err = vulndb.Open(g.dbPath); err != nil {
			return err
		}
		defer db.Close()
		if st, err := db.Status(); err == nil {
			g.warnIfStale(st)
		}
	}
	bi := readBuildInfo()
	r, err := scan.Assess(ctx, inv, scan.Options{
		DB:        db,
		Scanners:  scanners,
		Gate:      gate,
		Match:     mopts,
		Notifiers: sf.notifiers(),
		Tool:      report.Tool{Name: "redline", Version: bi.Version, Commit: bi.Commit},
		Logger:    g.log,
	})
	if err != nil {
		return err
	}
	if err := writeOutput(sf.output, g.stdout, func(w io.Writer) error { return report.Write(w, sf.format, r) }); err != nil {
		return err
	}
	blockedBuild := r.Gate != nil && r.Gate.Blocked
	if sf.upload != "" {
		if err := g.uploadReport(ctx, sf, r); err != nil && !blockedBuild {
			return err
		} else if err != nil {
			fmt.Fprintf(g.stderr, "redline: %v\n", err)
		}
	}
	if blockedBuild {
		return blocked()
	}
	if sf.onPass != nil {
		return sf.onPass(ctx, r, inv)
	}
	return nil
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

// configFile picks the file a flag names, which must exist, or else the
// default one in the scanned directory, which may not. It returns "" when
// there is nothing to read: no flag and no default file, or a target that
// is not a directory (root "").
func configFile(explicit, root, defaultName string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if root == "" {
		return "", nil
	}
	name := filepath.Join(root, defaultName)
	if _, err := os.Stat(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	return name, nil
}

// loadPolicy reads --policy or the scanned directory's redline-policy.yaml.
func loadPolicy(explicit, root string) (*policy.Policy, error) {
	name, err := configFile(explicit, root, policy.DefaultPolicyFile)
	if name == "" || err != nil {
		return nil, err
	}
	return policy.LoadPolicy(name)
}

// loadIgnores reads --ignore-file or the scanned directory's .redlineignore.
func loadIgnores(explicit, root string) ([]policy.Ignore, error) {
	name, err := configFile(explicit, root, policy.DefaultIgnoreFile)
	if name == "" || err != nil {
		return nil, err
	}
	return policy.LoadIgnoreFile(name)
}
