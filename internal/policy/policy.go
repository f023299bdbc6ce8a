package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/finding"
)

// DefaultPolicyFile is the conventional name of a policy file.
const DefaultPolicyFile = "redline-policy.yaml"

// APIVersion is the apiVersion a policy file must declare.
const APIVersion = "redline.dev/v1"

// Limits on a policy file. A file past them is refused.
const (
	MaxPolicyFileSize = 1 << 20 // bytes
	MaxRules          = 1000    // rules
	maxRuleIDLen      = 128     // bytes in a rule id
)

// Action is what a matching rule does to the build.
type Action string

// The actions of a rule.
const (
	ActionBlock Action = "block" // the finding blocks the build
	ActionWarn  Action = "warn"  // the finding is reported as a warning
)

// Rule is a CEL expression over a finding with what to do when it is true.
// The expression sees the finding as f (see the package documentation of
// the fields in Policy) and must be of type bool.
type Rule struct {
	// ID names the rule in decisions; unique within a policy.
	ID string
	// Description says in words what the rule forbids and why.
	Description string
	// Expression is the CEL source.
	Expression string
	// Action is ActionBlock or ActionWarn; red lines always block.
	Action Action
	// RedLine marks a rule whose findings block and can never be excepted:
	// no ignore, exception or VEX statement suppresses them.
	RedLine bool
	// File and Line say where the rule was written.
	File string
	Line int

	prg cel.Program
}

// Match reports whether the rule's expression is true for f. An error
// means the expression could not be evaluated on f (for example a map key
// that f lacks, or the cost limit).
func (r *Rule) Match(f *finding.Finding) (bool, error) {
	return r.match(newCELFinding(f))
}

func (r *Rule) match(v *celFinding) (bool, error) {
	if r.prg == nil {
		return false, fmt.Errorf("rule %s was not compiled", r.ID)
	}
	ok, err := eval(r.prg, v)
	if err != nil {
		return false, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	return ok, nil
}

// Policy is a compiled policy file (redline-policy.yaml):
//
//	apiVersion: redline.dev/v1
//	kind: Policy                      # optional
//	thresholds:                       # lowest blocking severity per finding kind
//	  default: high                   # kinds not listed; absent: the --fail-on flag
//	  secret: low
//	  misconfiguration: none
//	rules:
//	  - id: fixable-high
//	    description: High and critical vulnerabilities that have a fix must be fixed
//	    expression: f.kind == "vulnerability" && f.severity >= HIGH && has(f.fix)
//	    action: block                 # block (default) or warn
//	  - id: no-private-keys
//	    description: Private keys never ship
//	    expression: f.kind == "secret" && f.rule_id.startsWith("private-key")
//	    redline: true                 # blocks; no exception or VEX can suppress it
//	exceptions:                       # the entries of an ignore file
//	  - id: CVE-2023-43804
//	    reason: cookies are never sent cross-origin
//	    owner: bob@example.com
//	    expires: 2027-01-31
//
// A rule sees the finding as f with the fields kind, rule_id, aliases,
// title, severity (an int; compare with UNKNOWN, LOW, MEDIUM, HIGH,
// CRITICAL), cvss (the highest base score, 0.0 when none), package {name,
// version, ecosystem, purl}, location {path, line, layer}, fix
// {fixed_versions, upgrade}, mappings (map of string to list of string) and
// target {kind, name, digest}. has(f.package) and has(f.fix) are false when
// the finding has no package, or no fixed version or upgrade.
type Policy struct {
	// File is the file the policy was read from.
	File string
	// Thresholds are the lowest blocking severities by finding kind.
	Thresholds map[finding.Kind]Threshold
	// Default, when HasDefault, is the threshold of kinds Thresholds does
	// not list.
	Default    Threshold
	HasDefault bool
	// Rules in file order.
	Rules []Rule
	// Exceptions work as the entries of an ignore file.
	Exceptions []Ignore
}

// ThresholdFor returns the threshold of findings of kind k: the kind's own,
// else the policy default, else fallback.
func (p *Policy) ThresholdFor(k finding.Kind, fallback Threshold) Threshold {
	if p == nil {
		return fallback
	}
	if t, ok := p.Thresholds[k]; ok {
		return t
	}
	if p.HasDefault {
		return p.Default
	}
	return fallback
}

// knownKinds are the finding kinds a thresholds block may name.
var knownKinds = []finding.Kind{
	finding.KindVulnerability, finding.KindSecret, finding.KindMisconfiguration,
	finding.KindRBAC, finding.KindDesign, finding.KindRuntime, finding.KindSupplyChain,
}

// LoadPolicy reads, decodes and compiles a policy file. Every CEL
// expression is parsed and type-checked here, so that a broken policy fails
// before any scan work; errors read "file:line: …".
func LoadPolicy(name string) (*Policy, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPolicyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy file %s: %w", name, err)
	}
	return ParsePolicy(name, data)
}

