package secret

import (
	"fmt"
	"os"
	"regexp"
	"slices"

	"github.com/BurntSushi/toml"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory/tomlshape"
)

// maxConfigSize bounds a gitleaks configuration file.
const maxConfigSize = 4 << 20

// gitleaksConfig is the subset of gitleaks v8's TOML configuration that
// Redline reads.
type gitleaksConfig struct {
	Title       string `toml:"title"`
	Description string `toml:"description"`
	MinVersion  string `toml:"minVersion"`
	Extend      struct {
		UseDefault    bool     `toml:"useDefault"`
		Path          string   `toml:"path"`
		DisabledRules []string `toml:"disabledRules"`
	} `toml:"extend"`
	Rules      []gitleaksRule      `toml:"rules"`
	Allowlist  *gitleaksAllowlist  `toml:"allowlist"`
	Allowlists []gitleaksAllowlist `toml:"allowlists"`
}

type gitleaksRule struct {
	ID          string              `toml:"id"`
	Description string              `toml:"description"`
	Regex       string              `toml:"regex"`
	SecretGroup int                 `toml:"secretGroup"`
	Entropy     float64             `toml:"entropy"`
	Keywords    []string            `toml:"keywords"`
	Path        string              `toml:"path"`
	Tags        []string            `toml:"tags"`
	Allowlist   *gitleaksAllowlist  `toml:"allowlist"`
	Allowlists  []gitleaksAllowlist `toml:"allowlists"`
	Required    []toml.Primitive    `toml:"required"`
	SkipReport  bool                `toml:"skipReport"`
}

type gitleaksAllowlist struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	Paths       []string `toml:"paths"`
	Stopwords   []string `toml:"stopwords"`
	Commits     []string `toml:"commits"`
	TargetRules []string `toml:"targetRules"`
}

// LoadGitleaksConfig reads a gitleaks TOML configuration (.gitleaks.toml).
// Its rules replace Redline's built-in rules unless [extend] useDefault is
// true, in which case they are added to them (a rule with a built-in id
// replaces that rule) and disabledRules are removed.
func LoadGitleaksConfig(path string) (*RuleSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read gitleaks config: %w", err)
	}
	return ParseGitleaksConfig(path, data)
}

// ParseGitleaksConfig is LoadGitleaksConfig on data already read; name is
// used in errors.
func ParseGitleaksConfig(name string, data []byte) (*RuleSet, error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit", name, len(data), maxConfigSize)
	}
	if line, err := tomlshape.Check(data); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	var cfg gitleaksConfig
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	for _, k := range md.Undecoded() {
		// [[rules.required]] is left undecoded on purpose: compile names the rule.
		if len(k) < 2 || k[0] != "rules" || k[1] != "required" {
			return nil, fmt.Errorf("%s: unsupported key %s", name, k)
		}
	}
	if cfg.Extend.Path != "" {
		return nil, fmt.Errorf("%s: [extend] path is not supported; merge %s into this file", name, cfg.Extend.Path)
	}

	var (
		rules    []*Rule
		warnings []string
	)
	byID := map[string]int{}
	if cfg.Extend.UseDefault {
		disabled := map[string]bool{}
		for _, id := range cfg.Extend.DisabledRules {
			disabled[id] = true
		}
		for _, r := range Default().rules {
			if !disabled[r.ID] {
				byID[r.ID] = len(rules)
				rules = append(rules, r)
			}
		}
		// A composite whose parts were disabled goes too.
		kept := rules[:0:0]
		clear(byID)
		for _, r := range rules {
			ok := true
			for _, req := range r.Requires {
				ok = ok && !disabled[req]
			}
			if ok {
				byID[r.ID] = len(kept)
				kept = append(kept, r)
			}
		}
		rules = kept
	}
	for i := range cfg.Rules {
		g := &cfg.Rules[i]
		if len(g.Required) > 0 || g.SkipReport {
			// Composite rules (and the parts only they report) are left out.
			warnings = append(warnings, fmt.Sprintf("rule %s: composite rules ([[rules.required]], skipReport) are not supported; rule skipped", g.ID))
			continue
		}
		r, err := g.compile()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if j, ok := byID[r.ID]; ok {
			rules[j] = r
			continue
		}
		byID[r.ID] = len(rules)
		rules = append(rules, r)
	}

	var global []Allowlist
	if cfg.Extend.UseDefault {
		global = append(global, defaultAllowlist())
	}
	lists := cfg.Allowlists
	if cfg.Allowlist != nil {
		lists = append(lists, *cfg.Allowlist)
	}
	for i := range lists {
		a, use, err := lists[i].compile()
		if err != nil {
			return nil, fmt.Errorf("%s: allowlist: %w", name, err)
		}
		if !use {
			continue
		}
		if len(lists[i].TargetRules) == 0 {
			global = append(global, a)
			continue
		}
		for _, id := range lists[i].TargetRules {
			j, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("%s: allowlist: target rule %s is not defined", name, id)
			}
			// Copy: a default rule is shared with Default().
			r := *rules[j]
			r.Allowlists = append(slices.Clip(r.Allowlists), a)
			rules[j] = &r
		}
	}
	rs, err := NewRuleSet(rules, global...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rs.warnings = warnings
	return rs, nil
}

