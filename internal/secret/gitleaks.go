package secret

import (
	"fmt"
	"os"
	"regexp"

	"github.com/BurntSushi/toml"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory/tomlshape"
)

// maxConfigSize bounds a gitleaks configuration file.
const maxConfigSize = 4 << 20

// gitleaksConfig is the subset of gitleaks v8's TOML configuration that
// Redline reads.
type gitleaksConfig struct {
	Title  string `toml:"title"`
	Extend struct {
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
}

type gitleaksAllowlist struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	Paths       []string `toml:"paths"`
	Stopwords   []string `toml:"stopwords"`
	Commits     []string `toml:"commits"`
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

	var rules []*Rule
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
		r, err := cfg.Rules[i].compile()
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

	var global Allowlist
	if cfg.Extend.UseDefault {
		global = defaultAllowlist()
	}
	lists := cfg.Allowlists
	if cfg.Allowlist != nil {
		lists = append(lists, *cfg.Allowlist)
	}
	for i := range lists {
		if err := lists[i].into(&global); err != nil {
			return nil, fmt.Errorf("%s: allowlist: %w", name, err)
		}
	}
	rs, err := NewRuleSet(rules, global)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rs, nil
}

func (g *gitleaksRule) compile() (*Rule, error) {
	if g.ID == "" {
		return nil, fmt.Errorf("rule %q: missing id", g.Description)
	}
	if len(g.Required) > 0 {
		return nil, fmt.Errorf("rule %s: [[rules.required]] (composite rules) is not supported", g.ID)
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
		if err := lists[i].into(&r.Allow); err != nil {
			return nil, fmt.Errorf("rule %s: allowlist: %w", g.ID, err)
		}
	}
	return r, nil
}

// into adds an allowlist to a. gitleaks' AND condition and commit lists
// have no meaning here and are refused rather than silently widened.
func (g *gitleaksAllowlist) into(a *Allowlist) error {
	if g.Condition != "" && g.Condition != "OR" {
		return fmt.Errorf("condition %q is not supported (only OR)", g.Condition)
	}
	switch g.RegexTarget {
	case "", "secret":
	case "match", "line":
		a.MatchTarget = true
	default:
		return fmt.Errorf("unknown regexTarget %q", g.RegexTarget)
	}
	for _, s := range g.Regexes {
		re, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("regex %q: %w", s, err)
		}
		a.Regexes = append(a.Regexes, re)
	}
	for _, s := range g.Paths {
		re, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("path %q: %w", s, err)
		}
		a.PathRegexes = append(a.PathRegexes, re)
	}
	for _, w := range g.Stopwords {
		a.Stopwords = append(a.Stopwords, lower(w))
	}
	return nil
}
