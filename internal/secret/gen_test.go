package secret

import (
	"math/rand/v2"
	"regexp/syntax"
	"strings"
)

// sampler writes a random string that a regexp matches, for true-positive
// samples of the right shape. Values are random at the right length and
// alphabet; none is a real credential.
type sampler struct {
	rnd *rand.Rand
	b   strings.Builder
}

func newSampler(seed uint64) *sampler { return &sampler{rnd: rand.New(rand.NewPCG(seed, 0x5eed))} }

func (s *sampler) sample(re string) (string, error) {
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", err
	}
	s.b.Reset()
	s.gen(t)
	return s.b.String(), nil
}

func emptyWidth(t *syntax.Regexp) bool {
	switch t.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpEmptyMatch,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return false
}

const printable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.:~@#%^&*! \t'\"`;,)]}<>"

func (s *sampler) gen(t *syntax.Regexp) {
	switch t.Op {
	case syntax.OpLiteral:
		s.b.WriteString(string(t.Rune))
	case syntax.OpCharClass:
		s.b.WriteRune(s.pick(t.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		s.b.WriteByte(printable[s.rnd.IntN(62)])
	case syntax.OpCapture:
		s.gen(t.Sub[0])
	case syntax.OpConcat:
		for _, sub := range t.Sub {
			s.gen(sub)
		}
	case syntax.OpAlternate:
		for _, sub := range t.Sub {
			if emptyWidth(sub) {
				return
			}
		}
		s.gen(t.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := t.Min, t.Max
		switch t.Op {
		case syntax.OpStar:
			lo, hi = 0, -1
		case syntax.OpPlus:
			lo, hi = 1, -1
		case syntax.OpQuest:
			lo, hi = 0, 1
		}
		n := lo
		switch {
		case t.Flags&syntax.NonGreedy != 0 || t.Op == syntax.OpQuest:
		case hi < 0:
			n = lo + 6
		case hi-lo <= 40:
			n = hi
		default:
			n = lo + 10
		}
		for range n {
			s.gen(t.Sub[0])
		}
	}
}

// pick chooses a printable rune of the class, or its first rune.
func (s *sampler) pick(ranges []rune) rune {
	var ok []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		for j := 0; j < 62; j++ { // letters and digits first: they make entropy
			c := rune(printable[j])
			if c >= ranges[i] && c <= ranges[i+1] {
				ok = append(ok, c)
			}
		}
	}
	if len(ok) == 0 {
		for i := 0; i+1 < len(ranges); i += 2 {
			for _, c := range printable[62:] {
				if c >= ranges[i] && c <= ranges[i+1] && c != '\n' {
					ok = append(ok, c)
				}
			}
		}
	}
	if len(ok) == 0 {
		return ranges[0]
	}
	return ok[s.rnd.IntN(len(ok))]
}
