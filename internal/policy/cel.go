package policy

import (
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/redline-sec/redline/internal/finding"
)

// Limits on CEL rule expressions.
const (
	MaxExpressionLen = 4096   // bytes in one expression
	maxCELCost       = 100000 // runtime cost of one evaluation (see cel.CostLimit)
	maxCELRecursion  = 64     // parser nesting depth
)

// celFinding is what a rule expression sees as f. Its fields carry cel
// tags: the names rule authors write.
type celFinding struct {
	Kind     string              `cel:"kind"`
	RuleID   string              `cel:"rule_id"`
	Aliases  []string            `cel:"aliases"`
	Title    string              `cel:"title"`
	Severity int                 `cel:"severity"`
	CVSS     float64             `cel:"cvss"` // highest base score; 0 when none
	Package  *celPackage         `cel:"package"`
	Location celLocation         `cel:"location"`
	Fix      *celFix             `cel:"fix"`
	Mappings map[string][]string `cel:"mappings"`
	Target   celTarget           `cel:"target"`
}

type celPackage struct {
	Name      string `cel:"name"`
	Version   string `cel:"version"`
	Ecosystem string `cel:"ecosystem"`
	PURL      string `cel:"purl"`
}

type celLocation struct {
	Path  string `cel:"path"`
	Line  int    `cel:"line"`
	Layer string `cel:"layer"`
}

type celFix struct {
	FixedVersions []string `cel:"fixed_versions"`
	Upgrade       string   `cel:"upgrade"`
}

type celTarget struct {
	Kind   string `cel:"kind"`
	Name   string `cel:"name"`
	Digest string `cel:"digest"`
}

// severityConstants are the names a rule compares f.severity with.
var severityConstants = [...]struct {
	name string
	sev  finding.Severity
}{
	{"UNKNOWN", finding.SeverityUnknown},
	{"LOW", finding.SeverityLow},
	{"MEDIUM", finding.SeverityMedium},
	{"HIGH", finding.SeverityHigh},
	{"CRITICAL", finding.SeverityCritical},
}

// newCELEnv returns the environment every rule is compiled in: the variable
// f of the finding type and the severity constants.
func newCELEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeFor[celFinding](), ext.ParseStructTags(true)),
		cel.Variable("f", cel.ObjectType("policy.celFinding")),
		ext.Strings(),
		cel.ParserRecursionLimit(maxCELRecursion),
		cel.ParserExpressionSizeLimit(MaxExpressionLen),
	}
	for _, c := range severityConstants {
		opts = append(opts, cel.Constant(c.name, cel.IntType, types.Int(c.sev)))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return env, nil
}

// celError is one problem CEL found in an expression; line and column are
// 1-based within the expression.
type celError struct {
	line, column int
	msg          string
}

// compileRule parses and type-checks expr and returns its program. It
// returns the problems found instead when there are any.
func compileRule(env *cel.Env, expr string) (cel.Program, []celError) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var out []celError
		for _, e := range iss.Errors() {
			loc := e.Location
			out = append(out, celError{line: loc.Line(), column: loc.Column() + 1, msg: e.Message})
		}
		return nil, out
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, []celError{{line: 1, column: 1, msg: fmt.Sprintf("expression must be a bool, not %s", ast.OutputType())}}
	}
	prg, err := env.Program(ast, cel.CostLimit(maxCELCost))
	if err != nil {
		return nil, []celError{{line: 1, column: 1, msg: err.Error()}}
	}
	return prg, nil
}

// newCELFinding builds the view of f that rule expressions see.
func newCELFinding(f *finding.Finding) *celFinding {
	v := &celFinding{
		Kind:     string(f.Kind),
		RuleID:   f.RuleID,
		Aliases:  f.Aliases,
		Title:    f.Title,
		Severity: int(f.Severity),
		Location: celLocation{Path: strings.TrimPrefix(f.Location.Path, "./"), Line: f.Location.Line, Layer: f.Location.Layer},
		Mappings: f.Mappings,
		Target:   celTarget{Kind: f.Target.Kind, Name: f.Target.Name, Digest: f.Target.Digest},
	}
	if v.Aliases == nil {
		v.Aliases = []string{}
	}
	if v.Mappings == nil {
		v.Mappings = map[string][]string{}
	}
	for _, c := range f.CVSS {
		v.CVSS = max(v.CVSS, c.Score)
	}
	if p := f.Package; p != nil {
		v.Package = &celPackage{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL}
	}
	if x := f.Fix; x != nil && (len(x.FixedVersions) > 0 || x.Upgrade != "") {
		v.Fix = &celFix{FixedVersions: x.FixedVersions, Upgrade: x.Upgrade}
		if v.Fix.FixedVersions == nil {
			v.Fix.FixedVersions = []string{}
		}
	}
	return v
}

// eval runs a compiled rule on a finding view.
func eval(prg cel.Program, v *celFinding) (bool, error) {
	out, _, err := prg.Eval(map[string]any{"f": v})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("result is %s, not a bool", out.Type().TypeName())
	}
	return b, nil
}
