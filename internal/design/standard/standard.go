// Package standard reads, checks and compares security standards: versioned,
// named rule packs (name@version) that say which threat rules apply to an
// architecture model, at which severity, which of them are red lines, which
// custom CEL rules a team adds, and which generic items its review checklist
// asks (Redline's default checklist when it declares none). A published
// version is immutable: its canonical content is hashed and a lock file (or
// the server's registry) detects a change made without a new version.
package standard

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
)

// APIVersion is the apiVersion a standard file declares, and Kind its kind.
const (
	APIVersion = "redline.dev/v1"
	Kind       = "Standard"
)

// Limits on a standard file.
const (
	MaxFileSize     = 1 << 20 // bytes
	MaxRules        = 2000    // enabled, severity, red-line and custom entries each
	maxTextLen      = 8192    // bytes in a title, description, rationale or mitigation
	maxErrors       = 20
	dateLayout      = "2006-01-02"
	maxNameLen      = 64
	maxVersionLen   = 32
	maxRuleIDLength = 64
)

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	ruleIDRE  = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)
)

// Standard is one version of a rule pack.
type Standard struct {
	// Name and Version identify the standard: Ref() is "name@version".
	Name    string
	Version string
	Title   string
	// Description says what the standard is for, in words.
	Description string
	// From and Until bound the dates (UTC) the standard is in force; a zero
	// Until means open-ended. Until is the last day it applies.
	From, Until time.Time
	// Rules are the ids of the enabled built-in rules, sorted.
	Rules []string
	// Severity overrides the matrix severity of enabled rules.
	Severity map[string]finding.Severity
	// RedLines are the ids of the rules (built-in or custom) whose findings
	// block approval and cannot be excepted, sorted.
	RedLines []string
	// Params tune the rules that compare with a limit.
	Params threat.Params
	// Custom are the rules this standard defines in CEL, sorted by id.
	Custom []threat.CustomRule
	// Checklist are the generic review checklist items the standard
	// declares, in the order the review asks them; nil when it declares
	// none, and then the review asks DefaultChecklist (see
	// ChecklistItems).
	Checklist []ChecklistItem
	// File is where the standard was read from; "" for a built-in one.
	File string

	compiled []threat.Rule
	// checklist is Checklist, or the default checklist when it is nil.
	checklist []ChecklistItem
}

// Ref returns "name@version".
func (s *Standard) Ref() string { return s.Name + "@" + s.Version }

// ThreatRules returns the rules the standard runs: the enabled built-in rules
// with the standard's severities and red lines, then its custom rules,
// sorted by id.
func (s *Standard) ThreatRules() []threat.Rule {
	return slices.Clone(s.compiled)
}

// ChecklistItems returns the generic checklist items a review under the
// standard asks (when their condition holds): its own, or Redline's default
// checklist when it declares none.
func (s *Standard) ChecklistItems() []ChecklistItem {
	return slices.Clone(s.checklist)
}

// InForce reports whether the standard applies on the day of t.
func (s *Standard) InForce(t time.Time) bool {
	day := t.UTC().Truncate(24 * time.Hour)
	if day.Before(s.From) {
		return false
	}
	return s.Until.IsZero() || !day.After(s.Until)
}

// IsRedLine reports whether the rule id is a red line of the standard.
func (s *Standard) IsRedLine(id string) bool {
	_, ok := slices.BinarySearch(s.RedLines, id)
	return ok
}

// canonical is the content of a standard that its hash covers: everything
// but where it was read from, in a fixed order.
type canonical struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	From        string            `json:"from"`
	Until       string            `json:"until"`
	Rules       []string          `json:"rules"`
	Severity    map[string]string `json:"severity"`
	RedLines    []string          `json:"red_lines"`
	Params      threat.Params     `json:"params"`
	Custom      []canonicalCustom `json:"custom"`
	// Checklist is omitted when the standard declares none, so standards
	// published before the section existed keep their hashes.
	Checklist []canonicalChecklistItem `json:"checklist,omitempty"`
}

// canonicalChecklistItem is a checklist item; the items keep their order,
// which is the order a review asks them in.
type canonicalChecklistItem struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	When  string `json:"when"`
}

