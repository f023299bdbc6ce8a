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

// binarySpan bounds the bytes after a keyword a whole-file rule looks at in
// a large binary file.
const binarySpan = 64 << 10

// Match is one secret found in a file. Secret holds the clear text for the
// caller's checks; it must never be printed or stored (see Redact).
type Match struct {
	Rule   *Rule
	Line   int // 1-based; 0 for path-only rules
	Secret string
	// Start and End are byte offsets of the secret in the content; for a
	// secret found in decoded text, of the encoded run.
	Start, End int
	// Encoding is "base64" when the secret was found by decoding a base64
	// run of the content, empty otherwise.
	Encoding string
}

// Detector finds secrets with a RuleSet. It is safe for concurrent use.
type Detector struct {
	rs        *RuleSet
	ac        *matcher
	kwRules   [][]int // keyword index → rule indexes
	always    []int   // rules with a regex and no keywords: run on every file
	pathOnly  []int
	composite []int
	windowed  bool // some rule is windowed
	anchored  bool // some rule is anchored
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
		d.windowed = d.windowed || r.windowed
		d.anchored = d.anchored || r.anchor != nil
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
func (d *Detector) SkipPath(path string) bool { return d.rs.allowsPath(path) }

// DetectPath returns the matches of path-only rules (key store files).
func (d *Detector) DetectPath(path string) []Match {
	if d.SkipPath(path) {
		return nil
	}
	var out []Match
	for _, ri := range d.pathOnly {
		r := d.rs.rules[ri]
		if r.pathAllowed(path) && !r.allowsPath(path) {
			out = append(out, Match{Rule: r})
		}
	}
	return out
}

// allowsPath reports whether one of the rule's allowlists skips the file.
func (r *Rule) allowsPath(path string) bool {
	if r.Allow.allowsPath(path) {
		return true
	}
	for i := range r.Allowlists {
		if r.Allowlists[i].allowsPath(path) {
			return true
		}
	}
	return false
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
	if binary {
		return sortMatches(d.scan(path, content, true))
	}
	b := decodeBudget{runs: maxDecodeRuns, bytes: maxDecodedBytes}
	return d.detectText(path, content, 0, &b)
}

// detectText scans text, then the base64 runs in it up to maxDecodeDepth.
func (d *Detector) detectText(path string, content []byte, depth int, b *decodeBudget) []Match {
	ms := d.scan(path, content, false)
	if depth < maxDecodeDepth {
		ms = append(ms, d.detectEncoded(path, content, depth, b)...)
	}
	return sortMatches(ms)
}

// scan runs the rules on content and applies dedupe and composite rules.
func (d *Detector) scan(path string, content []byte, binary bool) []Match {
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
			if (!binary || r.inBinary) && r.pathAllowed(path) && !r.allowsPath(path) {
				pathOK[ri] = 1
			}
		}
		return pathOK[ri] == 1
	}
	run := func(ri, start, end int) {
		matches = d.apply(matches, path, d.rs.rules[ri], content, start, end)
	}
	// Windowed rules collect the windows around their hits, merged while
	// they overlap, and run on each when the next one starts past it.
	var pending [][2]int
	if d.windowed {
		pending = make([][2]int, n)
	}
	// Anchored rules collect their hits and match at each afterwards.
	var hits [][]int
	if d.anchored {
		hits = make([][]int, n)
	}
	d.ac.scan(content, func(kw, hitEnd int) {
		hitStart := hitEnd - d.ac.lengths[kw]
		for _, ri := range d.kwRules[kw] {
			if done[ri] < 0 || hitStart < done[ri] || !allowed(ri) {
				continue
			}
			if r := d.rs.rules[ri]; r.anchor != nil {
				hits[ri] = append(hits[ri], hitStart)
				continue
			} else if r.windowed {
				s, e := lineWindow(content, hitStart, hitEnd, r.reach)
				if r.maxLen >= 0 {
					// Exact, not a heuristic: a window that merges hits
					// starts maxLen before its first, so no match can be
					// cut at its edges either.
					s, e = max(s, hitStart-r.maxLen), min(e, hitEnd+r.maxLen)
				}
				p := &pending[ri]
				switch {
				case p[1] == 0:
					*p = [2]int{s, e}
				case s <= p[1]:
					p[0], p[1] = min(p[0], s), max(p[1], e)
				default:
					run(ri, p[0], p[1])
					*p = [2]int{s, e}
				}
				continue
			}
			if d.rs.rules[ri].WholeFile {
				if !binary || len(content) <= 2*binarySpan {
					run(ri, 0, len(content))
					done[ri] = -1
					continue
				}
				// A large binary file (a disk image) has no lines and many
				// chance keyword hits: run near each hit. A match of up to
				// binarySpan/2 bytes starting before done lies in this window.
				start := max(hitStart-binarySpan/8, 0)
				end := min(hitStart+binarySpan, len(content))
				run(ri, start, end)
				done[ri] = hitStart + binarySpan/2
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
	for ri, hs := range hits {
		if len(hs) == 0 {
			continue
		}
		slices.Sort(hs) // the automaton reports hits by their end
		r := d.rs.rules[ri]
		for _, loc := range r.anchor.find(content, hs) {
			matches = d.emit(matches, path, r, content, 0, loc)
		}
	}
	for ri, p := range pending {
		if p[1] > 0 {
			run(ri, p[0], p[1])
		}
	}
	for _, ri := range d.always {
		if allowed(ri) {
			run(ri, 0, len(content))
		}
	}
	matches = dedupe(matches)
	return d.fold(matches)
}

// lineWindow returns the lines around content[hitStart:hitEnd], reach lines
// either side, with the newline that ends the last; on each side it stops
// after (reach+1)*maxSpan bytes so that a file without newlines costs no
// more than many short lines.
func lineWindow(content []byte, hitStart, hitEnd, reach int) (int, int) {
	limit := (reach + 1) * maxSpan
	lo := max(hitStart-limit, 0)
	start, s := lo, hitStart
	for range reach + 1 {
		j := bytes.LastIndexByte(content[lo:s], '\n')
		if j < 0 {
			start = lo
			break
		}
		s = lo + j
		start = s + 1
	}
	hi := min(hitEnd+limit, len(content))
	end, e := hi, hitEnd
	for range reach + 1 {
		j := bytes.IndexByte(content[e:hi], '\n')
		if j < 0 {
			end = hi
			break
		}
		e += j + 1
		end = e
	}
	return start, end
}

// sortMatches orders matches by line, rule, offset, then encoding and
// secret so that the order never depends on the scan.
func sortMatches(ms []Match) []Match {
	slices.SortFunc(ms, func(a, b Match) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
			return c
		}
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if c := strings.Compare(a.Encoding, b.Encoding); c != 0 {
			return c
		}
		return strings.Compare(a.Secret, b.Secret)
	})
	return ms
}

// apply runs one rule on content[start:end] and appends accepted matches.
func (d *Detector) apply(out []Match, path string, r *Rule, content []byte, start, end int) []Match {
	window := content[start:end]
	var locs [][]int
	if r.find != nil {
		locs = r.find(r, window)
	} else {
		locs = r.Regex.FindAllSubmatchIndex(window, -1)
	}
	for _, loc := range locs {
		out = d.emit(out, path, r, content, start, loc)
	}
	return out
}

// emit appends the match of r at loc, a submatch index slice relative to
// content[start:], if its secret passes the rule's checks and allowlists.
func (d *Detector) emit(out []Match, path string, r *Rule, content []byte, start int, loc []int) []Match {
	s, e := secretSpan(r, loc)
	if s < 0 {
		return out
	}
	s, e = s+start, e+start
	ms, me := start+loc[0], start+loc[1]
	c := candidate{path: path, secret: string(content[s:e]), match: string(content[ms:me]),
		line: func() string { return string(lineAround(content, ms, me)) }}
	if !d.accept(r, &c) || inlineAllowed(content, s) {
		return out
	}
	// The line is where the match starts (a PEM block's BEGIN line).
	line := bytes.Count(content[:ms], []byte{'\n'}) + 1
	return append(out, Match{Rule: r, Secret: c.secret, Start: s, End: e, Line: line})
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

// lineAround returns the lines of content holding content[start:end].
func lineAround(content []byte, start, end int) []byte {
	ls := bytes.LastIndexByte(content[:start], '\n') + 1
	le := len(content)
	if j := bytes.IndexByte(content[end:], '\n'); j >= 0 {
		le = end + j
	}
	return content[ls:le]
}

func (d *Detector) accept(r *Rule, c *candidate) bool {
	secret := c.secret
	if secret == "" {
		return false
	}
	if r.Entropy > 0 && shannon(secret) < r.Entropy {
		return false
	}
	if r.check != nil && !r.check(secret) {
		return false
	}
	return !d.rs.allows(r, c)
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
