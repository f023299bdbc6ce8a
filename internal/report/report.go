// Package report writes the results of a scan for people and for machines:
// a table for a terminal, versioned JSON, and SARIF 2.1.0 for code-scanning
// dashboards. Every writer sorts what it prints, so the same results always
// give the same bytes; docs/output.md describes the JSON and SARIF output.
package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/walk"
)

// SchemaVersion is the version of the JSON report's schema. Additive
// changes keep it; a change that can break a reader bumps it.
const SchemaVersion = "1"

// The output formats.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// Formats returns the names Write accepts.
func Formats() []string { return []string{FormatTable, FormatJSON, FormatSARIF} }

// Tool identifies the program that made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

// DatabaseInfo describes the vulnerability database a scan matched against.
type DatabaseInfo struct {
	// Built is when the database was compiled; the zero time is left out.
	Built time.Time `json:"built,omitzero"`
	// Ecosystems count the records per ecosystem.
	Ecosystems []EcosystemCount `json:"ecosystems"`
}

// EcosystemCount is the number of records the database holds for one ecosystem.
type EcosystemCount struct {
	Name    string `json:"name"`
	Records int    `json:"records"`
}

// Gate is the policy decision as a report shows it.
type Gate struct {
	// FailOn is the lowest blocking severity, or "none".
	FailOn string `json:"fail_on"`
	// Blocked is true when the gate failed the build.
	Blocked bool `json:"blocked"`
	// Reasons say why, in words.
	Reasons []string `json:"reasons"`
	// Blocking are the fingerprints of the findings that blocked.
	Blocking []string `json:"blocking"`
	// Policy is the policy file the decision used, when there was one.
	Policy string `json:"policy,omitempty"`
	// Blockers say which policy rule or threshold blocked each finding, in
	// the order of the decision's findings; empty without a policy.
	Blockers []GateBlocker `json:"blockers,omitempty"`
}

// GateBlocker is why one finding blocked.
type GateBlocker struct {
	Fingerprint string `json:"fingerprint"`
	// Rule is the policy rule id; empty when the kind's threshold blocked.
	Rule    string `json:"rule,omitempty"`
	RedLine bool   `json:"redline,omitempty"`
	Reason  string `json:"reason"`
}

// Warning levels.
const (
	LevelWarning = "warning"
	LevelInfo    = "info"
)

// Warning is a problem or a note about the scan that is not a finding.
type Warning struct {
	// Level is LevelWarning or LevelInfo.
	Level string `json:"level"`
	// Source is what raised it: an analyzer's name, "walk" or "policy".
	Source string `json:"source"`
	// Path is the file it is about, when there is one.
	Path string `json:"path,omitempty"`
	// Message says what happened.
	Message string `json:"message"`
}

// Report is everything a writer prints.
type Report struct {
	Tool     Tool
	Target   finding.Target
	Database *DatabaseInfo // nil when no database was used
	// Packages is the inventory of the target.
	Packages []inventory.Package
	// Findings are the findings left after the gate's ignores.
	Findings []finding.Finding
	// Suppressed are the findings an ignore took out, with that ignore.
	Suppressed []policy.Suppressed
	// Gate is the decision; nil when no gate ran.
	Gate *Gate
	// Warnings from the walk, the analyzers and the gate.
	Warnings []Warning
}

// SetDecision copies the gate's decision into the report: the kept and
// suppressed findings, the verdict (with the rule that blocked each finding
// when a policy was used), a warning per expired ignore or overridden
// exception, a note per finding a VEX statement suppressed and a note per
// ignore that matched nothing.
func (r *Report) SetDecision(d *policy.Decision) {
	r.Findings = d.Findings
	r.Suppressed = d.Suppressed
	r.Gate = &Gate{
		FailOn:   d.FailOn.String(),
		Blocked:  d.Blocked,
		Reasons:  d.Reasons,
		Blocking: d.Blocking,
		Policy:   d.Policy,
	}
	if d.Policy != "" {
		for _, m := range d.Blockers {
			r.Gate.Blockers = append(r.Gate.Blockers, GateBlocker{Fingerprint: m.Fingerprint, Rule: m.RuleID, RedLine: m.RedLine, Reason: m.Reason})
		}
	}
	for _, w := range d.Warnings {
		r.Warnings = append(r.Warnings, Warning{Level: LevelWarning, Source: "policy", Message: w})
	}
	for i := range d.VEXSuppressed {
		v := &d.VEXSuppressed[i]
		r.Warnings = append(r.Warnings, Warning{Level: LevelInfo, Source: "policy", Path: v.Finding.Location.Path,
			Message: fmt.Sprintf("%s suppressed by %s", v.Finding.RuleID, v.Statement.Explain())})
	}
	for i := range d.Unused {
		r.Warnings = append(r.Warnings, Warning{Level: LevelInfo, Source: "policy", Message: policy.UnusedNote(&d.Unused[i])})
	}
}

// AddWalkWarnings adds the warnings of a walk (files that could not be read
// or parsed).
func (r *Report) AddWalkWarnings(ws []walk.Warning) {
	for _, w := range ws {
		src := w.Analyzer
		if src == "" {
			src = "walk"
		}
		r.Warnings = append(r.Warnings, Warning{Level: LevelWarning, Source: src, Path: w.Path, Message: w.Message})
	}
}