// ParsePolicy decodes and compiles the YAML of a policy file; name is used
// in errors. It reports every problem it finds (up to 20).
func ParsePolicy(name string, data []byte) (*Policy, error) {
	if len(data) > MaxPolicyFileSize {
		return nil, fmt.Errorf("%s: policy file is larger than %d bytes", name, MaxPolicyFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty policy file (want apiVersion: %s)", name, APIVersion)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s:%d: a policy file holds one YAML document", name, extra.Line)
	}
	env, err := newCELEnv()
	if err != nil {
		return nil, err
	}
	pp := policyParser{parser: parser{name: name}, env: env}
	pol := pp.file(&doc)
	if len(pp.errs) > 0 {
		return nil, errors.Join(pp.errs...)
	}
	return pol, nil
}

type policyParser struct {
	parser
	env *cel.Env
}

func (p *policyParser) file(doc *yaml.Node) *Policy {
	pol := &Policy{File: p.name, Thresholds: map[finding.Kind]Threshold{}}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorf(doc.Line, "not a YAML document")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "want a mapping with apiVersion, thresholds, rules and exceptions, got %s", kindName(root))
		return nil
	}
	var version string
	p.mapping(root, func(key string, line int, v *yaml.Node) {
		switch key {
		case "apiVersion":
			version = p.scalar(key, v)
			if version != "" && version != APIVersion {
				p.errorf(v.Line, "apiVersion %q is not supported (want %s)", version, APIVersion)
			}
		case "kind":
			if k := p.scalar(key, v); k != "" && k != "Policy" {
				p.errorf(v.Line, "kind %q: want Policy", k)
			}
		case "thresholds":
			p.thresholds(pol, v)
		case "rules":
			p.rules(pol, v)
		case "exceptions":
			p.exceptions(pol, v)
		default:
			p.errorf(line, "unknown key %q (want apiVersion, kind, thresholds, rules, exceptions)", key)
		}
	})
	if version == "" {
		p.errorf(root.Line, "missing apiVersion (want %s)", APIVersion)
	}
	return pol
}

// scalar returns the trimmed value of a scalar node, reporting other kinds.
func (p *policyParser) scalar(key string, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		p.errorf(v.Line, "%s: want a single value, got %s", key, kindName(v))
		return ""
	}
	if isNull(v) {
		return ""
	}
	return strings.TrimSpace(v.Value)
}

func (p *policyParser) thresholds(pol *Policy, n *yaml.Node) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "thresholds: want a mapping of finding kind to severity, got %s", kindName(n))
		return
	}
	p.mapping(n, func(key string, line int, v *yaml.Node) {
		k := finding.Kind(key)
		if key != "default" && !slices.Contains(knownKinds, k) {
			names := make([]string, len(knownKinds))
			for i, k := range knownKinds {
				names[i] = string(k)
			}
			p.errorf(line, "thresholds: unknown finding kind %q (want default, %s)", key, strings.Join(names, ", "))
			return
		}
		s := p.scalar("thresholds: "+key, v)
		if s == "" {
			p.errorf(v.Line, "thresholds: %s: missing severity", key)
			return
		}
		t, err := ParseThreshold(s)
		if err != nil {
			p.errorf(v.Line, "thresholds: %s: %v", key, err)
			return
		}
		if key == "default" {
			pol.Default, pol.HasDefault = t, true
			return
		}
		pol.Thresholds[k] = t
	})
}

