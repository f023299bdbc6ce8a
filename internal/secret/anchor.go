package secret

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// Most of gitleaks' rules share one shape: a lazy run of identifier
// characters, a keyword, then the assignment and the value,
//
//	[\w.-]{0,50}?(?:access|auth|…|token)(?:[ \t\w.-]{0,20})…(value)…
//
// Searched for without an anchor, the leading run makes the regexp engine
// carry up to fifty threads through every byte of the text. But every
// match begins at a keyword hit, less that run, and the keyword automaton
// has already found every hit: so the rest of the regexp is matched
// anchored at each hit, where it fails within a few bytes on most, and the
// run is measured backwards. For a lazy run this gives exactly the matches
// of the whole regexp in the whole file, leftmost first.

// anchor is a regexp split into its leading lazy runs and the rest, which
// begins with a keyword.
type anchor struct {
	rest *regexp.Regexp // \A-anchored
	runs []run          // leading runs, first to last
}

// run is one leading lazy repetition of a character class: C{0,max}?.
type run struct {
	class []rune // sorted, inclusive ranges in pairs
	max   int
}

// anchorOf returns the anchored form of expr, or nil when expr does not
// have the shape: a non-empty prefix of lazy class repetitions (each class
// contained in the next, so measuring back greedily finds the leftmost
// start), then a part that can only begin with one of the keywords and
// starts with no assertion that would look at the text before it.
func anchorOf(expr string, keywords []string) *anchor {
	if len(keywords) == 0 {
		return nil
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat {
		return nil
	}
	a := &anchor{}
	parts := re.Sub
	for len(parts) > 0 {
		p := parts[0]
		if p.Op != syntax.OpRepeat || p.Min != 0 || p.Max < 0 || p.Flags&syntax.NonGreedy == 0 ||
			p.Sub[0].Op != syntax.OpCharClass {
			break
		}
		class := p.Sub[0].Rune
		if n := len(a.runs); n > 0 && !classWithin(a.runs[n-1].class, class) {
			return nil
		}
		a.runs = append(a.runs, run{class: class, max: p.Max})
		parts = parts[1:]
	}
	if len(a.runs) == 0 || len(parts) == 0 || startsWithAssertion(parts[0]) {
		return nil
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: parts, Flags: re.Flags}
	starts, ok := prefixSet(rest)
	if !ok {
		return nil
	}
	kws := make([]string, len(keywords))
	for i, k := range keywords {
		kws[i] = strings.ToLower(k)
	}
	for _, s := range starts {
		if !slices.ContainsFunc(kws, func(k string) bool { return strings.HasPrefix(s, k) }) {
			return nil
		}
	}
	whole, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	a.rest, err = regexp.Compile(`\A(?:` + rest.String() + `)`)
	if err != nil || a.rest.NumSubexp() != whole.NumSubexp() {
		return nil
	}
	return a
}

// startsWithAssertion reports whether re may begin with a zero-width
// assertion, which would see the start of the slice instead of the text.
func startsWithAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
		return true
	case syntax.OpCapture, syntax.OpPlus, syntax.OpStar, syntax.OpQuest, syntax.OpRepeat:
		return startsWithAssertion(re.Sub[0])
	case syntax.OpConcat:
		return len(re.Sub) == 0 || startsWithAssertion(re.Sub[0])
	case syntax.OpAlternate:
		return slices.ContainsFunc(re.Sub, startsWithAssertion)
	}
	return false
}

// classWithin reports whether every rune of class a is in class b.
func classWithin(a, b []rune) bool {
	for i := 0; i+1 < len(a); i += 2 {
		lo, hi := a[i], a[i+1]
		covered := false
		for j := 0; j+1 < len(b); j += 2 {
			if b[j] <= lo && hi <= b[j+1] {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

func inClass(class []rune, r rune) bool {
	for i := 0; i+1 < len(class); i += 2 {
		if class[i] <= r && r <= class[i+1] {
			return true
		}
	}
	return false
}

// start returns where the whole regexp's match begins when its rest
// matched at hit: the runs measured backwards from hit, last run first,
// never before floor (the end of the previous match).
func (a *anchor) start(content []byte, hit, floor int) int {
	pos := hit
	for i := len(a.runs) - 1; i >= 0; i-- {
		r := a.runs[i]
		for n := 0; n < r.max && pos > floor; n++ {
			// An invalid byte reads as U+FFFD, as the regexp engine reads it.
			c, size := utf8.DecodeLastRune(content[floor:pos])
			if !inClass(r.class, c) {
				break
			}
			pos -= size
		}
	}
	return pos
}

// find returns the matches of the whole regexp in content as
// FindAllSubmatchIndex would, given the start offsets of every keyword
// hit in content, sorted.
func (a *anchor) find(content []byte, hits []int) [][]int {
	var out [][]int
	end := 0
	for i, h := range hits {
		if h < end || i > 0 && h == hits[i-1] {
			continue
		}
		loc := a.rest.FindSubmatchIndex(content[h:])
		if loc == nil {
			continue
		}
		for j := range loc {
			if loc[j] >= 0 {
				loc[j] += h
			}
		}
		loc[0] = a.start(content, h, end)
		out = append(out, loc)
		end = loc[1]
	}
	return out
}