// Write writes the report in the named format: "table", "json" or "sarif".
// It does not modify r.
func Write(w io.Writer, format string, r *Report) error {
	var write func(io.Writer, *Report) error
	switch format {
	case FormatTable:
		write = writeTable
	case FormatJSON:
		write = writeJSON
	case FormatSARIF:
		write = writeSARIF
	default:
		return fmt.Errorf("unknown report format %q (want %s)", format, strings.Join(Formats(), ", "))
	}
	if r == nil {
		r = &Report{}
	}
	if err := write(w, normalize(r)); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	return nil
}

// normalize returns a sorted copy of r with secret findings reduced to what
// may be shown. Slices the writers print are never nil.
func normalize(r *Report) *Report {
	n := *r
	// Sort pointers, not the large structs, then copy in order.
	ptrs := make([]*finding.Finding, len(r.Findings))
	for i := range r.Findings {
		ptrs[i] = &r.Findings[i]
	}
	slices.SortStableFunc(ptrs, finding.Compare)
	n.Findings = make([]finding.Finding, len(ptrs))
	for i, f := range ptrs {
		n.Findings[i] = safe(*f)
	}

	n.Suppressed = make([]policy.Suppressed, len(r.Suppressed))
	for i, s := range r.Suppressed {
		s.Finding = safe(s.Finding)
		n.Suppressed[i] = s
	}
	slices.SortStableFunc(n.Suppressed, func(a, b policy.Suppressed) int {
		if c := finding.Compare(&a.Finding, &b.Finding); c != 0 {
			return c
		}
		if a.Ignore.Line != b.Ignore.Line {
			return a.Ignore.Line - b.Ignore.Line
		}
		return strings.Compare(a.Ignore.ID, b.Ignore.ID)
	})

	n.Packages = make([]inventory.Package, len(r.Packages))
	for i, p := range r.Packages {
		if p.Locations == nil {
			p.Locations = []finding.Location{}
		}
		if p.Catalogers == nil {
			p.Catalogers = []string{}
		}
		n.Packages[i] = p
	}
	inventory.Sort(n.Packages)

	n.Warnings = slices.Clone(r.Warnings)
	if n.Warnings == nil {
		n.Warnings = []Warning{}
	}
	sort.SliceStable(n.Warnings, func(i, j int) bool {
		a, b := n.Warnings[i], n.Warnings[j]
		if a.Level != b.Level {
			return a.Level == LevelWarning // warnings before notes
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})

	if r.Gate != nil {
		g := *r.Gate
		g.Reasons = slices.Clone(g.Reasons)
		if g.Reasons == nil {
			g.Reasons = []string{}
		}
		g.Blocking = slices.Clone(g.Blocking)
		if g.Blocking == nil {
			g.Blocking = []string{}
		}
		slices.Sort(g.Blocking)
		n.Gate = &g
	}
	if r.Database != nil {
		db := *r.Database
		db.Ecosystems = slices.Clone(db.Ecosystems)
		if db.Ecosystems == nil {
			db.Ecosystems = []EcosystemCount{}
		}
		sort.Slice(db.Ecosystems, func(i, j int) bool { return db.Ecosystems[i].Name < db.Ecosystems[j].Name })
		n.Database = &db
	}
	return &n
}

// safe returns the finding as writers may show it. A secret finding keeps
// only its identity, rule, place, redacted evidence, references, mappings
// and remediation advice: nothing else that a detector filled in from the
// scanned content reaches any output.
func safe(f finding.Finding) finding.Finding {
	if f.Kind != finding.KindSecret {
		return f
	}
	out := finding.Finding{
		Fingerprint: f.Fingerprint,
		Kind:        f.Kind,
		RuleID:      f.RuleID,
		Title:       f.Title,
		Severity:    f.Severity,
		Target:      f.Target,
		Location:    f.Location,
		Mappings:    f.Mappings,
		Evidence:    f.Evidence,
		References:  f.References,
	}
	if f.Fix != nil && f.Fix.Remediation != "" {
		out.Fix = &finding.Fix{Remediation: f.Fix.Remediation}
	}
	return out
}

// severityCounts counts findings per severity.
type severityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
}

func (c *severityCounts) add(s finding.Severity) {
	switch s {
	case finding.SeverityCritical:
		c.Critical++
	case finding.SeverityHigh:
		c.High++
	case finding.SeverityMedium:
		c.Medium++
	case finding.SeverityLow:
		c.Low++
	default:
		c.Unknown++
	}
}

// summary is the counts every format shows.
type summary struct {
	Packages           int            `json:"packages"`
	VulnerablePackages int            `json:"vulnerable_packages"`
	Findings           int            `json:"findings"`
	Suppressed         int            `json:"suppressed"`
	BySeverity         severityCounts `json:"by_severity"`
}

func summarize(r *Report) summary {
	s := summary{Packages: len(r.Packages), Findings: len(r.Findings), Suppressed: len(r.Suppressed)}
	vulnerable := make(map[string]bool)
	for i := range r.Findings {
		f := &r.Findings[i]
		s.BySeverity.add(f.Severity)
		if f.Kind == finding.KindVulnerability && f.Package != nil {
			vulnerable[packageKey(f.Package)] = true
		}
	}
	s.VulnerablePackages = len(vulnerable)
	return s
}

func packageKey(p *finding.Package) string {
	return p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
}
