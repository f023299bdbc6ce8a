package match

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
)

// finding builds the one finding of an alias group g (preferred record
// first) in pkg. The text (title, description, CVSS) comes from the
// preferred record, falling back to the others in preference order where
// it has none. Severity is the highest any record of the group gives, so
// folding aliases never lowers it; when no record has one, the affected
// entries' own severities are used. References and CWEs are the union.
func (r *run) finding(pkg *inventory.Package, g []*vulndb.Vuln, hits map[string]*hit, upgrade string) finding.Finding {
	primary := g[0]
	f := finding.Finding{
		Kind:    finding.KindVulnerability,
		RuleID:  primary.ID,
		Aliases: aliases(g, primary.ID),
		Title:   title(g),
		Target:  r.target,
		Package: pkg.Identity(),
	}
	if len(pkg.Locations) > 0 {
		f.Location = pkg.Locations[0]
	}
	var cwes []string
	var fixes []event
	for _, v := range g {
		f.Severity = max(f.Severity, v.Severity)
		if f.Description == "" {
			f.Description = truncate(strings.TrimSpace(v.Details), maxDescription)
		}
		if len(f.CVSS) == 0 && len(v.CVSS) > 0 {
			f.CVSS = slices.Clone(v.CVSS)
		}
		for _, ref := range v.References {
			if !slices.Contains(f.References, ref) {
				f.References = append(f.References, ref)
			}
		}
		cwes = append(cwes, v.CWEs...)
		if h := hits[v.ID]; h != nil {
			fixes = append(fixes, h.fixes...)
		}
	}
	if f.Severity == finding.SeverityUnknown {
		for _, v := range g {
			for _, e := range hits[v.ID].entries {
				if s, err := finding.ParseSeverity(e.Severity); err == nil {
					f.Severity = max(f.Severity, s)
				}
			}
		}
	}
	if len(cwes) > 0 {
		slices.Sort(cwes)
		f.Mappings = map[string][]string{"cwe": slices.Compact(cwes)}
	}
	if fixed := fixedVersions(pkg, fixes); len(fixed) > 0 || upgrade != "" {
		f.Fix = &finding.Fix{FixedVersions: fixed}
		if upgrade != "" {
			f.Fix.Upgrade = spell(pkg, upgrade)
		}
	}
	f.SetFingerprint()
	return f
}

// fixedVersions sorts fixes by the ecosystem's order, drops duplicates
// (versions that compare equal keep their lowest spelling) and spells them
// the ecosystem's way.
func fixedVersions(pkg *inventory.Package, fixes []event) []string {
	slices.SortFunc(fixes, func(a, b event) int {
		if c := a.v.Compare(b.v); c != 0 {
			return c
		}
		return strings.Compare(a.text, b.text)
	})
	var out []string
	for i, e := range fixes {
		if i > 0 && e.v.Compare(fixes[i-1].v) == 0 {
			continue
		}
		out = append(out, spell(pkg, e.text))
	}
	return out
}

// title is the preferred record's summary, else the first line of its
// details, else the first that another record of the group has, else the id.
func title(g []*vulndb.Vuln) string {
	for _, v := range g {
		if s := strings.TrimSpace(v.Summary); s != "" {
			return s
		}
		if line, _, _ := strings.Cut(strings.TrimSpace(v.Details), "\n"); strings.TrimSpace(line) != "" {
			return truncate(strings.TrimSpace(line), 200)
		}
	}
	return g[0].ID
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }) + mark
}
