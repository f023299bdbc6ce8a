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
	// Regexes match secrets (or, with MatchTarget, whole matches) that are allowed.
	Regexes     []*regexp.Regexp
	MatchTarget bool
	// Stopwords are lower-case substrings that mark a value as a placeholder.
	Stopwords []string
}

func (a *Allowlist) allowsPath(p string) bool {
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

func (a *Allowlist) allowsSecret(secret, match string) bool {
	target := secret
	if a.MatchTarget {
		target = match
	}
	for _, re := range a.Regexes {
		if re.MatchString(target) {
			return true
		}
	}
	if len(a.Stopwords) > 0 {
		low := strings.ToLower(secret)
		for _, w := range a.Stopwords {
			if strings.Contains(low, w) {
				return true
			}
		}
	}
	return false
}

// RuleSet is an immutable, validated set of rules with a global allowlist.
type RuleSet struct {
	rules []*Rule
	byID  map[string]int
	// Allow applies to every rule.
	allow Allowlist
}

// NewRuleSet validates rules and builds a set. IDs must be unique and
// composite rules must name rules of the set.
func NewRuleSet(rules []*Rule, allow Allowlist) (*RuleSet, error) {
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
