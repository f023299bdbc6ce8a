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
	// With a Policy it is the threshold of kinds the policy does not set.
	FailOn Threshold
	// Ignores except findings from the gate until they expire. When several
	// match a finding, the first in the slice is recorded. The policy's
	// exceptions follow them.
	Ignores []Ignore
	// Policy adds per-kind thresholds, CEL rules, red lines and exceptions;
	// nil means FailOn and Ignores alone decide.
	Policy *Policy
	// VEX statements whose not_affected and fixed status suppress the
	// vulnerability findings they apply to.
	VEX []VEXStatement
	// Now returns the current time for expiry; nil means time.Now.
	Now func() time.Time
}

// Suppressed is a finding that an ignore took out of the gate.
type Suppressed struct {
	Finding finding.Finding
	Ignore  Ignore
}

// VEXSuppressed is a vulnerability finding that a VEX statement took out
// of the gate.
type VEXSuppressed struct {
	Finding   finding.Finding
	Statement VEXStatement
}

// Match says why a finding blocks or warns: a policy rule, or the severity
// threshold of its kind.
type Match struct {
	// Finding is the finding; Fingerprint is its fingerprint.
	Finding     finding.Finding
	Fingerprint string
	// RuleID and Description name the policy rule; both are empty when the
	// threshold matched.
	RuleID      string
	Description string
	// RedLine is true when a red-line rule matched.
	RedLine bool
	// Action is ActionBlock or ActionWarn.
	Action Action
	// Threshold is the threshold that blocked when no rule did.
	Threshold Threshold
	// Reason says in words why, naming the rule or threshold and the finding.
	Reason string
	// Overridden describe the ignores, exceptions and VEX statements that
	// matched the finding but do not apply because a red line matched.
	Overridden []string
}

// Decision is what the gate made of a set of findings.
type Decision struct {
	// FailOn is the threshold the decision was made with: the policy's
	// default threshold when it has one, else the gate's FailOn.
	FailOn Threshold
	// Policy is the file of the policy the decision used; "" when none.
	Policy string
	// Blocked is true when at least one kept finding blocks.
	Blocked bool
	// Findings are the findings no ignore or VEX statement suppressed,
	// sorted by finding.Less.
	Findings []finding.Finding
	// Suppressed are the findings an active ignore or exception matched,
	// sorted by finding.Less on the finding.
	Suppressed []Suppressed
	// VEXSuppressed are the findings a not_affected or fixed VEX statement
	// matched, sorted by finding.Less on the finding.
	VEXSuppressed []VEXSuppressed
	// Blocking are the fingerprints of the kept findings that block, in the
	// order of Findings.
	Blocking []string
	// Blockers say why each blocking finding blocks, in the order of Blocking.
	Blockers []Match
	// Warned are the kept findings a warn rule matched, in the order of
	// Findings (a finding once per rule).
	Warned []Match
	// Reasons say in words why the gate blocked or passed.
	Reasons []string
	// Warnings name ignores that expired and so no longer suppress (in file
	// order), then exceptions that a red line overrode and rules that
	// failed to evaluate or warned (in finding order).
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

// judged is one finding on its way through the gate.
type judged struct {
	f        *finding.Finding
	block    *Match
	warns    []Match
	warnings []string
}

// Evaluate applies red lines, ignores, exceptions, VEX statements, rules and
// thresholds to findings, in that order: a finding a red line matches is
// kept and blocks whatever else matches it; otherwise an ignore or
// exception, then a VEX statement, may suppress it; a kept finding blocks
// when a block rule matches it or its severity is at or above its kind's
// threshold. A rule that fails to evaluate on a finding counts as matching
// (a broken rule fails closed) and says so in Warnings.
//
// Evaluate does not modify findings (the copies in the Decision share their
// slices); the copies have their Fingerprint filled in where it was empty.
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
	pol := gate.Policy
	d := &Decision{FailOn: gate.FailOn}
	if pol != nil {
		d.Policy = pol.File
		if pol.HasDefault {
			d.FailOn = pol.Default
		}
		gate.Ignores = append(slices.Clip(gate.Ignores), pol.Exceptions...)
	}

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

	kept, supp, vexSupp, used := gate.partition(findings, byID)
	for i := range gate.Ignores {
		if !used[i] && !gate.Ignores[i].ExpiredAt(at) {
			d.Unused = append(d.Unused, gate.Ignores[i])
		}
	}
	d.Findings = make([]finding.Finding, len(kept))
	for i, j := range kept {
		d.Findings[i] = *j.f
		d.Warnings = append(d.Warnings, j.warnings...)
		d.Warned = append(d.Warned, j.warns...)
		if j.block != nil {
			d.Blocking = append(d.Blocking, j.f.Fingerprint)
			d.Blockers = append(d.Blockers, *j.block)
		}
	}
	d.Suppressed = make([]Suppressed, len(supp))
	for i, s := range supp {
		d.Suppressed[i] = *s
	}
	d.VEXSuppressed = make([]VEXSuppressed, len(vexSupp))
	for i, s := range vexSupp {
		d.VEXSuppressed[i] = *s
	}
	d.Blocked = len(d.Blocking) > 0
	if pol == nil {
		d.Reasons = reasons(d)
	} else {
		d.Reasons = policyReasons(d)
	}
	return d
}