type canonicalCustom struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Layer      string `json:"layer"`
	STRIDE     string `json:"stride"`
	CWE        int    `json:"cwe"`
	Likelihood string `json:"likelihood"`
	Impact     string `json:"impact"`
	Over       string `json:"over"`
	Expression string `json:"expression"`
	Rationale  string `json:"rationale"`
	Mitigation string `json:"mitigation"`
}

// Canonical returns the canonical encoding of the standard's content: JSON
// with fixed field order, sorted lists and maps, dates as YYYY-MM-DD. Two
// files that say the same thing in a different order or layout encode the
// same. Checklist items keep their order (a review asks them in it); a
// standard without a checklist section encodes no checklist, so the
// default checklist is not part of its hash.
func (s *Standard) Canonical() []byte {
	c := canonical{
		Name: s.Name, Version: s.Version, Title: s.Title, Description: s.Description,
		From: formatDate(s.From), Until: formatDate(s.Until),
		Rules: sortedCopy(s.Rules), RedLines: sortedCopy(s.RedLines),
		Severity: make(map[string]string, len(s.Severity)),
		Params:   s.Params,
		Custom:   make([]canonicalCustom, 0, len(s.Custom)),
	}
	for id, sev := range s.Severity {
		c.Severity[id] = sev.String()
	}
	for _, r := range s.Custom {
		c.Custom = append(c.Custom, canonicalCustom{
			ID: r.ID, Title: r.Title, Layer: string(r.Layer), STRIDE: string(r.STRIDE), CWE: r.CWE,
			Likelihood: r.Likelihood.String(), Impact: r.Impact.String(), Over: r.Over,
			Expression: r.Expression, Rationale: r.Rationale, Mitigation: r.Mitigation,
		})
	}
	slices.SortFunc(c.Custom, func(a, b canonicalCustom) int { return strings.Compare(a.ID, b.ID) })
	for _, it := range s.Checklist {
		c.Checklist = append(c.Checklist, canonicalChecklistItem{ID: it.ID, Title: it.Title, When: it.When})
	}
	b, _ := json.Marshal(c) // cannot fail: strings, ints, bools and maps of strings
	return b
}

// Hash returns "sha256:<hex>" of the canonical encoding.
func (s *Standard) Hash() string {
	sum := sha256.Sum256(s.Canonical())
	return "sha256:" + hex.EncodeToString(sum[:])
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

func sortedCopy(xs []string) []string {
	out := slices.Clone(xs)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

// file is the YAML layout of a standard file:
//
//	apiVersion: redline.dev/v1
//	kind: Standard
//	metadata:
//	  name: corp-baseline
//	  version: 2026H1
//	  title: Corporate security baseline
//	  description: …
//	  effective: {from: 2026-01-01, until: 2026-06-30}
//	rules:                         # the enabled built-in rules, listed explicitly
//	  - RL-NET-001
//	severity: {RL-APP-002: high}   # overrides of the matrix severity
//	redLines: [RL-NET-002]         # block approval; cannot be excepted
//	parameters: {maxPatchSlaDays: 30, requireAdaptiveAuth: false}
//	customRules:
//	  - id: CORP-GW-001
//	    title: Internet-facing component without WAF
//	    layer: gateway
//	    stride: tampering
//	    cwe: 693
//	    likelihood: likely
//	    impact: high
//	    over: component            # component, interface, zone, data, runtime or model
//	    condition: component.zone == "internet" && !component.controls.application.waf
//	    rationale: …
//	    mitigation: …
//	checklist:                     # generic review items; omitted: the default checklist
//	  - id: CORP-PENTEST
//	    title: A penetration test covers the internet-facing components
//	    when: components.exists(c, c.reachableFromInternet && !c.outOfScope)
type file struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   fileMetadata      `yaml:"metadata"`
	Rules      []string          `yaml:"rules"`
	Severity   map[string]string `yaml:"severity"`
	RedLines   []string          `yaml:"redLines"`
	Parameters *fileParams       `yaml:"parameters"`
	Custom     []fileCustom      `yaml:"customRules"`
	// Checklist is nil when the section is absent (or null).
	Checklist *[]fileChecklistItem `yaml:"checklist"`
}

type fileMetadata struct {
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Effective   struct {
		From  string `yaml:"from"`
		Until string `yaml:"until"`
	} `yaml:"effective"`
}

type fileParams struct {
	MaxPatchSLADays     *int  `yaml:"maxPatchSlaDays"`
	RequireAdaptiveAuth *bool `yaml:"requireAdaptiveAuth"`
}

type fileCustom struct {
	ID         string    `yaml:"id"`
	Title      string    `yaml:"title"`
	Layer      string    `yaml:"layer"`
	STRIDE     string    `yaml:"stride"`
	CWE        int       `yaml:"cwe"`
	Likelihood string    `yaml:"likelihood"`
	Impact     string    `yaml:"impact"`
	Over       string    `yaml:"over"`
	Condition  yaml.Node `yaml:"condition"`
	Rationale  string    `yaml:"rationale"`
	Mitigation string    `yaml:"mitigation"`
	line       int
}

// UnmarshalYAML keeps the line of each custom rule and refuses unknown
// keys.
func (c *fileCustom) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys[fileCustom](n); err != nil {
		return err
	}
	type plain fileCustom
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = fileCustom(p)
	c.line = n.Line
	return nil
}

