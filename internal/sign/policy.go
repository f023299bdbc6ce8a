package sign

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// Limits on attestation policy expressions.
const (
	// MaxPolicyLen is the longest policy expression, in bytes.
	MaxPolicyLen   = 4096
	maxPolicyCost  = 1_000_000
	maxPolicyDepth = 64
)

// Policy is a compiled CEL condition over an attestation. The expression
// sees:
//
//	statement      the in-toto statement (map)
//	predicate      statement.predicate
//	predicateType  statement.predicateType (string)
//	now            the verification time (timestamp)
//
// and must return a bool.
type Policy struct {
	expr string
	prg  cel.Program
}

// CompilePolicy parses and type-checks expr.
func CompilePolicy(expr string) (*Policy, error) {
	env, err := cel.NewEnv(
		cel.Variable("statement", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("predicate", cel.DynType),
		cel.Variable("predicateType", cel.StringType),
		cel.Variable("now", cel.TimestampType),
		ext.Strings(),
		cel.ParserRecursionLimit(maxPolicyDepth),
		cel.ParserExpressionSizeLimit(MaxPolicyLen),
	)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("policy: %w", iss.Err())
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("policy: expression must be a bool, not %s", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(maxPolicyCost))
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return &Policy{expr: expr, prg: prg}, nil
}

// Eval runs the policy on a statement's JSON. A false result or an
// evaluation error (such as a missing field) is an error saying so.
func (p *Policy) Eval(statement []byte, now time.Time) error {
	var st map[string]any
	if err := json.Unmarshal(statement, &st); err != nil {
		return fmt.Errorf("policy: decode statement: %w", err)
	}
	pt, _ := st["predicateType"].(string)
	out, _, err := p.prg.Eval(map[string]any{
		"statement":     st,
		"predicate":     st["predicate"],
		"predicateType": pt,
		"now":           now.UTC(),
	})
	if err != nil {
		return fmt.Errorf("policy %q: %w", p.expr, err)
	}
	ok, isBool := out.Value().(bool)
	if !isBool {
		return errors.New("policy: result is not a bool")
	}
	if !ok {
		return fmt.Errorf("policy %q is false", p.expr)
	}
	return nil
}

// String returns the expression.
func (p *Policy) String() string { return p.expr }