// partition splits a copy of findings into kept, suppressed by an ignore
// and suppressed by VEX, each sorted by finding.Less, judges the kept ones
// and reports which ignores matched anything. It works on pointers:
// Finding structs are large, and sorting pointers is cheaper.
func (g *Gate) partition(findings []finding.Finding, byID map[string][]int) (kept []*judged, supp []*Suppressed, vexSupp []*VEXSuppressed, used []bool) {
	used = make([]bool, len(g.Ignores))
	var vidx vexIndex
	if len(g.VEX) > 0 {
		vidx = newVEXIndex(g.VEX)
	}
	all := slices.Clone(findings)
	for i := range all {
		f := &all[i]
		if f.Fingerprint == "" {
			f.SetFingerprint()
		}
		j := &judged{f: f}
		var view *celFinding
		if g.Policy != nil && len(g.Policy.Rules) > 0 {
			view = newCELFinding(f)
			j.block = g.redLine(j, view)
		}
		first := -1
		for _, id := range append([]string{f.RuleID}, f.Aliases...) {
			for _, k := range byID[strings.ToLower(id)] {
				if !matches(&g.Ignores[k], f) {
					continue
				}
				used[k] = true
				if first < 0 || k < first {
					first = k
				}
			}
		}
		if first >= 0 && j.block == nil {
			supp = append(supp, &Suppressed{Finding: *f, Ignore: g.Ignores[first]})
			continue
		}
		if first >= 0 {
			j.override(ignoreNote(&g.Ignores[first]))
		}
		if vidx != nil {
			if k := vidx.decide(g.VEX, f); k >= 0 && g.VEX[k].Suppresses() {
				if j.block == nil {
					vexSupp = append(vexSupp, &VEXSuppressed{Finding: *f, Statement: g.VEX[k]})
					continue
				}
				j.override(g.VEX[k].Explain())
			}
		}
		if j.block == nil {
			j.block = g.judge(j, view)
		}
		kept = append(kept, j)
	}
	slices.SortStableFunc(kept, func(a, b *judged) int { return finding.Compare(a.f, b.f) })
	slices.SortStableFunc(supp, func(a, b *Suppressed) int { return finding.Compare(&a.Finding, &b.Finding) })
	slices.SortStableFunc(vexSupp, func(a, b *VEXSuppressed) int { return finding.Compare(&a.Finding, &b.Finding) })
	return kept, supp, vexSupp, used
}

// override records that a red line made an exception not apply.
func (j *judged) override(note string) {
	j.block.Overridden = append(j.block.Overridden, note)
	j.warnings = append(j.warnings, fmt.Sprintf("%s does not apply to %s: red line %s cannot be excepted",
		note, describe(j.f), j.block.RuleID))
}

// redLine returns the match of the first red-line rule that matches the
// finding, or nil.
func (g *Gate) redLine(j *judged, v *celFinding) *Match {
	for i := range g.Policy.Rules {
		r := &g.Policy.Rules[i]
		if !r.RedLine {
			continue
		}
		if m := j.try(r, v); m != nil {
			return m
		}
	}
	return nil
}

// judge returns why a kept finding that no red line matched blocks, or
// nil; it records the warn rules that match it.
func (g *Gate) judge(j *judged, v *celFinding) *Match {
	var block *Match
	if g.Policy != nil {
		for i := range g.Policy.Rules {
			r := &g.Policy.Rules[i]
			if r.RedLine || (block != nil && r.Action == ActionBlock) {
				continue
			}
			m := j.try(r, v)
			switch {
			case m == nil:
			case r.Action == ActionWarn:
				j.warns = append(j.warns, *m)
				j.warnings = append(j.warnings, m.Reason)
			default:
				block = m
			}
		}
	}
	if block != nil {
		return block
	}
	t := g.Policy.ThresholdFor(j.f.Kind, g.FailOn)
	if !t.Blocks(j.f.Severity) {
		return nil
	}
	return &Match{
		Finding: *j.f, Fingerprint: j.f.Fingerprint, Action: ActionBlock, Threshold: t,
		Reason: fmt.Sprintf("%s: severity %s is at or above the %s threshold %s", describe(j.f), j.f.Severity, j.f.Kind, t),
	}
}