func (p *policyParser) rules(pol *Policy, n *yaml.Node) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "rules: want a list, got %s", kindName(n))
		return
	}
	if len(n.Content) > MaxRules {
		p.errorf(n.Line, "rules: %d entries; at most %d are allowed", len(n.Content), MaxRules)
		return
	}
	ids := make(map[string]int)
	for i, item := range n.Content {
		r, ok := p.rule(i, item)
		if !ok {
			continue
		}
		if first, dup := ids[r.ID]; dup {
			p.errorf(item.Line, "rules[%d]: duplicate rule id %q (first at line %d)", i, r.ID, first)
			continue
		}
		ids[r.ID] = item.Line
		pol.Rules = append(pol.Rules, r)
	}
}

func (p *policyParser) rule(i int, n *yaml.Node) (Rule, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "rules[%d]: want a mapping with id, description, expression and action, got %s", i, kindName(n))
		return Rule{}, false
	}
	before := len(p.errs)
	r := Rule{File: p.name, Line: n.Line, Action: ActionBlock}
	var expr *yaml.Node
	action := ""
	p.mapping(n, func(key string, line int, v *yaml.Node) {
		label := fmt.Sprintf("rules[%d]: %s", i, key)
		switch key {
		case "id":
			r.ID = p.scalar(label, v)
			if len(r.ID) > maxRuleIDLen {
				p.errorf(v.Line, "rules[%d]: id is longer than %d bytes", i, maxRuleIDLen)
			}
		case "description":
			r.Description = p.scalar(label, v)
			if len(r.Description) > maxReasonLen {
				p.errorf(v.Line, "rules[%d]: description is longer than %d bytes", i, maxReasonLen)
			}
		case "expression":
			r.Expression = p.scalar(label, v)
			expr = v
		case "action":
			action = p.scalar(label, v)
		case "redline":
			s := p.scalar(label, v)
			switch strings.ToLower(s) {
			case "true":
				r.RedLine = true
			case "false":
			default:
				p.errorf(v.Line, "rules[%d]: redline: want true or false, got %q", i, s)
			}
		default:
			p.errorf(line, "rules[%d]: unknown key %q (want id, description, expression, action, redline)", i, key)
		}
	})
	switch action {
	case "", "block":
	case "warn":
		r.Action = ActionWarn
		if r.RedLine {
			p.errorf(n.Line, "rules[%d]: a red line always blocks; remove action: warn", i)
		}
	default:
		p.errorf(n.Line, "rules[%d]: action %q: want block or warn", i, action)
	}
	for _, req := range []struct{ key, val string }{
		{"id", r.ID}, {"description", r.Description}, {"expression", r.Expression},
	} {
		if req.val == "" {
			p.errorf(n.Line, "rules[%d]: missing %s", i, req.key)
		}
	}
	if r.Expression != "" {
		p.compile(i, &r, expr)
	}
	return r, len(p.errs) == before
}

// compile type-checks a rule's expression and reports CEL's errors at the
// line of the file they are on.
func (p *policyParser) compile(i int, r *Rule, n *yaml.Node) {
	if len(r.Expression) > MaxExpressionLen {
		p.errorf(n.Line, "rules[%d] %s: expression is longer than %d bytes", i, r.ID, MaxExpressionLen)
		return
	}
	prg, errs := compileRule(p.env, r.Expression)
	if len(errs) == 0 {
		r.prg = prg
		return
	}
	// A block scalar (| or >) starts on the line after its indicator; a
	// flow scalar on its own line. Folded and multi-line flow scalars may
	// shift later lines; the column inside the expression stays exact.
	first := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++
	}
	for _, e := range errs {
		p.errorf(first+e.line-1, "rules[%d] %s: CEL: %s (expression line %d, column %d)", i, r.ID, e.msg, e.line, e.column)
	}
}

func (p *policyParser) exceptions(pol *Policy, n *yaml.Node) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "exceptions: want a list, got %s", kindName(n))
		return
	}
	if len(n.Content) > MaxIgnores {
		p.errorf(n.Line, "exceptions: %d entries; at most %d are allowed", len(n.Content), MaxIgnores)
		return
	}
	for i, item := range n.Content {
		if ig, ok := p.entry("exceptions", i, item); ok {
			pol.Exceptions = append(pol.Exceptions, ig)
		}
	}
}
