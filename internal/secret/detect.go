package secret

import (
	"bytes"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/glob"
)

// maxSpan bounds the text around a keyword a line rule looks at, so a
// minified file with one huge line costs no more than many short lines.
const maxSpan = 2048

// Match is one secret found in a file. Secret holds the clear text for the
// caller's checks; it must never be printed or stored (see Redact).
type Match struct {
	Rule   *Rule
	Line   int // 1-based; 0 for path-only rules
	Secret string
	// Start and End are byte offsets of the secret in the content.
	Start, End int
}

// Detector finds secrets with a RuleSet. It is safe for concurrent use.
type Detector struct {
	rs        *RuleSet
	ac        *matcher
	kwRules   [][]int // keyword index → rule indexes
	always    []int   // rules with a regex and no keywords: run on every file
	pathOnly  []int
	composite []int
}

// NewDetector compiles the keyword automaton of rs.
func NewDetector(rs *RuleSet) *Detector {
	d := &Detector{rs: rs}
	index := map[string]int{}
	var kws []string
	for ri, r := range rs.rules {
		switch {
		case len(r.Requires) > 0:
			d.composite = append(d.composite, ri)
			continue
		case r.Regex == nil && r.find == nil:
			d.pathOnly = append(d.pathOnly, ri)
			continue
		case len(r.Keywords) == 0:
			d.always = append(d.always, ri)
			continue
		}
		for _, k := range r.Keywords {
			ki, ok := index[k]
			if !ok {
				ki = len(kws)
				index[k] = ki
				kws = append(kws, k)
				d.kwRules = append(d.kwRules, nil)
			}
			if !slices.Contains(d.kwRules[ki], ri) {
				d.kwRules[ki] = append(d.kwRules[ki], ri)
			}
		}
	}
	d.ac = newMatcher(kws)
	return d
}

// SkipPath reports whether the global allowlist excludes the path.
func (d *Detector) SkipPath(path string) bool { return d.rs.allow.allowsPath(path) }

// DetectPath returns the matches of path-only rules (key store files).
func (d *Detector) DetectPath(path string) []Match {
	if d.SkipPath(path) {
		return nil
	}
	var out []Match
	for _, ri := range d.pathOnly {
		r := d.rs.rules[ri]
		if r.pathAllowed(path) && !r.Allow.allowsPath(path) {
			out = append(out, Match{Rule: r})
		}
	}
	return out
}

func (r *Rule) pathAllowed(path string) bool {
	if len(r.Paths) == 0 && r.PathRegex == nil {
		return true
	}
	for _, g := range r.Paths {
		if glob.Match(g, path) {
			return true
		}
	}
	return r.PathRegex != nil && r.PathRegex.MatchString(path)
}

// Detect returns the secrets in content, sorted by line and rule.
func (d *Detector) Detect(path string, content []byte) []Match { return d.detect(path, content, false) }

// DetectBinary runs on a binary file only the rules whose format survives
// inside binary data (PEM private keys in a disk image, say).
func (d *Detector) DetectBinary(path string, content []byte) []Match {
	return d.detect(path, content, true)
}

func (d *Detector) detect(path string, content []byte, binary bool) []Match {
	if d.SkipPath(path) {
		return nil
	}
	n := len(d.rs.rules)
	var (
		done    = make([]int, n) // offset up to which a line rule has run; -1 once a whole-file rule ran
		pathOK  = make([]int8, n)
		matches []Match
	)
	allowed := func(ri int) bool {
		if pathOK[ri] == 0 {
			r := d.rs.rules[ri]
			pathOK[ri] = -1
			if (!binary || r.inBinary) && r.pathAllowed(path) && !r.Allow.allowsPath(path) {
				pathOK[ri] = 1
			}
		}
		return pathOK[ri] == 1
	}
	run := func(ri, start, end int) {
		matches = d.apply(matches, d.rs.rules[ri], content, start, end)
	}
	d.ac.scan(content, func(kw, hitEnd int) {
		hitStart := hitEnd - d.ac.lengths[kw]
		for _, ri := range d.kwRules[kw] {
			if done[ri] < 0 || hitStart < done[ri] || !allowed(ri) {
				continue
			}
			if d.rs.rules[ri].WholeFile {
				run(ri, 0, len(content))
				done[ri] = -1
				continue
			}
			start := bytes.LastIndexByte(content[:hitStart], '\n') + 1
			start = max(start, hitStart-maxSpan, done[ri])
			end := len(content)
			if j := bytes.IndexByte(content[hitEnd:], '\n'); j >= 0 {
				end = hitEnd + j
			}
			end = min(end, hitEnd+maxSpan)
			run(ri, start, end)
			done[ri] = end
		}
	})
	for _, ri := range d.always {
		if allowed(ri) {
			run(ri, 0, len(content))
		}
	}
	matches = dedupe(matches)
	matches = d.fold(matches)
	slices.SortFunc(matches, func(a, b Match) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
			return c
		}
		return a.Start - b.Start
	})
	return matches
}

