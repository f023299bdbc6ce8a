// Package secret finds hard-coded credentials in files: a table of rules
// for known token formats and generic assignments, a detector that runs a
// rule's regular expression only on lines holding one of its keywords, and a
// walk.Analyzer that reports what it finds with the secret redacted.
package secret

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/glob"
)

// Rule is one compiled credential format.
type Rule struct {
	// ID is a kebab-case identifier such as "aws-access-key-id".
	ID    string
	Title string
	// Severity of a finding of this rule.
	Severity finding.Severity
	// Keywords are lower-case literals; the rule runs only on lines holding one.
	// A rule without keywords and without Regex is a path-only rule.
	Keywords []string
	// Regex finds the secret. Nil for path-only rules.
	Regex *regexp.Regexp
	// SecretGroup is the capture group holding the secret; 0 means the
	// first non-empty group, or the whole match if there is none.
	SecretGroup int
	// Entropy is the minimum Shannon entropy (bits per character) of the secret.
	Entropy float64
	// WholeFile makes the rule run once on the whole file instead of on the
	// lines holding its keywords (for multi-line formats such as PEM).
	WholeFile bool
	// Paths, if set, limit the rule to files whose path matches one of these
	// globs; a path-only rule reports every matching file.
	Paths []string
	// PathRegex is gitleaks' path condition: a regexp on the path.
	PathRegex *regexp.Regexp
	// Allow lists values that are not secrets for this rule.
	Allow Allowlist
	// Allowlists are further allowlists, each applied on its own (gitleaks'
	// [[rules.allowlists]]).
	Allowlists []Allowlist
	// Requires names rules that must all match within Within lines of each
	// other for this composite rule to report; their own findings are then
	// folded into this one.
	Requires []string
	Within   int

	// Rationale, Remediation and References describe the rule for the catalogue.
	Rationale   string
	Remediation string
	References  []string

	// inBinary rules also run on binary files.
	inBinary bool
	// windowed whole-file rules run on the lines around each keyword hit,
	// reach lines either side, instead of the whole file (see lineReach).
	windowed bool
	reach    int
	// maxLen bounds the bytes a match of a windowed rule spans, -1 if
	// unbounded; the window around a hit is at most maxLen either side.
	maxLen int
	// anchor, when set, matches the rule at each keyword hit instead
	// (see anchorOf); it takes precedence over windowed.
	anchor *anchor
	// generic rules yield to specific rules that found the same secret.
	generic bool
	// check validates a candidate secret beyond the regexp (built-in rules only).
	check func(secret string) bool
	// find replaces Regex for formats a regexp cannot scope (built-in rules
	// only); it returns submatch index slices like FindAllSubmatchIndex.
	find func(r *Rule, content []byte) [][]int
}

// Allowlist says which matches are not secrets.
type Allowlist struct {
	// Paths are globs (internal/glob syntax) of files never reported.
	Paths []string
	// PathRegexes are gitleaks-style regexps on the path.
	PathRegexes []*regexp.Regexp
	// Regexes match secrets (or, with MatchTarget, whole matches; with
	// LineTarget, the lines holding the match) that are allowed.
	Regexes     []*regexp.Regexp
	MatchTarget bool
	LineTarget  bool
	// Stopwords are lower-case substrings that mark a value as a placeholder.
	Stopwords []string
	// All is gitleaks' AND condition: a match is allowed only when every
	// condition that is set holds (path, regexes, stopwords). Its paths then
	// never skip a whole file.
	All bool
}

// allowsPath reports whether the allowlist skips the whole file.
func (a *Allowlist) allowsPath(p string) bool {
	if a.All {
		return false
	}
	return a.pathMatches(p)
}

