package threat

import (
	"slices"

	"github.com/redline-sec/redline/internal/finding"
)

// RiskChange is a risk present in both models whose assessment changed.
type RiskChange struct {
	Old finding.Finding `json:"old"`
	New finding.Finding `json:"new"`
	// Changes name what changed: "severity", "title", "description",
	// "location".
	Changes []string `json:"changes"`
}

// RiskDiff is how the risks of a model changed between two versions.
type RiskDiff struct {
	// Added are risks only the new model has, Resolved those only the old
	// one has, Changed those both have with a different assessment; each
	// sorted by finding.Compare.
	Added    []finding.Finding `json:"added"`
	Resolved []finding.Finding `json:"resolved"`
	Changed  []RiskChange      `json:"changed"`
	// Unchanged counts the risks both have unchanged.
	Unchanged int `json:"unchanged"`
}

// Empty reports whether nothing was added, resolved or changed.
func (d *RiskDiff) Empty() bool {
	return len(d.Added) == 0 && len(d.Resolved) == 0 && len(d.Changed) == 0
}

// DiffRisks compares the findings of two checks of a model (Result.Findings
// of the old and the new model) by fingerprint: a risk is the same risk
// when the same rule fires on the same element, wherever the element moved
// in the file. It does not modify its arguments.
func DiffRisks(old, new []finding.Finding) *RiskDiff {
	key := func(f *finding.Finding) string {
		if f.Fingerprint != "" {
			return f.Fingerprint
		}
		return f.ComputeFingerprint()
	}
	before := make(map[string]*finding.Finding, len(old))
	for i := range old {
		before[key(&old[i])] = &old[i]
	}
	d := &RiskDiff{Added: []finding.Finding{}, Resolved: []finding.Finding{}, Changed: []RiskChange{}}
	seen := make(map[string]bool, len(new))
	for i := range new {
		n := &new[i]
		k := key(n)
		seen[k] = true
		o, ok := before[k]
		if !ok {
			d.Added = append(d.Added, *n)
			continue
		}
		var changes []string
		if o.Severity != n.Severity {
			changes = append(changes, "severity")
		}
		if o.Title != n.Title {
			changes = append(changes, "title")
		}
		if o.Description != n.Description {
			changes = append(changes, "description")
		}
		if o.Location.Line != n.Location.Line {
			changes = append(changes, "location")
		}
		if len(changes) == 0 || (len(changes) == 1 && changes[0] == "location") {
			// A risk that only moved in the file is the same risk.
			d.Unchanged++
			continue
		}
		d.Changed = append(d.Changed, RiskChange{Old: *o, New: *n, Changes: changes})
	}
	for i := range old {
		if !seen[key(&old[i])] {
			d.Resolved = append(d.Resolved, old[i])
		}
	}
	slices.SortStableFunc(d.Added, func(a, b finding.Finding) int { return finding.Compare(&a, &b) })
	slices.SortStableFunc(d.Resolved, func(a, b finding.Finding) int { return finding.Compare(&a, &b) })
	slices.SortStableFunc(d.Changed, func(a, b RiskChange) int { return finding.Compare(&a.New, &b.New) })
	return d
}
