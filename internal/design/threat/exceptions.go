package threat

import (
	"fmt"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

// The engine's own rules: they judge the model's exceptions, not its
// architecture, so they have no check function.
const (
	ruleUnusedException  = "RL-MOD-009"
	ruleRedLineException = "RL-MOD-010"
)

// elementOf returns the element id a finding's Location.Object names.
func elementOf(object string) string {
	if object == model.ModelElement {
		return object
	}
	_, id, ok := strings.Cut(object, "/")
	if !ok {
		return object
	}
	return id
}

// applyExceptions splits findings into kept and excepted. An active
// exception suppresses the finding of its rule on its element; an expired
// one does not and says so; an exception on a red-line rule never applies,
// is warned about and reported as a finding of RL-MOD-010; an active
// exception that matches no finding is reported by RL-MOD-009.
func (x *evalCtx) applyExceptions(res *Result, byRule map[string]*Rule, all []finding.Finding, now time.Time) (kept []finding.Finding, excepted []policy.Suppressed, warnings []string) {
	exs := x.m.Exceptions
	byKey := make(map[string][]int, len(exs))
	for i := range exs {
		k := strings.ToLower(exs[i].Rule) + "\x00" + exs[i].Element
		byKey[k] = append(byKey[k], i)
	}
	used := make([]bool, len(exs))
	redLined := make([]bool, len(exs))
	for i := range all {
		f := &all[i]
		idx := byKey[strings.ToLower(f.RuleID)+"\x00"+elementOf(f.Location.Object)]
		if len(idx) == 0 {
			kept = append(kept, *f)
			continue
		}
		r := byRule[strings.ToLower(f.RuleID)]
		if r != nil && r.RedLine {
			for _, k := range idx {
				used[k], redLined[k] = true, true
			}
			kept = append(kept, *f)
			continue
		}
		active := -1
		for _, k := range idx {
			used[k] = true
			if active < 0 && exs[k].Active(now) {
				active = k
			}
		}
		if active < 0 {
			kept = append(kept, *f)
			continue
		}
		excepted = append(excepted, policy.Suppressed{Finding: *f, Ignore: asIgnore(&exs[active])})
	}
	for i := range exs {
		e := &exs[i]
		name := "exception/" + e.Rule + "@" + e.Element
		switch {
		case redLined[i]:
			msg := fmt.Sprintf("exception of %s on %s (owner %s, %s) does not apply: %s is a red line and cannot be excepted",
				e.Rule, e.Element, e.Owner, e.Pos, e.Rule)
			warnings = append(warnings, msg)
			if r := byRule[strings.ToLower(ruleRedLineException)]; r != nil {
				x.exPos[name] = e.Pos
				kept = append(kept, x.finding(r, res, name, msg))
			}
		case !e.Active(now):
			warnings = append(warnings, fmt.Sprintf("exception of %s on %s (owner %s, %s) expired on %s; it no longer suppresses",
				e.Rule, e.Element, e.Owner, e.Pos, e.Expires.UTC().Format("2006-01-02")))
		case !used[i]:
			r := byRule[strings.ToLower(ruleUnusedException)]
			if r == nil {
				continue
			}
			x.exPos[name] = e.Pos
			kept = append(kept, x.finding(r, res, name, x.unusedReason(e, byRule)))
		}
	}
	return kept, excepted, warnings
}

// unusedReason says why an exception matched nothing.
func (x *evalCtx) unusedReason(e *model.Exception, byRule map[string]*Rule) string {
	switch {
	case byRule[strings.ToLower(e.Rule)] == nil:
		return fmt.Sprintf("exception names rule %s, which this check does not run", e.Rule)
	case e.Element != model.ModelElement && x.g.Kind(e.Element) == "":
		return fmt.Sprintf("exception of %s names element %q, which the model does not have", e.Rule, e.Element)
	}
	return fmt.Sprintf("exception of %s on %s matches no risk: the rule does not fire there any more; remove the exception", e.Rule, e.Element)
}

func asIgnore(e *model.Exception) policy.Ignore {
	owner := e.Owner
	if e.ApprovedBy != "" {
		owner += " (approved by " + e.ApprovedBy + ")"
	}
	reason := e.Reason
	if e.Ticket != "" {
		reason += " [" + e.Ticket + "]"
	}
	return policy.Ignore{
		ID: e.Rule, Reason: reason, Owner: owner, Expires: e.Expires,
		File: e.Pos.File, Line: e.Pos.Line,
	}
}
