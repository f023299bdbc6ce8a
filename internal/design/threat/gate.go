package threat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

// Decide runs the ordinary gate (policy.Gate: the --fail-on threshold) on
// the check's kept findings and then applies the standard's red lines: a
// red-line finding blocks whatever the threshold, and no exception
// suppressed it (the engine refused those). The excepted findings become the
// decision's suppressed findings, and the engine's warnings its warnings.
// gate's Ignores and Policy are used as given; a nil gate means a
// threshold of none.
func (r *Result) Decide(gate *policy.Gate) *policy.Decision {
	var g policy.Gate
	if gate != nil {
		g = *gate
	}
	d := g.Evaluate(r.Findings)
	d.Suppressed = append(d.Suppressed, r.Excepted...)
	slices.SortStableFunc(d.Suppressed, func(a, b policy.Suppressed) int { return finding.Compare(&a.Finding, &b.Finding) })
	d.Warnings = append(slices.Clone(r.Warnings), d.Warnings...)
	if d.Policy == "" && r.Standard != "" {
		d.Policy = "standard " + r.Standard
	}
	if len(r.RedLines) == 0 {
		return d
	}
	blocking := make(map[string]int, len(d.Blocking))
	for i, fp := range d.Blocking {
		blocking[fp] = i
	}
	var ids []string
	count := 0
	var blockers []policy.Match
	var fps []string
	for i := range d.Findings {
		f := &d.Findings[i]
		if !r.IsRedLine(f.Fingerprint) {
			if k, ok := blocking[f.Fingerprint]; ok {
				blockers = append(blockers, d.Blockers[k])
				fps = append(fps, f.Fingerprint)
			}
			continue
		}
		count++
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
		blockers = append(blockers, policy.Match{
			Finding: *f, Fingerprint: f.Fingerprint, RuleID: f.RuleID, Description: f.Title, RedLine: true,
			Action: policy.ActionBlock,
			Reason: fmt.Sprintf("red line %s (%s) of %s on %s", f.RuleID, f.Title, cmpOr(r.Standard, "the rule set"), f.Location.Object),
		})
		fps = append(fps, f.Fingerprint)
	}
	if count == 0 {
		return d
	}
	d.Blockers, d.Blocking = blockers, fps
	reason := fmt.Sprintf("%d red-line finding(s) block whatever the threshold: %s", count, strings.Join(ids, ", "))
	if !d.Blocked {
		d.Reasons = []string{reason}
	} else {
		d.Reasons = append([]string{reason}, d.Reasons...)
	}
	d.Blocked = true
	return d
}