func (g *gitleaksRule) compile() (*Rule, error) {
	if g.ID == "" {
		return nil, fmt.Errorf("rule %q: missing id", g.Description)
	}
	r := &Rule{ID: g.ID, Title: g.Description, Severity: finding.SeverityHigh, Entropy: g.Entropy,
		SecretGroup: g.SecretGroup, Keywords: append([]string(nil), g.Keywords...)}
	if r.Title == "" {
		r.Title = g.ID
	}
	if g.Regex != "" {
		re, err := regexp.Compile(g.Regex)
		if err != nil {
			return nil, fmt.Errorf("rule %s: regex: %w", g.ID, err)
		}
		r.Regex = re
		r.WholeFile = true // a user's regexp may span lines
		r.inBinary = true  // gitleaks scans binary files with every rule
		if a := anchorOf(g.Regex, r.Keywords); a != nil {
			r.anchor = a
		} else if n := lineReach(g.Regex, r.Keywords); n >= 0 {
			r.windowed, r.reach, r.maxLen = true, n, maxMatchLen(g.Regex)
		}
	}
	if g.Path != "" {
		re, err := regexp.Compile(g.Path)
		if err != nil {
			return nil, fmt.Errorf("rule %s: path: %w", g.ID, err)
		}
		r.PathRegex = re
	}
	if r.Regex == nil && r.PathRegex == nil {
		return nil, fmt.Errorf("rule %s: needs a regex or a path", g.ID)
	}
	lists := g.Allowlists
	if g.Allowlist != nil {
		lists = append(lists, *g.Allowlist)
	}
	for i := range lists {
		a, use, err := lists[i].compile()
		if err != nil {
			return nil, fmt.Errorf("rule %s: allowlist: %w", g.ID, err)
		}
		if use {
			r.Allowlists = append(r.Allowlists, a)
		}
	}
	return r, nil
}

// compile builds one allowlist. Commits never match outside git history,
// so an AND list with commits can never allow anything and is dropped
// (use is false), and an OR list ignores them.
func (g *gitleaksAllowlist) compile() (a Allowlist, use bool, err error) {
	switch g.Condition {
	case "", "OR":
	case "AND":
		a.All = true
	default:
		return a, false, fmt.Errorf("condition %q is not supported (OR or AND)", g.Condition)
	}
	switch g.RegexTarget {
	case "", "secret":
	case "match":
		a.MatchTarget = true
	case "line":
		a.LineTarget = true
	default:
		return a, false, fmt.Errorf("unknown regexTarget %q", g.RegexTarget)
	}
	for _, s := range g.Regexes {
		re, err := regexp.Compile(s)
		if err != nil {
			return a, false, fmt.Errorf("regex %q: %w", s, err)
		}
		a.Regexes = append(a.Regexes, re)
	}
	for _, s := range g.Paths {
		re, err := regexp.Compile(s)
		if err != nil {
			return a, false, fmt.Errorf("path %q: %w", s, err)
		}
		a.PathRegexes = append(a.PathRegexes, re)
	}
	for _, w := range g.Stopwords {
		a.Stopwords = append(a.Stopwords, lower(w))
	}
	return a, !(a.All && len(g.Commits) > 0), nil
}
