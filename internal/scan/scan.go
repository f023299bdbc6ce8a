// Package scan is the pipeline every scan command runs: open the target as
// an artifact, walk it once with every analyzer, match the inventory against
// the vulnerability database, apply the gate and assemble the report.
package scan

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/catalogers"
	"github.com/redline-sec/redline/internal/inventory/distro"
	"github.com/redline-sec/redline/internal/match"
	"github.com/redline-sec/redline/internal/misconfig/dockerfile"
	"github.com/redline-sec/redline/internal/misconfig/kubernetes"
	"github.com/redline-sec/redline/internal/misconfig/kustomize"
	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/secret"
	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/walk"
)

// Options configure one scan.
type Options struct {
	// DB is the vulnerability database to match against.
	DB *vulndb.DB
	// Gate decides pass or block; a zero Gate never blocks.
	Gate policy.Gate
	// Match options (the platform assumed for Go modules from go.mod).
	Match match.Options
	// Tool identifies Redline in the report.
	Tool report.Tool
	// Workers bounds the walk's worker pool; 0 means GOMAXPROCS.
	Workers int
	// Logger receives warnings and debug logs; nil means slog.Default().
	Logger *slog.Logger
	// Progress is called as files are analyzed.
	Progress func(walk.Stats)
	// Notifiers are told when the gate blocks. A failed delivery is a
	// warning in the report; it never changes the decision.
	Notifiers []notify.Notifier
	// Scanners choose the analyzers; the zero value runs all of them.
	Scanners Scanners
}

// Scanners switch analyzer families off. The zero value runs every one.
type Scanners struct {
	NoVuln, NoMisconfig, NoSecret bool
	// SecretRules replaces the built-in secret rules (a gitleaks
	// configuration, say); nil means secret.Default().
	SecretRules *secret.RuleSet
	// SecretMaxFileSize is the largest file the secret analyzer reads;
	// 0 means secret.DefaultMaxFileSize.
	SecretMaxFileSize int64
}

// Inventory is what one walk of an artifact found.
type Inventory struct {
	Target   finding.Target
	Packages []inventory.Package
	// Distro is the operating system found in the target; nil for none.
	Distro *distro.Distro
	// Findings are what the analyzers other than the catalogers found
	// (misconfigurations, …), with Target and fingerprints set.
	Findings []finding.Finding
	Warnings []walk.Warning
}

// Run scans the artifact and returns the report with the gate's decision.
func Run(ctx context.Context, a artifact.Artifact, opts Options) (*report.Report, error) {
	if opts.DB == nil && !opts.Scanners.NoVuln {
		return nil, fmt.Errorf("scan %s: no vulnerability database", a.Target().Name)
	}
	inv, err := Catalog(ctx, a, opts)
	if err != nil {
		return nil, err
	}
	return Assess(ctx, inv, opts)
}

