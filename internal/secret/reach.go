package secret

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A whole-file rule (gitleaks' rules, whose regexps may cross lines) costs
// a regexp run over every file that holds one of its keywords. When every
// match of the regexp must contain one of the keywords and can cross only
// a bounded number of newlines, the rule can run on a few lines around each
// keyword hit instead and find the same matches. lineReach works that out
// from the regexp's syntax tree.

// maxExact bounds the finite string sets the analysis expands.
const maxExact = 256

// lineReach returns how many lines above and below a keyword hit a match of
// expr can extend, or -1 when the rule must see the whole file: the regexp
// does not need a keyword in every match, can cross unboundedly many
// newlines, or anchors at the start of the text.
func lineReach(expr string, keywords []string) int {
	if len(keywords) == 0 {
		return -1
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return -1
	}
	re = re.Simplify()
	if anchorsText(re) {
		return -1
	}
	kws := make([]string, len(keywords))
	for i, k := range keywords {
		kws[i] = strings.ToLower(k)
	}
	if !needsKeyword(re, kws) {
		return -1
	}
	return maxNewlines(re)
}

// maxMatchLen returns the most bytes a match of expr can span, -1 if
// unbounded. A rule that needs a keyword in every match and whose matches
// are at most n bytes long finds every match within n bytes of a hit.
func maxMatchLen(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return -1
	}
	return maxLen(re.Simplify())
}

func maxLen(re *syntax.Regexp) int { return bound(re, leafBytes) }

// leafBytes is the most bytes one character-matching node consumes.
func leafBytes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			longest := utf8.RuneLen(r)
			if re.Flags&syntax.FoldCase != 0 {
				// (?i)k also matches the Kelvin sign, three bytes long.
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					longest = max(longest, utf8.RuneLen(f))
				}
			}
			n += longest
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		// Ranges are sorted and longer encodings belong to larger runes.
		return max(utf8.RuneLen(min(re.Rune[len(re.Rune)-1], unicode.MaxRune)), 1)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	}
	return 0 // empty matches and assertions consume nothing
}

// leafNewlines is the most newlines one character-matching node consumes.
func leafNewlines(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return strings.Count(string(re.Rune), "\n")
	case syntax.OpCharClass:
		if inClass(re.Rune, '\n') {
			return 1
		}
	case syntax.OpAnyChar:
		return 1
	}
	return 0
}

// bound returns the most that a match of re can hold of what leaf counts
// for a single node (bytes, newlines), or -1 if unbounded.
func bound(re *syntax.Regexp, leaf func(*syntax.Regexp) int) int {
	switch re.Op {
	case syntax.OpCapture, syntax.OpQuest:
		return bound(re.Sub[0], leaf)
	case syntax.OpStar, syntax.OpPlus:
		if bound(re.Sub[0], leaf) != 0 {
			return -1
		}
		return 0
	case syntax.OpRepeat:
		n := bound(re.Sub[0], leaf)
		switch {
		case n == 0:
			return 0
		case n < 0 || re.Max < 0:
			return -1
		}
		return n * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n := bound(sub, leaf)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return total
	}
	return leaf(re)
}

// anchorsText reports whether re uses ^ or \A outside multi-line mode,
// which would match at a window's start but not in the middle of a file.
func anchorsText(re *syntax.Regexp) bool {
	if re.Op == syntax.OpBeginText {
		return true
	}
	for _, s := range re.Sub {
		if anchorsText(s) {
			return true
		}
	}
	return false
}

// maxNewlines returns the most newlines a match of re can hold, -1 if
// unbounded.
func maxNewlines(re *syntax.Regexp) int { return bound(re, leafNewlines) }

// needsKeyword reports whether every match of re contains one of the
// lower-case keywords, compared without regard to case.
func needsKeyword(re *syntax.Regexp, kws []string) bool {
	if set, ok := exactSet(re); ok {
		return coversAll(set, kws)
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return needsKeyword(re.Sub[0], kws)
	case syntax.OpRepeat:
		return re.Min > 0 && needsKeyword(re.Sub[0], kws)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !needsKeyword(s, kws) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if needsKeyword(s, kws) {
				return true
			}
		}
		// A keyword may be split over adjacent parts, as in [Aa]pi, or
		// over a part and the start of the next, as in f(?:oo|m1).
		for i := range re.Sub {
			set := []string{""}
			for j := i; j < len(re.Sub); j++ {
				next, exact := exactSet(re.Sub[j])
				if !exact {
					var ok bool
					if next, ok = prefixSet(re.Sub[j]); !ok {
						break
					}
				}
				var ok bool
				if set, ok = product(set, next); !ok {
					break
				}
				if coversAll(set, kws) {
					return true
				}
				if !exact {
					break
				}
			}
		}
	}
	return false
}

// prefixSet returns strings, lower-cased, one of which starts every match
// of re.
func prefixSet(re *syntax.Regexp) ([]string, bool) {
	if set, ok := exactSet(re); ok {
		return set, true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return prefixSet(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min == 0 {
			return nil, false
		}
		return prefixSet(re.Sub[0])
	case syntax.OpAlternate:
		var set []string
		for _, s := range re.Sub {
			next, ok := prefixSet(s)
			if !ok {
				return nil, false
			}
			if set = append(set, next...); len(set) > maxExact {
				return nil, false
			}
		}
		return set, true
	case syntax.OpConcat:
		set := []string{""}
		for _, s := range re.Sub {
			next, exact := exactSet(s)
			if !exact {
				var ok bool
				if next, ok = prefixSet(s); !ok {
					return set, true
				}
			}
			var ok bool
			if set, ok = product(set, next); !ok {
				return nil, false
			}
			if !exact {
				break
			}
		}
		return set, true
	}
	return nil, false
}

// coversAll reports whether every string of set contains a keyword.
func coversAll(set, kws []string) bool {
	if len(set) == 0 {
		return false
	}
	for _, s := range set {
		found := false
		for _, k := range kws {
			if strings.Contains(s, k) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// exactSet returns every string re matches, lower-cased, when they are few.
func exactSet(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCharClass:
		var set []string
		seen := map[rune]bool{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= maxExact {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				l := unicode.ToLower(r)
				if !seen[l] {
					seen[l] = true
					set = append(set, string(l))
				}
				if len(set) > maxExact {
					return nil, false
				}
			}
		}
		return set, len(set) > 0
	case syntax.OpCapture:
		return exactSet(re.Sub[0])
	case syntax.OpQuest:
		set, ok := exactSet(re.Sub[0])
		return append(set, ""), ok
	case syntax.OpRepeat:
		if re.Max < 0 || re.Max > 8 {
			return nil, false
		}
		sub, ok := exactSet(re.Sub[0])
		if !ok {
			return nil, false
		}
		var all []string
		cur := []string{""}
		for n := 0; n <= re.Max; n++ {
			if n >= re.Min {
				all = append(all, cur...)
			}
			if cur, ok = product(cur, sub); !ok || len(all) > maxExact {
				return nil, false
			}
		}
		return all, true
	case syntax.OpConcat:
		set := []string{""}
		for _, s := range re.Sub {
			next, ok := exactSet(s)
			if !ok {
				return nil, false
			}
			if set, ok = product(set, next); !ok {
				return nil, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		var set []string
		for _, s := range re.Sub {
			next, ok := exactSet(s)
			if !ok {
				return nil, false
			}
			set = append(set, next...)
			if len(set) > maxExact {
				return nil, false
			}
		}
		return set, true
	}
	return nil, false
}

// product returns every concatenation of a string of a with one of b.
func product(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxExact {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out, true
}
