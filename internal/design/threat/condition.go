package threat

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"

	"github.com/redline-sec/redline/internal/design/model"
)

// Condition is a compiled boolean CEL expression over a whole model: the
// "when" of a standard's checklist item. It runs in the environment of
// custom rules over the model (the variable model, the classification
// constants, the string extensions, the same size, nesting and cost limits)
// and also sees every element and the standard:
//
//	components, interfaces, zones, data, runtimes: lists of the element
//	  views custom rules see (component.reachableFromInternet, …)
//	exceptions: list of {rule element owner reason approvedBy expires ticket},
//	  expires as YYYY-MM-DD
//	standard: {name version ref rules redLines}
type Condition struct {
	expr string
	prg  cel.Program
}

// celException is an exception as conditions see it.
type celException struct {
	Rule       string `cel:"rule"`
	Element    string `cel:"element"`
	Owner      string `cel:"owner"`
	Reason     string `cel:"reason"`
	ApprovedBy string `cel:"approvedBy"`
	Expires    string `cel:"expires"`
	Ticket     string `cel:"ticket"`
}

// celStandard is the standard under review as conditions see it.
type celStandard struct {
	Name     string   `cel:"name"`
	Version  string   `cel:"version"`
	Ref      string   `cel:"ref"`
	Rules    []string `cel:"rules"`
	RedLines []string `cel:"redLines"`
}

// ConditionEnv is the CEL environment conditions compile in. Building it
// costs more than compiling an expression, so a caller compiling many
// conditions builds it once.
type ConditionEnv struct{ env *cel.Env }

// NewConditionEnv builds the environment of conditions: that of custom
// rules over the model, extended with the element lists, the exceptions
// and the standard.
func NewConditionEnv() (*ConditionEnv, error) {
	base, err := celEnv(OverModel)
	if err != nil {
		return nil, err
	}
	env, err := base.Extend(
		ext.NativeTypes(reflect.TypeFor[celException](), reflect.TypeFor[celStandard](), ext.ParseStructTags(true)),
		cel.Variable("components", cel.ListType(cel.ObjectType("threat.celComponent"))),
		cel.Variable("interfaces", cel.ListType(cel.ObjectType("threat.celInterface"))),
		cel.Variable("zones", cel.ListType(cel.ObjectType("threat.celZone"))),
		cel.Variable("data", cel.ListType(cel.ObjectType("threat.celData"))),
		cel.Variable("runtimes", cel.ListType(cel.ObjectType("threat.celRuntime"))),
		cel.Variable("exceptions", cel.ListType(cel.ObjectType("threat.celException"))),
		cel.Variable("standard", cel.ObjectType("threat.celStandard")),
	)
	if err != nil {
		return nil, fmt.Errorf("build CEL condition environment: %w", err)
	}
	return &ConditionEnv{env: env}, nil
}

// Compile compiles a condition; name (a checklist item id) is used in
// errors. A CEL problem is returned as a *CELError with line and column.
func (e *ConditionEnv) Compile(name, expr string) (*Condition, error) {
	if len(expr) > MaxExpressionLen {
		return nil, fmt.Errorf("%s: expression is longer than %d bytes", name, MaxExpressionLen)
	}
	ast, iss := e.env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		ce := &CELError{Rule: name}
		for _, p := range iss.Errors() {
			ce.Problems = append(ce.Problems, CELProblem{Line: p.Location.Line(), Column: p.Location.Column() + 1, Message: p.Message})
		}
		return nil, ce
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, &CELError{Rule: name, Problems: []CELProblem{{Line: 1, Column: 1, Message: fmt.Sprintf("expression must be a bool, not %s", ast.OutputType())}}}
	}
	prg, err := e.env.Program(ast, cel.CostLimit(maxCELCost))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Condition{expr: expr, prg: prg}, nil
}

// String returns the condition's expression.
func (c *Condition) String() string { return c.expr }

// StandardFacts is what conditions see of the standard under review.
type StandardFacts struct {
	Name, Version string
	// Rules are the ids of the rules the standard runs, RedLines its
	// red-line rule ids.
	Rules, RedLines []string
}

// Scope holds a model's variables as conditions see them, built once and
// shared by every condition evaluated on the model.
type Scope struct{ vars map[string]any }

// NewScope builds the variables of conditions on an indexed model under a
// standard.
func NewScope(g *model.Graph, std StandardFacts) *Scope {
	x := &evalCtx{g: g, m: g.Model, params: DefaultParams()}
	v := x.celViews()
	m := g.Model
	exc := make([]*celException, 0, len(m.Exceptions))
	for i := range m.Exceptions {
		e := &m.Exceptions[i]
		var exp string
		if !e.Expires.IsZero() {
			exp = e.Expires.UTC().Format("2006-01-02")
		}
		exc = append(exc, &celException{Rule: e.Rule, Element: e.Element, Owner: e.Owner, Reason: e.Reason,
			ApprovedBy: e.ApprovedBy, Expires: exp, Ticket: e.Ticket})
	}
	ref := ""
	if std.Name != "" {
		ref = std.Name + "@" + std.Version
	}
	return &Scope{vars: map[string]any{
		OverModel:    v.model,
		"components": nonNilList(v.components),
		"interfaces": nonNilList(v.interfaces),
		"zones":      nonNilList(v.zones),
		"data":       nonNilList(v.data),
		"runtimes":   nonNilList(v.runtimes),
		"exceptions": exc,
		"standard": &celStandard{Name: std.Name, Version: std.Version, Ref: ref,
			Rules: nonNil(std.Rules), RedLines: nonNil(std.RedLines)},
	}}
}

func nonNilList[T any](xs []*T) []*T {
	if xs == nil {
		return []*T{}
	}
	return xs
}

// Eval evaluates the condition on a scope. An error (the cost limit, a
// missing map key) is returned as is; the caller decides what it means.
func (c *Condition) Eval(s *Scope) (bool, error) {
	out, _, err := c.prg.Eval(s.vars)
	if err != nil {
		return false, fmt.Errorf("evaluate %s: %w", c.expr, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %s: got %v, not a bool", c.expr, out.Value())
	}
	return b, nil
}