// Load reads a standard file.
func Load(name string) (*Standard, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read standard: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read standard %s: %w", name, err)
	}
	return Parse(name, data)
}

// Parse decodes, validates and compiles a standard; name is used in errors,
// which read "name:line: …". Unknown keys, unknown rule ids and CEL errors
// are all errors: a standard either loads whole or not at all.
func Parse(name string, data []byte) (*Standard, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: standard is larger than %d bytes", name, MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty standard (want apiVersion: %s)", name, APIVersion)
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, fmt.Errorf("%s:%d: a standard file holds one YAML document", name, extra.Line)
	}
	return build(name, &f)
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError rewrites yaml.v3's "line N: msg" errors as "name:N: msg".
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		errs := make([]error, 0, len(te.Errors))
		for _, e := range te.Errors {
			if m := yamlLineRE.FindStringSubmatch(e); m != nil {
				errs = append(errs, fmt.Errorf("%s:%s: %s", name, m[1], m[2]))
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s", name, e))
		}
		return errors.Join(errs...)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", name, msg)
}

type builder struct {
	name string
	errs []error
}

func (b *builder) errorf(line int, format string, args ...any) {
	if len(b.errs) > maxErrors {
		return
	}
	if len(b.errs) == maxErrors {
		b.errs = append(b.errs, fmt.Errorf("%s: too many problems; stopped", b.name))
		return
	}
	where := b.name
	if line > 0 {
		where = fmt.Sprintf("%s:%d", b.name, line)
	}
	b.errs = append(b.errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

func build(name string, f *file) (*Standard, error) {
	b := &builder{name: name}
	if f.APIVersion != APIVersion {
		b.errorf(0, "apiVersion %q: want %s", f.APIVersion, APIVersion)
	}
	if f.Kind != Kind {
		b.errorf(0, "kind %q: want %s", f.Kind, Kind)
	}
	md := &f.Metadata
	s := &Standard{
		Name: md.Name, Version: md.Version, Title: md.Title, Description: md.Description,
		Severity: map[string]finding.Severity{}, Params: threat.DefaultParams(),
	}
	switch {
	case !nameRE.MatchString(s.Name) || len(s.Name) > maxNameLen:
		b.errorf(0, "metadata.name %q: want lower-case letters, digits and dashes (at most %d)", s.Name, maxNameLen)
	case !versionRE.MatchString(s.Version) || len(s.Version) > maxVersionLen:
		b.errorf(0, "metadata.version %q: want letters, digits, dots, dashes, underscores (at most %d)", s.Version, maxVersionLen)
	}
	if len(s.Title) > maxTextLen || len(s.Description) > maxTextLen {
		b.errorf(0, "metadata: title or description longer than %d bytes", maxTextLen)
	}
	var err error
	if s.From, err = time.Parse(dateLayout, md.Effective.From); err != nil {
		b.errorf(0, "metadata.effective.from %q: want a date YYYY-MM-DD", md.Effective.From)
	}
	if md.Effective.Until != "" {
		if s.Until, err = time.Parse(dateLayout, md.Effective.Until); err != nil {
			b.errorf(0, "metadata.effective.until %q: want a date YYYY-MM-DD", md.Effective.Until)
		} else if s.Until.Before(s.From) {
			b.errorf(0, "metadata.effective: until %s is before from %s", md.Effective.Until, md.Effective.From)
		}
	}
	if len(f.Rules) > MaxRules || len(f.Severity) > MaxRules || len(f.RedLines) > MaxRules || len(f.Custom) > MaxRules {
		b.errorf(0, "more than %d entries in rules, severity, redLines or customRules", MaxRules)
		return nil, errors.Join(b.errs...)
	}
	if p := f.Parameters; p != nil {
		if p.MaxPatchSLADays != nil {
			if *p.MaxPatchSLADays < 1 || *p.MaxPatchSLADays > 3650 {
				b.errorf(0, "parameters.maxPatchSlaDays %d: want 1 to 3650", *p.MaxPatchSLADays)
			}
			s.Params.MaxPatchSLADays = *p.MaxPatchSLADays
		}
		if p.RequireAdaptiveAuth != nil {
			s.Params.RequireAdaptiveAuth = *p.RequireAdaptiveAuth
		}
	}

	builtin := make(map[string]threat.Rule)
	for _, r := range threat.Builtin() {
		builtin[r.ID] = r
	}
	enabled := make(map[string]bool)
	for _, id := range f.Rules {
		if _, ok := builtin[id]; !ok {
			b.errorf(0, "rules: unknown built-in rule %q (see redline model rules)", id)
			continue
		}
		if enabled[id] {
			b.errorf(0, "rules: %s is listed twice", id)
			continue
		}
		enabled[id] = true
		s.Rules = append(s.Rules, id)
	}
	slices.Sort(s.Rules)

	custom := make(map[string]bool)
	for i := range f.Custom {
		c := &f.Custom[i]
		r, errs := customRule(c)
		for _, e := range errs {
			b.errorf(e.line, "customRules[%d] %s: %s", i, c.ID, e.msg)
		}
		if len(errs) > 0 {
			continue
		}
		if _, ok := builtin[r.ID]; ok {
			b.errorf(c.line, "customRules[%d]: id %s is a built-in rule; custom rules need their own ids", i, r.ID)
			continue
		}
		if custom[r.ID] {
			b.errorf(c.line, "customRules[%d]: duplicate id %s", i, r.ID)
			continue
		}
		custom[r.ID] = true
		s.Custom = append(s.Custom, r)
	}
	slices.SortFunc(s.Custom, func(a, b threat.CustomRule) int { return strings.Compare(a.ID, b.ID) })

	for id, v := range f.Severity {
		if !enabled[id] && !custom[id] {
			b.errorf(0, "severity: %s is not an enabled or custom rule of this standard", id)
			continue
		}
		sev, err := finding.ParseSeverity(v)
		if err != nil || sev == finding.SeverityUnknown {
			b.errorf(0, "severity of %s: %q: want low, medium, high or critical", id, v)
			continue
		}
		s.Severity[id] = sev
	}
	seenRL := make(map[string]bool)
	for _, id := range f.RedLines {
		if !enabled[id] && !custom[id] {
			b.errorf(0, "redLines: %s is not an enabled or custom rule of this standard", id)
			continue
		}
		if !seenRL[id] {
			seenRL[id] = true
			s.RedLines = append(s.RedLines, id)
		}
	}
	slices.Sort(s.RedLines)
	taken := make(map[string]bool, len(builtin)+len(custom))
	for id := range builtin {
		taken[id] = true
	}
	for id := range custom {
		taken[id] = true
	}
	if f.Checklist != nil {
		if len(*f.Checklist) == 0 {
			b.errorf(0, "checklist: no items; omit the section for Redline's default checklist")
		} else {
			s.Checklist = b.checklist(*f.Checklist, taken)
			s.checklist = s.Checklist
		}
	} else {
		def, err := DefaultChecklist()
		if err != nil {
			return nil, err
		}
		for _, it := range def {
			if custom[it.ID] {
				b.errorf(0, "customRules: id %s is an item of the default checklist; choose another id or declare a checklist", it.ID)
			}
		}
		s.checklist = def
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	s.File = name
	if err := s.compile(builtin); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

type problem struct {
	line int
	msg  string
}

// customRule checks a custom rule's fields and compiles its condition.
func customRule(c *fileCustom) (threat.CustomRule, []problem) {
	var probs []problem
	bad := func(format string, args ...any) { probs = append(probs, problem{c.line, fmt.Sprintf(format, args...)}) }
	r := threat.CustomRule{ID: c.ID, Title: c.Title, CWE: c.CWE, Over: c.Over, Rationale: c.Rationale, Mitigation: c.Mitigation}
	if !ruleIDRE.MatchString(c.ID) || len(c.ID) > maxRuleIDLength {
		bad("id %q: want upper-case words joined by dashes, such as CORP-GW-001", c.ID)
	}
	if c.Title == "" || c.Rationale == "" || c.Mitigation == "" {
		bad("title, rationale and mitigation are required")
	}
	if len(c.Title) > maxTextLen || len(c.Rationale) > maxTextLen || len(c.Mitigation) > maxTextLen {
		bad("title, rationale or mitigation longer than %d bytes", maxTextLen)
	}
	var err error
	if r.Layer, err = threat.ParseLayer(c.Layer); err != nil {
		bad("%v", err)
	}
	if r.STRIDE, err = threat.ParseSTRIDE(c.STRIDE); err != nil {
		bad("%v", err)
	}
	if r.Likelihood, err = threat.ParseLikelihood(c.Likelihood); err != nil {
		bad("%v", err)
	}
	if r.Impact, err = threat.ParseImpact(c.Impact); err != nil {
		bad("%v", err)
	}
	if c.CWE < 0 || c.CWE > 100000 {
		bad("cwe %d out of range", c.CWE)
	}
	if c.Condition.Kind != yaml.ScalarNode || c.Condition.Value == "" {
		bad("condition: want a CEL expression")
		return r, probs
	}
	r.Expression = c.Condition.Value
	if len(probs) > 0 {
		return r, probs
	}
	// A block scalar (| or >) starts on the line after its indicator.
	first := c.Condition.Line
	if c.Condition.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++
	}
	if _, err := threat.CompileCustom(r); err != nil {
		var ce *threat.CELError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				probs = append(probs, problem{first + p.Line - 1, fmt.Sprintf("CEL: %s (expression line %d, column %d)", p.Message, p.Line, p.Column)})
			}
			return r, probs
		}
		probs = append(probs, problem{c.Condition.Line, err.Error()})
	}
	return r, probs
}

// compile builds the rules the standard runs.
func (s *Standard) compile(builtin map[string]threat.Rule) error {
	s.compiled = s.compiled[:0]
	for _, id := range s.Rules {
		r := builtin[id]
		if sev, ok := s.Severity[id]; ok {
			r.Severity = sev
		}
		r.RedLine = s.IsRedLine(id)
		s.compiled = append(s.compiled, r)
	}
	for _, c := range s.Custom {
		r, err := threat.CompileCustom(c)
		if err != nil {
			return fmt.Errorf("custom rule %s: %w", c.ID, err)
		}
		if sev, ok := s.Severity[c.ID]; ok {
			r.Severity = sev
		}
		r.RedLine = s.IsRedLine(c.ID)
		s.compiled = append(s.compiled, r)
	}
	slices.SortFunc(s.compiled, func(a, b threat.Rule) int { return strings.Compare(a.ID, b.ID) })
	return nil
}

// EffectiveSeverity returns the severity the standard gives a rule it runs,
// and false when it does not run the rule.
func (s *Standard) EffectiveSeverity(id string) (finding.Severity, bool) {
	i, ok := slices.BinarySearchFunc(s.compiled, id, func(r threat.Rule, id string) int { return strings.Compare(r.ID, id) })
	if !ok {
		return finding.SeverityUnknown, false
	}
	return s.compiled[i].Severity, true
}