func (a *Allowlist) pathMatches(p string) bool {
	for _, g := range a.Paths {
		if glob.Match(g, p) {
			return true
		}
	}
	for _, re := range a.PathRegexes {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// candidate is a match being checked against allowlists.
type candidate struct {
	path, secret, match string
	line                func() string // the lines holding the match
}

// allows reports whether the allowlist allows the candidate.
func (a *Allowlist) allows(c *candidate) bool {
	if !a.All {
		return a.regexAllows(c) || a.hasStopword(c.secret)
	}
	set := false
	if len(a.Paths) > 0 || len(a.PathRegexes) > 0 {
		if !a.pathMatches(c.path) {
			return false
		}
		set = true
	}
	if len(a.Regexes) > 0 {
		if !a.regexAllows(c) {
			return false
		}
		set = true
	}
	if len(a.Stopwords) > 0 {
		if !a.hasStopword(c.secret) {
			return false
		}
		set = true
	}
	return set
}

func (a *Allowlist) regexAllows(c *candidate) bool {
	if len(a.Regexes) == 0 {
		return false
	}
	target := c.secret
	switch {
	case a.LineTarget:
		target = c.line()
	case a.MatchTarget:
		target = c.match
	}
	for _, re := range a.Regexes {
		if re.MatchString(target) {
			return true
		}
	}
	return false
}

func (a *Allowlist) hasStopword(secret string) bool {
	if len(a.Stopwords) == 0 {
		return false
	}
	low := strings.ToLower(secret)
	for _, w := range a.Stopwords {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// RuleSet is an immutable, validated set of rules with a global allowlist.
type RuleSet struct {
	rules []*Rule
	byID  map[string]int
	// allow applies to every rule.
	allow    []Allowlist
	warnings []string
}

// NewRuleSet validates rules and builds a set with allowlists that apply
// to every rule. IDs must be unique and composite rules must name rules of
// the set.
func NewRuleSet(rules []*Rule, allow ...Allowlist) (*RuleSet, error) {
	s := &RuleSet{byID: make(map[string]int, len(rules)), allow: allow}
	for _, r := range rules {
		if r.ID == "" {
			return nil, fmt.Errorf("rule %q: empty id", r.Title)
		}
		if _, dup := s.byID[r.ID]; dup {
			return nil, fmt.Errorf("rule %s: duplicate id", r.ID)
		}
		if r.Regex == nil && r.find == nil && len(r.Paths) == 0 && r.PathRegex == nil && len(r.Requires) == 0 {
			return nil, fmt.Errorf("rule %s: no regex and no path", r.ID)
		}
		if r.Regex != nil && r.SecretGroup > r.Regex.NumSubexp() {
			return nil, fmt.Errorf("rule %s: secret group %d but the regex has %d groups", r.ID, r.SecretGroup, r.Regex.NumSubexp())
		}
		if slices.ContainsFunc(r.Keywords, func(k string) bool { return k != strings.ToLower(k) }) {
			// Lower-case a copy: rules may be shared between sets.
			low := make([]string, len(r.Keywords))
			for i, k := range r.Keywords {
				low[i] = strings.ToLower(k)
			}
			r.Keywords = low
		}
		s.byID[r.ID] = len(s.rules)
		s.rules = append(s.rules, r)
	}
	for _, r := range s.rules {
		for _, id := range r.Requires {
			if _, ok := s.byID[id]; !ok {
				return nil, fmt.Errorf("rule %s: requires unknown rule %s", r.ID, id)
			}
		}
	}
	return s, nil
}

// Rules returns the rules of the set sorted by ID.
func (s *RuleSet) Rules() []*Rule {
	out := slices.Clone(s.rules)
	slices.SortFunc(out, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Warnings lists what was left out when the set was loaded from a
// configuration file (rules Redline cannot run), in file order.
func (s *RuleSet) Warnings() []string { return slices.Clone(s.warnings) }

// allowsPath reports whether a global allowlist skips the file.
func (s *RuleSet) allowsPath(p string) bool {
	for i := range s.allow {
		if s.allow[i].allowsPath(p) {
			return true
		}
	}
	return false
}

// allows reports whether the rule's or a global allowlist allows c.
func (s *RuleSet) allows(r *Rule, c *candidate) bool {
	if r.Allow.allows(c) {
		return true
	}
	for i := range r.Allowlists {
		if r.Allowlists[i].allows(c) {
			return true
		}
	}
	for i := range s.allow {
		if s.allow[i].allows(c) {
			return true
		}
	}
	return false
}

// Len is the number of rules.
func (s *RuleSet) Len() int { return len(s.rules) }

// Catalogue returns the finding.Rule entries of the set, sorted by ID.
func (s *RuleSet) Catalogue() []finding.Rule {
	out := make([]finding.Rule, 0, len(s.rules))
	for _, r := range s.Rules() {
		out = append(out, r.catalogue())
	}
	return out
}

func (r *Rule) catalogue() finding.Rule {
	return finding.Rule{
		ID: r.ID, Kind: finding.KindSecret, Title: r.Title, Severity: r.Severity,
		Rationale: r.rationale(), Remediation: r.remediation(),
		References: r.References,
		Mappings:   map[string][]string{"cwe": {"CWE-798"}},
	}
}

func (r *Rule) rationale() string {
	if r.Rationale != "" {
		return r.Rationale
	}
	return "A " + r.Title + " committed to source or baked into an image can be read by anyone with access to the repository, its history or the image, and used to act as its owner."
}

func (r *Rule) remediation() string {
	if r.Remediation != "" {
		return r.Remediation
	}
	return "Rotate (revoke and reissue) the credential now: assume it is compromised. Remove it from the file and from version-control history or image layers, and load it at run time from a secret manager (Vault, AWS Secrets Manager, GCP Secret Manager, Azure Key Vault, Kubernetes Secrets with encryption at rest) or an environment variable injected by CI."
}

// Rules returns the catalogue of Redline's built-in secret rules, sorted by ID.
func Rules() []finding.Rule { return Default().Catalogue() }
