package secret

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/redline-sec/redline/internal/finding"
)

// def is the source form of a built-in rule. Most rules are one of two
// shapes, which the tests also use to generate samples:
//   - a token with a fixed Prefix followed by Min..Max characters of Body
//     (a regexp character class without brackets), e.g. ghp_ + 36 alnum;
//   - a value of Body{Min,Max} assigned to an identifier that contains one of
//     Context (e.g. "alibaba" … "secret" = "…").
//
// Anything else gives Regex directly.
type def struct {
	id, title string
	sev       finding.Severity
	keywords  []string

	prefix   string
	body     string
	min, max int
	context  []string
	value    string // regexp of the value of a context rule, instead of prefix+body

	regex     string
	group     int
	entropy   float64
	wholeFile bool
	paths     []string
	allow     []string // regexps on the secret
	stop      []string // extra stopwords
	requires  []string
	within    int
	refs      []string
	rationale string
	inBinary  bool                     // also run on binary files (PEM blocks survive in disk images)
	generic   bool                     // a generic rule yields to a specific rule on the same secret
	check     func(secret string) bool // extra validation of a candidate
	find      func(rs *Rule, content []byte) [][]int
}

// Boundaries around a token: the match must not be glued to more token text.
const (
	leftEdge = `(?:^|[^0-9A-Za-z_])`
	// assign is what sits between an identifier and its value:
	// `key = "`, `key: '`, `key := `, `"key": "`, `key => '`, `--key `.
	assign = `[\w.\- \t]{0,30}?[ \t'"\x60]{0,3}(?:=|:=|::=|:|=>|\?=|,|[ \t])[ \t]{0,5}[\x60'"]?[ \t]{0,2}`
	// valueEnd ends a value: a quote, blank, separator, escaped newline or line end.
	valueEnd = `(?:[\x60'"\s;,)\]}<]|\\[nrt]|$)`
)

func (d *def) pattern() string {
	switch {
	case d.regex != "":
		return d.regex
	case d.prefix != "" && len(d.context) == 0:
		left := ""
		if c := d.prefix[0]; isWord(c) {
			left = leftEdge
		}
		return left + "(" + regexp.QuoteMeta(d.prefix) + "[" + d.body + "]" + rep(d.min, d.max) + ")(?:[^" + d.body + "]|$)"
	case len(d.context) > 0:
		ctx := make([]string, len(d.context))
		for i, c := range d.context {
			ctx[i] = regexp.QuoteMeta(c)
		}
		v := d.value
		if v == "" {
			v = regexp.QuoteMeta(d.prefix) + "[" + d.body + "]" + rep(d.min, d.max)
		}
		return `(?i:` + strings.Join(ctx, "|") + `)` + assign + "(" + v + ")" + valueEnd
	}
	return ""
}

func rep(min, max int) string {
	if max == 0 || max == min {
		return fmt.Sprintf("{%d}", min)
	}
	return fmt.Sprintf("{%d,%d}", min, max)
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (d *def) compile() (*Rule, error) {
	r := &Rule{
		ID: d.id, Title: d.title, Severity: d.sev, Entropy: d.entropy,
		WholeFile: d.wholeFile, Paths: d.paths, Requires: d.requires, Within: d.within,
		References: d.refs, SecretGroup: d.group, check: d.check, find: d.find,
		Rationale: d.rationale, generic: d.generic, inBinary: d.inBinary,
	}
	r.Keywords = d.keywords
	if len(r.Keywords) == 0 {
		switch {
		case len(d.context) > 0:
			r.Keywords = d.context
		case d.prefix != "":
			r.Keywords = []string{d.prefix}
		}
	}
	if p := d.pattern(); p != "" {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", d.id, err)
		}
		r.Regex = re
	}
	for _, a := range d.allow {
		re, err := regexp.Compile(a)
		if err != nil {
			return nil, fmt.Errorf("rule %s allowlist: %w", d.id, err)
		}
		r.Allow.Regexes = append(r.Allow.Regexes, re)
	}
	r.Allow.Stopwords = slices.Clone(d.stop)
	if d.entropy > 0 || len(d.context) > 0 {
		// Context rules and entropy-gated rules reject placeholders.
		r.Allow.Stopwords = slices.Concat(r.Allow.Stopwords, stopwords)
	}
	return r, nil
}

// stopwords mark placeholder values: a value containing one is not a secret.
var stopwords = []string{
	"changeme", "change_me", "change-me", "example", "placeholder", "dummy", "sample",
	"xxxxx", "*****", "redacted", "your_", "your-", "yourkey", "insert", "replace",
	"fake", "notreal", "not_real", "not-a-", "foobar", "lorem", "todo", "fixme",
	"undefined", "null", "none", "secret_here", "password", "passwd", "qwerty",
	"123456", "abcdef", "abc123",
}

// Default returns Redline's built-in rule set. It is built once and shared;
// it is never modified.
func Default() *RuleSet { return defaultSet() }

var defaultSet = sync.OnceValue(func() *RuleSet {
	s, err := compileDefs(allDefs())
	if err != nil {
		// The table is a constant of this package; the tests compile it.
		panic(err)
	}
	return s
})

func allDefs() []def {
	var ds []def
	for _, fam := range [][]def{cloudDefs, vcsDefs, chatDefs, paymentDefs, messagingDefs, registryDefs, saasDefs, keyDefs, urlDefs, genericDefs} {
		ds = append(ds, fam...)
	}
	return ds
}

func compileDefs(ds []def) (*RuleSet, error) {
	rules := make([]*Rule, 0, len(ds))
	for i := range ds {
		r, err := ds[i].compile()
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return NewRuleSet(rules, defaultAllowlist())
}

// defaultAllowlist skips files that hold hashes and minified noise, not
// credentials: lock files, checksum files, source maps, and OS package
// databases (dpkg's status lists conffiles such as /etc/pam.d/chpasswd next
// to their MD5 sums, which looks like a password assignment).
func defaultAllowlist() Allowlist {
	return Allowlist{Paths: []string{
		"**/go.sum", "**/go.work.sum", "**/package-lock.json", "**/npm-shrinkwrap.json",
		"**/yarn.lock", "**/pnpm-lock.yaml", "**/Cargo.lock", "**/poetry.lock",
		"**/Pipfile.lock", "**/composer.lock", "**/Gemfile.lock", "**/*.min.js.map",
		"**/*.js.map", "**/*.css.map",
		"var/lib/dpkg/status", "var/lib/dpkg/status-old", "var/lib/dpkg/status.d/*",
		"var/lib/dpkg/info/*.md5sums", "lib/apk/db/installed",
	}}
}

// Short names for the tables.
const (
	crit = finding.SeverityCritical
	high = finding.SeverityHigh
	med  = finding.SeverityMedium
	low  = finding.SeverityLow
)

// Value shapes shared by several rules.
const (
	uuidRe  = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	alnum   = `A-Za-z0-9`
	hexLo   = `a-f0-9`
	hexAny  = `a-fA-F0-9`
	urlSafe = `A-Za-z0-9_\-`
	b64     = `A-Za-z0-9+/`
)
