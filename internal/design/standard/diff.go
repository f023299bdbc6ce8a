package standard

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
)

// SeverityChange is a rule both versions run at different severities.
type SeverityChange struct {
	Rule string           `json:"rule"`
	From finding.Severity `json:"from"`
	To   finding.Severity `json:"to"`
}

// Diff is what changed from one standard (version) to another.
type Diff struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Added and Removed are the rules (built-in and custom) only one side
	// runs, sorted.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// Severity are rules both run at a different severity.
	Severity []SeverityChange `json:"severity"`
	// RedLinesAdded and RedLinesRemoved are changes to the red lines.
	RedLinesAdded   []string `json:"red_lines_added"`
	RedLinesRemoved []string `json:"red_lines_removed"`
	// CustomChanged are custom rules both define differently (condition,
	// metadata).
	CustomChanged []string `json:"custom_changed"`
	// Parameters and Effective describe changed parameters and dates, in
	// words ("maxPatchSlaDays: 45 → 30").
	Parameters []string `json:"parameters"`
	Effective  []string `json:"effective"`
	// Checklist describes changes to the generic review checklist (the
	// items each asks, default checklist included), in words: "added
	// CORP-PENTEST", "removed GEN-EXC", "changed GEN-CLASS", "reordered".
	Checklist []string `json:"checklist"`
}

// Empty reports whether the two standards run the same rules the same way.
func (d *Diff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Severity)+len(d.RedLinesAdded)+len(d.RedLinesRemoved)+
		len(d.CustomChanged)+len(d.Parameters)+len(d.Effective)+len(d.Checklist) == 0
}

// Compare returns what changed from a to b.
func Compare(a, b *Standard) *Diff {
	d := &Diff{From: a.Ref(), To: b.Ref(), Added: []string{}, Removed: []string{}, Severity: []SeverityChange{},
		RedLinesAdded: []string{}, RedLinesRemoved: []string{}, CustomChanged: []string{}, Parameters: []string{}, Effective: []string{},
		Checklist: compareChecklists(a.ChecklistItems(), b.ChecklistItems())}
	ar, br := byID(a.compiled), byID(b.compiled)
	for id, r := range br {
		old, ok := ar[id]
		if !ok {
			d.Added = append(d.Added, id)
			continue
		}
		if old.Severity != r.Severity {
			d.Severity = append(d.Severity, SeverityChange{Rule: id, From: old.Severity, To: r.Severity})
		}
		if r.Custom && (old.Expression != r.Expression || old.Title != r.Title || old.Over != r.Over ||
			old.Rationale != r.Rationale || old.Mitigation != r.Mitigation || old.Layer != r.Layer ||
			old.STRIDE != r.STRIDE || old.CWE != r.CWE) {
			d.CustomChanged = append(d.CustomChanged, id)
		}
	}
	for id := range ar {
		if _, ok := br[id]; !ok {
			d.Removed = append(d.Removed, id)
		}
	}
	for _, id := range b.RedLines {
		if !a.IsRedLine(id) {
			d.RedLinesAdded = append(d.RedLinesAdded, id)
		}
	}
	for _, id := range a.RedLines {
		if !b.IsRedLine(id) {
			d.RedLinesRemoved = append(d.RedLinesRemoved, id)
		}
	}
	if a.Params.MaxPatchSLADays != b.Params.MaxPatchSLADays {
		d.Parameters = append(d.Parameters, fmt.Sprintf("maxPatchSlaDays: %d → %d", a.Params.MaxPatchSLADays, b.Params.MaxPatchSLADays))
	}
	if a.Params.RequireAdaptiveAuth != b.Params.RequireAdaptiveAuth {
		d.Parameters = append(d.Parameters, fmt.Sprintf("requireAdaptiveAuth: %t → %t", a.Params.RequireAdaptiveAuth, b.Params.RequireAdaptiveAuth))
	}
	if !a.From.Equal(b.From) || !a.Until.Equal(b.Until) {
		d.Effective = append(d.Effective, fmt.Sprintf("effective %s → %s", a.EffectiveRange(), b.EffectiveRange()))
	}
	slices.Sort(d.Added)
	slices.Sort(d.Removed)
	slices.Sort(d.CustomChanged)
	slices.SortFunc(d.Severity, func(x, y SeverityChange) int { return strings.Compare(x.Rule, y.Rule) })
	return d
}

// compareChecklists describes what changed from one checklist to another.
func compareChecklists(a, b []ChecklistItem) []string {
	out := []string{}
	old := make(map[string]ChecklistItem, len(a))
	for _, it := range a {
		old[it.ID] = it
	}
	var common []string
	for _, it := range b {
		o, ok := old[it.ID]
		switch {
		case !ok:
			out = append(out, "added "+it.ID)
			continue
		case o.Title != it.Title || o.When != it.When:
			out = append(out, "changed "+it.ID)
		}
		common = append(common, it.ID)
		delete(old, it.ID)
	}
	var aCommon []string
	for _, it := range a {
		if _, gone := old[it.ID]; gone {
			out = append(out, "removed "+it.ID)
			continue
		}
		aCommon = append(aCommon, it.ID)
	}
	if !slices.Equal(aCommon, common) {
		out = append(out, "reordered")
	}
	return out
}

func byID(rules []threat.Rule) map[string]threat.Rule {
	m := make(map[string]threat.Rule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}

// EffectiveRange renders the dates as "2026-07-01..2027-06-30" ("…" for an
// open end).
func (s *Standard) EffectiveRange() string {
	until := formatDate(s.Until)
	if until == "" {
		until = "…"
	}
	return formatDate(s.From) + ".." + until
}

// Applicability returns warnings about applying the standard to a model
// that pins the standard pinned ("name@version", may be empty) on the day
// of now: the standard is not in force, or is not the one the model pins.
func (s *Standard) Applicability(pinned string, now time.Time) []string {
	var out []string
	if !s.InForce(now) {
		out = append(out, fmt.Sprintf("standard %s is not in force on %s (effective %s)", s.Ref(), now.UTC().Format(dateLayout), s.EffectiveRange()))
	}
	if pinned != "" && pinned != s.Ref() {
		out = append(out, fmt.Sprintf("the model is reviewed against %s but was checked with %s", pinned, s.Ref()))
	}
	return out
}