// try evaluates one rule on the finding; an evaluation error counts as a
// match and is recorded as a warning.
func (j *judged) try(r *Rule, v *celFinding) *Match {
	ok, err := r.match(v)
	if err == nil && !ok {
		return nil
	}
	m := &Match{
		Finding: *j.f, Fingerprint: j.f.Fingerprint,
		RuleID: r.ID, Description: r.Description, RedLine: r.RedLine, Action: r.Action,
	}
	what := "rule"
	if r.RedLine {
		what = "red line"
	}
	m.Reason = fmt.Sprintf("%s %s (%s) matched %s", what, r.ID, r.Description, describe(j.f))
	if err != nil {
		m.Reason = fmt.Sprintf("%s %s (%s) could not be evaluated on %s, so it counts as matching: %v",
			what, r.ID, r.Description, describe(j.f), err)
		j.warnings = append(j.warnings, m.Reason)
	}
	return m
}

// describe names a finding in reasons: rule id, package and location.
func describe(f *finding.Finding) string {
	s := f.RuleID
	if f.Package != nil && f.Package.Name != "" {
		s += " in " + f.Package.Name
		if f.Package.Version != "" {
			s += "@" + f.Package.Version
		}
	}
	if loc := f.Location.String(); loc != "" {
		s += " at " + loc
	}
	return s
}

func ignoreNote(ig *Ignore) string {
	s := fmt.Sprintf("ignore of %s (owner %s", ig.ID, ig.Owner)
	if w := ig.Where(); w != "" {
		s += ", " + w
	}
	return s + ")"
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

func reasons(d *Decision) []string {
	var blockingIDs []string
	seen := make(map[string]bool)
	for i := range d.Blockers {
		id := d.Blockers[i].Finding.RuleID
		if !seen[id] {
			seen[id] = true
			blockingIDs = append(blockingIDs, id)
		}
	}
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

// policyReasons says why a decision with a policy blocked or passed: one
// reason per rule that blocked (red lines first, then in policy order),
// then one per finding kind whose threshold blocked.
func policyReasons(d *Decision) []string {
	if !d.Blocked {
		return []string{fmt.Sprintf("no policy rule or threshold blocked (%s kept)", plural(len(d.Findings), "finding"))}
	}
	type group struct {
		head  string
		count int
		ids   []string
		seen  map[string]bool
	}
	var order []string
	groups := make(map[string]*group)
	add := func(key, head string, f *finding.Finding) {
		gr := groups[key]
		if gr == nil {
			gr = &group{head: head, seen: map[string]bool{}}
			groups[key] = gr
			order = append(order, key)
		}
		gr.count++
		if !gr.seen[f.RuleID] {
			gr.seen[f.RuleID] = true
			gr.ids = append(gr.ids, f.RuleID)
		}
	}
	// Rules first, red lines before the rest; then thresholds by kind.
	for _, pass := range []int{0, 1, 2} {
		for i := range d.Blockers {
			m := &d.Blockers[i]
			switch {
			case pass == 0 && m.RedLine:
				add("0"+m.RuleID, fmt.Sprintf("red line %s (%s)", m.RuleID, m.Description), &m.Finding)
			case pass == 1 && !m.RedLine && m.RuleID != "":
				add("1"+m.RuleID, fmt.Sprintf("rule %s (%s)", m.RuleID, m.Description), &m.Finding)
			case pass == 2 && m.RuleID == "":
				add("2"+string(m.Finding.Kind), fmt.Sprintf("%s threshold %s", m.Finding.Kind, m.Threshold), &m.Finding)
			}
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		gr := groups[k]
		ids, more := gr.ids, ""
		if len(ids) > maxReasonIDs {
			more = fmt.Sprintf(" and %d more", len(ids)-maxReasonIDs)
			ids = ids[:maxReasonIDs]
		}
		out = append(out, fmt.Sprintf("%s blocked %s: %s%s", gr.head, plural(gr.count, "finding"), strings.Join(ids, ", "), more))
	}
	return out
}