// apply runs one rule on content[start:end] and appends accepted matches.
func (d *Detector) apply(out []Match, r *Rule, content []byte, start, end int) []Match {
	window := content[start:end]
	var locs [][]int
	if r.find != nil {
		locs = r.find(r, window)
	} else {
		locs = r.Regex.FindAllSubmatchIndex(window, -1)
	}
	for _, loc := range locs {
		s, e := secretSpan(r, loc)
		if s < 0 {
			continue
		}
		secret := string(window[s:e])
		if !d.accept(r, secret, string(window[loc[0]:loc[1]])) {
			continue
		}
		s, e = s+start, e+start
		if inlineAllowed(content, s) {
			continue
		}
		// The line is where the match starts (a PEM block's BEGIN line).
		line := bytes.Count(content[:start+loc[0]], []byte{'\n'}) + 1
		out = append(out, Match{Rule: r, Secret: secret, Start: s, End: e, Line: line})
	}
	return out
}

// secretSpan picks the secret group: the rule's, or the first that matched,
// or the whole match.
func secretSpan(r *Rule, loc []int) (int, int) {
	if g := r.SecretGroup; g > 0 {
		if 2*g+1 < len(loc) && loc[2*g] >= 0 {
			return loc[2*g], loc[2*g+1]
		}
		return -1, -1
	}
	for g := 1; 2*g+1 < len(loc); g++ {
		if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
			return loc[2*g], loc[2*g+1]
		}
	}
	return loc[0], loc[1]
}

func (d *Detector) accept(r *Rule, secret, match string) bool {
	if secret == "" {
		return false
	}
	if r.Entropy > 0 && shannon(secret) < r.Entropy {
		return false
	}
	if r.check != nil && !r.check(secret) {
		return false
	}
	return !r.Allow.allowsSecret(secret, match) && !d.rs.allow.allowsSecret(secret, match)
}

// inlineAllowed reports whether the line holding offset carries a
// "redline:allow" (or gitleaks' "gitleaks:allow") marker.
func inlineAllowed(content []byte, off int) bool {
	start := bytes.LastIndexByte(content[:off], '\n') + 1
	end := len(content)
	if j := bytes.IndexByte(content[off:], '\n'); j >= 0 {
		end = off + j
	}
	line := content[start:end]
	return bytes.Contains(line, []byte("redline:allow")) || bytes.Contains(line, []byte("gitleaks:allow"))
}

// dedupe drops a generic rule's match when a specific rule found a secret
// overlapping it, and exact duplicates.
func dedupe(ms []Match) []Match {
	if len(ms) < 2 {
		return ms
	}
	out := ms[:0]
	for i, m := range ms {
		drop := false
		for j, o := range ms {
			if i == j || m.Start >= o.End || o.Start >= m.End {
				continue
			}
			if m.Rule.generic && !o.Rule.generic ||
				m.Rule == o.Rule && m.Start == o.Start && m.End == o.End && j < i ||
				m.Rule.generic && o.Rule.generic && j < i {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

// fold applies composite rules: when every required rule matched within
// Within lines of the first one's match, the composite reports once, at the
// first rule's line, and the component matches are dropped.
func (d *Detector) fold(ms []Match) []Match {
	for _, ci := range d.composite {
		c := d.rs.rules[ci]
		used := make([]bool, len(ms))
		var add []Match
		for i, m := range ms {
			if m.Rule.ID != c.Requires[0] || used[i] {
				continue
			}
			group := []int{i}
			for _, id := range c.Requires[1:] {
				best := -1
				for j, o := range ms {
					if !used[j] && o.Rule.ID == id && abs(o.Line-m.Line) <= c.Within {
						best = j
						break
					}
				}
				if best < 0 {
					group = nil
					break
				}
				group = append(group, best)
			}
			if group == nil {
				continue
			}
			for _, j := range group {
				used[j] = true
			}
			add = append(add, Match{Rule: c, Line: m.Line, Secret: m.Secret, Start: m.Start, End: m.End})
		}
		if len(add) == 0 {
			continue
		}
		kept := ms[:0:0]
		for i, m := range ms {
			if !used[i] {
				kept = append(kept, m)
			}
		}
		ms = append(kept, add...)
	}
	return ms
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
