// Package version orders version strings the way each ecosystem does.
//
// It is a thin adapter over osv-scalibr's semantic package, which implements
// the orderings OSV itself uses (Go and crates.io semver, npm semver, PEP 440,
// Maven, RubyGems, Packagist, NuGet, Debian, Alpine, RPM-based distributions,
// …). The adapter adds what semantic leaves out: it rejects strings that are
// not versions of the ecosystem at all (semantic orders any string), accepts
// Go's "v" prefix and "go1.21.3" toolchain tags, and rewrites the input where
// semantic departs from the ecosystem's own tools: Maven ".RC1" is "-RC1",
// RubyGems "-" is ".pre.", Packagist versions are normalised as Composer does
// (see scheme.go).
package version

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// MaxLen is the longest version string Parse accepts. Real versions are well
// under 100 bytes; the limit keeps hostile input from costing big-number
// arithmetic.
const MaxLen = 256

// ErrUnsupported is returned for an ecosystem without a known ordering.
var ErrUnsupported = errors.New("unsupported ecosystem")

// ErrInvalid is returned for a string that is not a version of the ecosystem.
var ErrInvalid = errors.New("invalid version")

// Version is a version parsed with its ecosystem's rules. The zero Version
// sorts before every parsed one.
type Version struct {
	scheme string // name of the ordering: "semver", "pep440", "debian", …
	text   string // as given to Parse
	v      semantic.Version
}

// Parse parses v as a version of ecosystem. The ecosystem is an OSV
// ecosystem name and may carry a release suffix ("Debian:12",
// "Alpine:v3.19"), which does not change the ordering.
func Parse(ecosystem, v string) (Version, error) {
	s, ok := lookup(ecosystem)
	if !ok {
		return Version{}, fmt.Errorf("%w %q", ErrUnsupported, ecosystem)
	}
	if len(v) > MaxLen {
		return Version{}, fmt.Errorf("%w: %d bytes long (limit %d)", ErrInvalid, len(v), MaxLen)
	}
	norm, ok := s.normalize(v)
	if !ok {
		return Version{}, fmt.Errorf("%w %q for %s", ErrInvalid, v, Base(ecosystem))
	}
	sv, err := s.parse(norm)
	if err != nil {
		return Version{}, fmt.Errorf("%w %q for %s: %v", ErrInvalid, v, Base(ecosystem), err)
	}
	return Version{scheme: s.name, text: v, v: sv}, nil
}

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w.
// Versions parsed for ecosystems with different orderings (say npm and PyPI)
// are not comparable; they are ordered by the name of their ordering so that
// Compare stays a total order and never fails.
func (v Version) Compare(w Version) int {
	switch {
	case v.v == nil && w.v == nil:
		return 0
	case v.v == nil:
		return -1
	case w.v == nil:
		return +1
	case v.scheme != w.scheme:
		return strings.Compare(v.scheme, w.scheme)
	}
	c, err := v.v.Compare(w.v)
	if err != nil {
		// semantic's Maven comparison can report an internal error that
		// Parse already rules out; fall back to the text so the order stays
		// total rather than failing a scan.
		return strings.Compare(v.text, w.text)
	}
	return sign(c)
}

// String returns the version as it was given to Parse.
func (v Version) String() string { return v.text }

// Compare parses a and b as versions of ecosystem and compares them.
func Compare(ecosystem, a, b string) (int, error) {
	va, err := Parse(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// Supported reports whether Parse knows how to order versions of ecosystem
// (release suffixes are ignored).
func Supported(ecosystem string) bool {
	_, ok := lookup(ecosystem)
	return ok
}

// Base returns the ecosystem without its release suffix: "Debian:12" →
// "Debian", "Alpine:v3.19" → "Alpine", "Go" → "Go".
func Base(ecosystem string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	return base
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return +1
	}
	return 0
}
