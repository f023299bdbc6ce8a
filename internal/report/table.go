package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/redline-sec/redline/internal/finding"
)

// Table layout limits.
const (
	maxTitle     = 80 // runes of a title shown in a row
	maxLocations = 3  // locations listed per package before "and N more"
)

// pkgGroup is one vulnerable package and its findings, as the table shows it.
type pkgGroup struct {
	pkg      *finding.Package
	findings []*finding.Finding // sorted by finding.Less: most severe first
}

func (g *pkgGroup) worst() finding.Severity { return g.findings[0].Severity }

// upgrade returns the version that fixes every vulnerability of the package,
// or "" when there is none.
func (g *pkgGroup) upgrade() string {
	for _, f := range g.findings {
		if f.Fix != nil && f.Fix.Upgrade != "" {
			return f.Fix.Upgrade
		}
	}
	return ""
}

func (g *pkgGroup) locations() []string {
	seen := make(map[string]bool)
	var out []string
	for _, f := range g.findings {
		l := f.Location.String() // path:line, the line to edit
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// createdBy returns the distinct history entries of the image layers that
// added the package, sorted.
func (g *pkgGroup) createdBy() []string {
	seen := make(map[string]bool)
	var out []string
	for _, f := range g.findings {
		if by := f.Location.CreatedBy; by != "" && !seen[by] {
			seen[by] = true
			out = append(out, by)
		}
	}
	sort.Strings(out)
	return out
}

// groupByPackage splits sorted findings into vulnerable packages, most severe
// package first, and the findings that are not about a package version.
func groupByPackage(fs []finding.Finding) (groups []*pkgGroup, other []*finding.Finding) {
	byKey := make(map[string]*pkgGroup)
	for i := range fs {
		f := &fs[i]
		if f.Kind != finding.KindVulnerability || f.Package == nil {
			other = append(other, f)
			continue
		}
		k := packageKey(f.Package)
		g := byKey[k]
		if g == nil {
			g = &pkgGroup{pkg: f.Package}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.worst() != b.worst() {
			return a.worst() > b.worst()
		}
		if len(a.findings) != len(b.findings) {
			return len(a.findings) > len(b.findings)
		}
		return packageKey(a.pkg) < packageKey(b.pkg)
	})
	return groups, other
}

func writeTable(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	groups, other := groupByPackage(r.Findings)
	tableHeader(tw, r)
	tablePackages(tw, groups)
	tableOther(tw, other)
	tableSuppressed(tw, r)
	tableSummary(tw, r)
	tableWarnings(tw, r.Warnings)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// The table's sections write to a tabwriter over a bytes.Buffer, which
// cannot fail; the error of the final write is the one that counts.

func tableHeader(w io.Writer, r *Report) {
	target := r.Target.Kind + " " + r.Target.Name
	if r.Target.Digest != "" {
		target += " (" + r.Target.Digest + ")"
	}
	fmt.Fprintf(w, "Target: %s\n", clean(strings.TrimSpace(target)))
	if db := r.Database; db != nil {
		var parts []string
		for _, e := range db.Ecosystems {
			parts = append(parts, fmt.Sprintf("%s %d", clean(e.Name), e.Records))
		}
		line := "Database:"
		if !db.Built.IsZero() {
			line += " built " + db.Built.UTC().Format("2006-01-02 15:04 UTC") + ";"
		}
		fmt.Fprintf(w, "%s records: %s\n", line, strings.Join(parts, ", "))
	}
}

func tablePackages(w io.Writer, groups []*pkgGroup) {
	if len(groups) > 0 {
		fmt.Fprintf(w, "\nVULNERABLE PACKAGES\n")
	}
	for _, g := range groups {
		fix := "no fixed version"
		if u := g.upgrade(); u != "" {
			fix = "upgrade to " + clean(u)
		}
		fmt.Fprintf(w, "\n%s %s (%s): %s\n", clean(g.pkg.Name), clean(g.pkg.Version), clean(g.pkg.Ecosystem), fix)
		locs := g.locations()
		if len(locs) > maxLocations {
			locs = append(locs[:maxLocations:maxLocations], fmt.Sprintf("and %d more", len(locs)-maxLocations))
		}
		if len(locs) > 0 {
			fmt.Fprintf(w, "  found in %s\n", clean(strings.Join(locs, ", ")))
		}
		if by := g.createdBy(); len(by) > 0 {
			// The image history entry: the Dockerfile line to change.
			fmt.Fprintf(w, "  added by %s\n", short(strings.Join(by, "; ")))
		}
		shown := make(map[string]bool)
		for _, f := range g.findings {
			// One row per vulnerability; its locations are listed above.
			if shown[f.RuleID] {
				continue
			}
			shown[f.RuleID] = true
			fixed := "no fix"
			if f.Fix != nil && len(f.Fix.FixedVersions) > 0 {
				fixed = "fixed in " + strings.Join(f.Fix.FixedVersions, ", ")
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", clean(f.RuleID), f.Severity, clean(fixed), short(f.Title))
		}
	}
}

func tableOther(w io.Writer, other []*finding.Finding) {
	if len(other) == 0 {
		return
	}
	fmt.Fprintf(w, "\nOTHER FINDINGS\n\n")
	fmt.Fprintf(w, "  SEVERITY\tRULE\tLOCATION\tTITLE\n")
	for _, f := range other {
		title := short(f.Title)
		if f.Evidence != "" {
			title += " (evidence " + clean(f.Evidence) + ")"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", f.Severity, clean(f.RuleID), clean(f.Location.String()), title)
	}
}

func tableSuppressed(w io.Writer, r *Report) {
	if len(r.Suppressed) == 0 {
		return
	}
	fmt.Fprintf(w, "\nSUPPRESSED\n\n")
	for i := range r.Suppressed {
		s := &r.Suppressed[i]
		what := s.Finding.Location.String()
		if pkg := s.Finding.Package; pkg != nil {
			what = pkg.Name + " " + pkg.Version + " " + what
		}
		by := s.Ignore.Where()
		if by == "" {
			by = "ignore"
		}
		fmt.Fprintf(w, "  %s\t%s\tby %s (%s, until %s): %s\n", clean(s.Finding.RuleID), clean(what), clean(by),
			clean(s.Ignore.Owner), s.Ignore.Expires.UTC().Format("2006-01-02"), clean(s.Ignore.Reason))
	}
}

func tableSummary(w io.Writer, r *Report) {
	sum := summarize(r)
	c := sum.BySeverity
	fmt.Fprintln(w)
	if r.Target.Kind != "model" { // an architecture model has no packages
		fmt.Fprintf(w, "%d packages scanned, %d vulnerable; ", sum.Packages, sum.VulnerablePackages)
	}
	fmt.Fprintf(w, "%d findings (critical %d, high %d, medium %d, low %d, unknown %d); %d suppressed\n",
		sum.Findings, c.Critical, c.High, c.Medium, c.Low, c.Unknown, sum.Suppressed)
	g := r.Gate
	if g == nil {
		return
	}
	verdict := "passed"
	if g.Blocked {
		verdict = "BLOCKED"
	}
	fmt.Fprintf(w, "Gate: %s (fail-on %s)\n", verdict, clean(g.FailOn))
	for _, reason := range g.Reasons {
		fmt.Fprintf(w, "  %s\n", clean(reason))
	}
}

func tableWarnings(w io.Writer, ws []Warning) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWARNINGS\n\n")
	for _, wa := range ws {
		msg := wa.Message
		if wa.Path != "" {
			msg = wa.Path + ": " + msg
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", clean(wa.Level), clean(wa.Source), clean(msg))
	}
}

// clean makes text from scanned content and advisories safe for a terminal:
// invalid UTF-8, control characters (escape sequences, tabs, newlines) and
// invisible format characters (bidirectional overrides) become "?" or a space.
func clean(s string) string {
	if !needsClean(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "?") {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsClean(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// short cleans a title and cuts it to maxTitle runes.
func short(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if utf8.RuneCountInString(s) <= maxTitle {
		return s
	}
	r := []rune(s)
	return string(r[:maxTitle-1]) + "…"
}