// Catalog walks the artifact once with every cataloger and returns the
// packages it still contains.
func Catalog(ctx context.Context, a artifact.Artifact, opts Options) (*Inventory, error) {
	log := logger(opts)
	start := time.Now()
	collector := inventory.NewCollector(catalogers.All()...)
	detector := distro.NewDetector(nil)
	var found finding.Collector
	analyzers := []walk.Analyzer{detector}
	if !opts.Scanners.NoVuln {
		analyzers = append(analyzers, collector)
	}
	if !opts.Scanners.NoMisconfig {
		analyzers = append(analyzers, kubernetes.NewAnalyzer(&found), dockerfile.NewAnalyzer(&found))
		if d, ok := a.(*dir.Dir); ok {
			// Kustomize builds need the directory on disk (bases and
			// patches are other files); images are not built.
			analyzers = append(analyzers, kustomize.NewAnalyzer(&found, kustomize.Options{Root: d.Root()}))
		}
	}
	if !opts.Scanners.NoSecret {
		rules := opts.Scanners.SecretRules
		if rules == nil {
			rules = secret.Default()
		}
		// Rules from a gitleaks configuration behave as gitleaks does and
		// read binary files too; the built-in rules skip them.
		binaries := opts.Scanners.SecretRules != nil
		analyzers = append(analyzers, secret.NewAnalyzer(rules, &found, secret.Options{ScanBinaries: binaries, MaxFileSize: opts.Scanners.SecretMaxFileSize}))
	}
	res, err := walk.Run(ctx, a, analyzers, walk.Options{
		Workers:  opts.Workers,
		Logger:   log,
		Progress: opts.Progress,
	})
	if err != nil {
		return nil, err
	}
	pkgs := visiblePackages(a, collector.Packages())
	inv := &Inventory{Target: a.Target(), Warnings: res.Warnings}
	inv.Findings = visibleFindings(a, found.Findings())
	for i := range inv.Findings {
		inv.Findings[i].Target = inv.Target
		inv.Findings[i].SetFingerprint()
	}

	// OS packages get their distribution's ecosystem once the release
	// files have been read, whichever order the walk met them in.
	var visible func(path, layer string) bool
	if l, ok := a.(artifact.Layered); ok {
		visible = l.Visible
	}
	d, err := detector.Result(visible)
	if err != nil {
		inv.Warnings = append(inv.Warnings, walk.Warning{Analyzer: detector.Name(), Message: err.Error()})
	}
	inv.Distro = d
	inv.Packages = distro.Apply(d, pkgs)
	for _, w := range distro.Warnings(d, inv.Packages) {
		log.Warn(w)
		inv.Warnings = append(inv.Warnings, walk.Warning{Analyzer: detector.Name(), Message: w})
	}
	log.Debug("walk done", "files", res.Stats.Files, "analyzed", res.Stats.Analyzed, "packages", len(inv.Packages), "distro", d, "took", time.Since(start))
	return inv, nil
}

// Assess matches an inventory against the database and applies the gate.
// Without the vulnerability scanner (Scanners.NoVuln) it needs no database
// and matches nothing.
func Assess(ctx context.Context, inv *Inventory, opts Options) (*report.Report, error) {
	log := logger(opts)
	if opts.DB == nil && !opts.Scanners.NoVuln {
		return nil, fmt.Errorf("scan %s: no vulnerability database", inv.Target.Name)
	}
	var findings []finding.Finding
	if opts.DB != nil {
		start := time.Now()
		var err error
		findings, err = match.New(opts.DB, opts.Match).Match(ctx, inv.Target, inv.Packages)
		if err != nil {
			return nil, fmt.Errorf("match %s: %w", inv.Target.Name, err)
		}
		log.Debug("match done", "findings", len(findings), "took", time.Since(start))
	}
	findings = append(findings, inv.Findings...)

	r := &report.Report{
		Tool:     opts.Tool,
		Target:   inv.Target,
		Packages: inv.Packages,
	}
	if opts.DB != nil {
		if info, err := databaseInfo(opts.DB); err != nil {
			log.Warn("read database status", "err", err)
		} else {
			r.Database = info
		}
	}
	r.AddWalkWarnings(inv.Warnings)
	d := opts.Gate.Evaluate(findings)
	r.SetDecision(d)
	if d.Blocked {
		alert(ctx, log, r, notify.NewAlert(inv.Target, d), opts.Notifiers)
	}
	return r, nil
}

// alert tells every notifier that the gate blocked. Delivery problems become
// report warnings; the decision stands either way.
func alert(ctx context.Context, log *slog.Logger, r *report.Report, a notify.Alert, notifiers []notify.Notifier) {
	for _, n := range notifiers {
		if err := n.Notify(ctx, a); err != nil {
			msg := fmt.Sprintf("alert not delivered: %v", err)
			log.Warn(msg)
			r.Warnings = append(r.Warnings, report.Warning{Level: report.LevelWarning, Source: "notify", Message: msg})
		}
	}
}

func logger(opts Options) *slog.Logger {
	if opts.Logger == nil {
		return slog.Default()
	}
	return opts.Logger
}

func databaseInfo(db *vulndb.DB) (*report.DatabaseInfo, error) {
	st, err := db.Status()
	if err != nil {
		return nil, err
	}
	info := &report.DatabaseInfo{Built: st.Built}
	for _, e := range st.Ecosystems {
		info.Ecosystems = append(info.Ecosystems, report.EcosystemCount{Name: e.Name, Records: e.Records})
	}
	return info, nil
}
