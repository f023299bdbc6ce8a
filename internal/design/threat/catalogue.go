package threat

import (
	"slices"
	"strings"
)

// Builtin returns the built-in rules, sorted by id, at their matrix
// severities and with no red lines (a standard sets those). Each call
// returns a new slice.
func Builtin() []Rule {
	var all []Rule
	for _, layer := range [][]Rule{
		virtualizationRules(), networkRules(), gatewayRules(), applicationRules(), hostRules(),
		tenantRules(), zeroTrustRules(), dataRules(), modelRules(),
	} {
		all = append(all, layer...)
	}
	slices.SortFunc(all, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return all
}

// Lookup returns the built-in rule with the id.
func Lookup(id string) (Rule, bool) {
	for _, r := range Builtin() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// def builds a built-in rule; its severity comes from the matrix.
func def(id, title string, layer Layer, stride STRIDE, cwe int, l Likelihood, i Impact, threagile, rationale, mitigation string, check checkFunc) Rule {
	return Rule{
		ID: id, Title: title, Layer: layer, STRIDE: stride, CWE: cwe,
		Likelihood: l, Impact: i, Severity: SeverityOf(l, i),
		Rationale: rationale, Mitigation: mitigation, Threagile: threagile,
		check: check,
	}
}

// eachComponent calls fn for every in-scope component, in model order.
func (x *evalCtx) eachComponent(fn func(c *modelComponent)) {
	for i := range x.m.Components {
		c := &x.m.Components[i]
		if c.OutOfScope {
			continue
		}
		fn(c)
	}
}

// eachInterface calls fn for every interface whose ends exist and are not
// both out of scope, in model order.
func (x *evalCtx) eachInterface(fn func(f *modelInterface, from, to *modelComponent)) {
	for i := range x.m.Interfaces {
		f := &x.m.Interfaces[i]
		from, to := x.g.Component(f.From), x.g.Component(f.To)
		if from == nil || to == nil || (from.OutOfScope && to.OutOfScope) {
			continue
		}
		fn(f, from, to)
	}
}
