package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/glob"
	"github.com/redline-sec/redline/internal/inventory"
)

// maxReasonIDs is how many rule ids a blocking reason names before it
// says "and N more".
const maxReasonIDs = 10

// Gate decides whether findings block a build.
type Gate struct {
	// FailOn is the lowest severity that blocks; the zero value never blocks.
	FailOn Threshold
	// Ignores except findings from the gate until they expire. When several
	// match a finding, the first in the slice is recorded.
	Ignores []Ignore
	// Now returns the current time for expiry; nil means time.Now.
	Now func() time.Time
}

// Suppressed is a finding that an ignore took out of the gate.
type Suppressed struct {
	Finding finding.Finding
	Ignore  Ignore
}

// Decision is what the gate made of a set of findings.
type Decision struct {
	// FailOn is the threshold the decision was made with.
	FailOn Threshold
	// Blocked is true when at least one kept finding is at or above FailOn.
	Blocked bool
	// Findings are the findings no ignore suppressed, sorted by finding.Less.
	Findings []finding.Finding
	// Suppressed are the findings an active ignore matched, sorted by
	// finding.Less on the finding.
	Suppressed []Suppressed
	// Blocking are the fingerprints of the kept findings at or above FailOn,
	// in the order of Findings.
	Blocking []string
	// Reasons say in words why the gate blocked or passed.
	Reasons []string
	// Warnings name ignores that expired and so no longer suppress, in file order.
	Warnings []string
	// Unused are the active ignores that matched no finding, in file order.
	Unused []Ignore
}

// ExitCode returns ExitBlocked for a blocked decision and ExitPass otherwise.
func (d *Decision) ExitCode() int {
	if d.Blocked {
		return ExitBlocked
	}
	return ExitPass
}

// Evaluate applies the ignores and the threshold to findings. It does not
// modify findings (the copies in the Decision share their slices); the copies
// have their Fingerprint filled in where it was empty.
func (g *Gate) Evaluate(findings []finding.Finding) *Decision {
	var gate Gate
	if g != nil {
		gate = *g
	}
	now := time.Now
	if gate.Now != nil {
		now = gate.Now
	}
	at := now().UTC()
	d := &Decision{FailOn: gate.FailOn}

	// Index the active ignores by lower-cased id, keeping file order.
	byID := make(map[string][]int)
	for i := range gate.Ignores {
		ig := &gate.Ignores[i]
		if ig.ExpiredAt(at) {
			d.Warnings = append(d.Warnings, expiredWarning(ig))
			continue
		}
		k := strings.ToLower(ig.ID)
		byID[k] = append(byID[k], i)
	}

	kept, supp, used := gate.partition(findings, byID)
	for i := range gate.Ignores {
		if !used[i] && !gate.Ignores[i].ExpiredAt(at) {
			d.Unused = append(d.Unused, gate.Ignores[i])
		}
	}
	d.Findings = make([]finding.Finding, len(kept))
	for i, f := range kept {
		d.Findings[i] = *f
	}
	d.Suppressed = make([]Suppressed, len(supp))
	for i, s := range supp {
		d.Suppressed[i] = *s
	}

	var blockingIDs []string
	seen := make(map[string]bool)
	for i := range d.Findings {
		f := &d.Findings[i]
		if !gate.FailOn.Blocks(f.Severity) {
			continue
		}
		d.Blocking = append(d.Blocking, f.Fingerprint)
		if !seen[f.RuleID] {
			seen[f.RuleID] = true
			blockingIDs = append(blockingIDs, f.RuleID)
		}
	}
	d.Blocked = len(d.Blocking) > 0
	d.Reasons = reasons(d, blockingIDs)
	return d
}

// partition splits a copy of findings into kept and suppressed, each sorted
// by finding.Less, and reports which ignores matched anything. It works on
// pointers: Finding structs are large, and sorting pointers is cheaper.
func (g *Gate) partition(findings []finding.Finding, byID map[string][]int) (kept []*finding.Finding, supp []*Suppressed, used []bool) {
	used = make([]bool, len(g.Ignores))
	all := slices.Clone(findings)
	for i := range all {
		f := &all[i]
		if f.Fingerprint == "" {
			f.SetFingerprint()
		}
		first := -1
		for _, id := range append([]string{f.RuleID}, f.Aliases...) {
			for _, j := range byID[strings.ToLower(id)] {
				if !matches(&g.Ignores[j], f) {
					continue
				}
				used[j] = true
				if first < 0 || j < first {
					first = j
				}
			}
		}
		if first >= 0 {
			supp = append(supp, &Suppressed{Finding: *f, Ignore: g.Ignores[first]})
			continue
		}
		kept = append(kept, f)
	}
	slices.SortStableFunc(kept, finding.Compare)
	slices.SortStableFunc(supp, func(a, b *Suppressed) int { return finding.Compare(&a.Finding, &b.Finding) })
	return kept, supp, used
}

// matches reports whether the ignore's package and path limits fit the
// finding; the id has already matched.
func matches(ig *Ignore, f *finding.Finding) bool {
	if ig.Package != "" {
		if f.Package == nil {
			return false
		}
		want, got := ig.Package, f.Package.Name
		if f.Package.Ecosystem == inventory.EcosystemPyPI {
			want, got = inventory.NormalizePyPI(want), inventory.NormalizePyPI(got)
		}
		if want != got {
			return false
		}
	}
	if ig.Path != "" && !glob.Match(ig.Path, strings.TrimPrefix(f.Location.Path, "./")) {
		return false
	}
	return true
}

func expiredWarning(ig *Ignore) string {
	s := fmt.Sprintf("ignore of %s (owner %s) expired on %s; it no longer suppresses",
		ig.ID, ig.Owner, ig.Expires.UTC().Format(dateLayout))
	if w := ig.Where(); w != "" {
		s += " (" + w + ")"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func reasons(d *Decision, blockingIDs []string) []string {
	sev, active := d.FailOn.Severity()
	if !active {
		return []string{fmt.Sprintf("fail-on is none: %s never block", plural(len(d.Findings), "finding"))}
	}
	if !d.Blocked {
		return []string{fmt.Sprintf("no finding at or above %s (%s below it)", sev, plural(len(d.Findings), "finding"))}
	}
	ids := blockingIDs
	more := ""
	if len(ids) > maxReasonIDs {
		more = fmt.Sprintf(" and %d more", len(ids)-maxReasonIDs)
		ids = ids[:maxReasonIDs]
	}
	return []string{fmt.Sprintf("%s at or above %s: %s%s",
		plural(len(d.Blocking), "finding"), sev, strings.Join(ids, ", "), more)}
}

// UnusedNote describes an ignore that matched nothing, for reports.
func UnusedNote(ig *Ignore) string {
	s := fmt.Sprintf("ignore of %s matched no finding; remove it if it is no longer needed", ig.ID)
	if w := ig.Where(); w != "" {
		s += " (" + w + ")"
	}
	return s
}
