// Package threat is Redline's automatic threat model: a knowledge base of
// risk rules over an architecture model (the five defense layers, tenant
// isolation, zero trust, data handling and model completeness) and the
// engine that evaluates them on the model's graph and derived facts. Rules
// emit ordinary findings of kind design, one per rule and model element, so
// the gate, the reports and the server treat them like any other finding.
package threat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

// TargetKind is the finding.Target kind of a model.
const TargetKind = "model"

// Params tune the rules that compare with a limit. A standard sets them.
type Params struct {
	// MaxPatchSLADays is the longest patch SLA a host may declare
	// (RL-HOST-003).
	MaxPatchSLADays int `json:"max_patch_sla_days"`
	// RequireAdaptiveAuth makes RL-ZT-004 demand a risk signal on every
	// interface a person's request passes.
	RequireAdaptiveAuth bool `json:"require_adaptive_auth"`
}

// DefaultParams returns the parameters used without a standard.
func DefaultParams() Params { return Params{MaxPatchSLADays: 30} }

// Options configure a check.
type Options struct {
	// Rules are the rules to run; nil runs Builtin() at their matrix
	// severities with no red lines.
	Rules []Rule
	// Params of the rules; the zero value means DefaultParams().
	Params Params
	// Standard is "name@version" of the standard the rules come from,
	// recorded in each finding's mappings; "" when none.
	Standard string
	// Now returns the time exceptions are judged at; nil means time.Now.
	Now func() time.Time
}

// Result is what a check found.
type Result struct {
	// Target names the model: its product, and its content hash as digest.
	Target finding.Target
	// Standard is Options.Standard.
	Standard string
	// Rules are the rules that ran, sorted by id.
	Rules []Rule
	// Findings are the findings no active exception suppressed, sorted by
	// finding.Compare.
	Findings []finding.Finding
	// Excepted are the findings an active exception suppressed, with that
	// exception as a policy ignore (owner, reason, expiry, file, line).
	Excepted []policy.Suppressed
	// RedLines are the fingerprints of the kept findings of red-line rules,
	// sorted: they block approval whatever the threshold.
	RedLines []string
	// Warnings say which exceptions expired and which were refused because
	// their rule is a red line, in exception order.
	Warnings []string
}

// IsRedLine reports whether a kept finding is a red-line finding.
func (r *Result) IsRedLine(fingerprint string) bool {
	_, ok := slices.BinarySearch(r.RedLines, fingerprint)
	return ok
}

// checkFunc finds a rule's weakness in a model.
type checkFunc func(x *evalCtx, emit func(element, detail string))

// evalCtx is what checks see: the graph of the model and the parameters.
type evalCtx struct {
	g      *model.Graph
	m      *model.Model
	params Params
	views  *celViews // built on first use by custom rules
	// exPos is where each exception finding's exception was written, by
	// its element name ("exception/RULE@ELEMENT").
	exPos map[string]model.Pos
}

// Check evaluates the rules on the model and applies the model's
// exceptions. A nil model is an error; a model with dangling references is
// checked as far as it goes (model validation reports them). The context is
// checked between rules.
func Check(ctx context.Context, m *model.Model, opts Options) (*Result, error) {
	if m == nil {
		return nil, fmt.Errorf("check model: no model")
	}
	return CheckGraph(ctx, model.NewGraph(m), opts)
}

// CheckGraph is Check on a model already indexed.
func CheckGraph(ctx context.Context, g *model.Graph, opts Options) (*Result, error) {
	rules := opts.Rules
	if rules == nil {
		rules = Builtin()
	}
	rules = slices.Clone(rules)
	slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	params := opts.Params
	if params == (Params{}) {
		params = DefaultParams()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	m := g.Model
	x := &evalCtx{g: g, m: m, params: params, exPos: make(map[string]model.Pos)}
	res := &Result{
		Target:   finding.Target{Kind: TargetKind, Name: targetName(m.Metadata.Product, m.Metadata.Release), Digest: m.Hash()},
		Standard: opts.Standard,
		Rules:    rules,
	}
	var all []finding.Finding
	byRule := make(map[string]*Rule, len(rules))
	for i := range rules {
		r := &rules[i]
		byRule[strings.ToLower(r.ID)] = r
		if r.check == nil {
			continue // engine rules (exceptions) are raised below
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		seen := make(map[string]bool)
		r.check(x, func(element, detail string) {
			if seen[element] {
				return // one finding per rule and element
			}
			seen[element] = true
			all = append(all, x.finding(r, res, element, detail))
		})
	}
	res.Findings, res.Excepted, res.Warnings = x.applyExceptions(res, byRule, all, now().UTC())
	for i := range res.Findings {
		f := &res.Findings[i]
		if r := byRule[strings.ToLower(f.RuleID)]; r != nil && r.RedLine {
			res.RedLines = append(res.RedLines, f.Fingerprint)
		}
	}
	slices.Sort(res.RedLines)
	slices.SortStableFunc(res.Findings, func(a, b finding.Finding) int { return finding.Compare(&a, &b) })
	slices.SortStableFunc(res.Excepted, func(a, b policy.Suppressed) int { return finding.Compare(&a.Finding, &b.Finding) })
	return res, nil
}

// objectOf names an element in Location.Object: "component/api-gw", or
// "model" for model-wide findings.
func (x *evalCtx) objectOf(element string) string {
	if element == model.ModelElement {
		return model.ModelElement
	}
	if k := x.g.Kind(element); k != "" {
		return string(k) + "/" + element
	}
	if _, ok := x.exPos[element]; ok {
		return element
	}
	return "element/" + element
}

// finding builds the finding of a rule on an element.
func (x *evalCtx) finding(r *Rule, res *Result, element, detail string) finding.Finding {
	pos := x.posOf(element)
	f := finding.Finding{
		Kind:        finding.KindDesign,
		RuleID:      r.ID,
		Title:       r.Title,
		Description: detail,
		Severity:    r.Severity,
		Target:      res.Target,
		Location:    finding.Location{Path: pos.File, Line: pos.Line, Object: x.objectOf(element)},
		Fix:         &finding.Fix{Remediation: r.Mitigation},
		Mappings:    r.mappings(),
		References:  r.references(),
	}
	if res.Standard != "" {
		f.Mappings["standard"] = []string{res.Standard}
	}
	if r.RedLine {
		f.Mappings["red-line"] = []string{cmpOr(res.Standard, "true")}
	}
	f.Fingerprint = fingerprint(&f, x.m.Metadata.Product)
	return f
}

// targetName names the model of one release of a product as a finding
// target: "shop@2026.03". Each release is its own target, so a review of
// one release never marks another release's risks fixed; a model without a
// release is named by its product alone.
func targetName(product, release string) string {
	if release == "" {
		return product
	}
	return product + "@" + release
}

// fingerprint identifies a design risk by rule, product and element: the
// release, and the file and line the element is written at, are left out,
// so a risk keeps its identity from release to release and when the model
// is reformatted or split into includes.
func fingerprint(f *finding.Finding, product string) string {
	id := finding.Finding{
		Kind: f.Kind, RuleID: f.RuleID,
		Target:   finding.Target{Kind: f.Target.Kind, Name: product},
		Location: finding.Location{Object: f.Location.Object},
	}
	return id.ComputeFingerprint()
}

func (x *evalCtx) posOf(element string) model.Pos {
	if element == model.ModelElement {
		return x.m.Pos
	}
	if p, ok := x.exPos[element]; ok {
		return p
	}
	return x.g.Pos(element)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
