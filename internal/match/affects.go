package match

import (
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/vulndb/version"
)

// An entry is one vulndb.Affected with its versions parsed once, so that
// every package of the same name is checked against it without parsing the
// record again.
type entry struct {
	*vulndb.Affected
	ranges   []bounds          // SEMVER and ECOSYSTEM ranges whose versions all parse
	listed   []version.Version // the parseable members of Versions
	badRange string            // a version that made a range unusable, for the warning
}

type eventKind int

const (
	introduced eventKind = iota
	fixed
	lastAffected
	limit
)

// An event is a parsed OSV range event. zero marks introduced "0" (before
// every version), inf a limit containing "*" (after every version).
type event struct {
	kind eventKind
	v    version.Version
	text string
	zero bool
	inf  bool
}

// bounds is one range's events, sorted as the OSV evaluation pseudocode
// sorts them: by version, introduced "0" first, ties in record order.
type bounds []event

// compile parses the versions of a. Ranges of other types (GIT) are never
// matched by version. A range with a version that does not parse in the
// record's ecosystem is dropped as a whole: keeping the rest of it could
// turn a missing "fixed" into a false positive or a missing "introduced"
// into a silent miss, and neither is better than saying so.
func compile(a *vulndb.Affected) *entry {
	e := &entry{Affected: a}
	if !version.Supported(a.Ecosystem) {
		return e
	}
	for _, r := range a.Ranges {
		if r.Type != vulndb.RangeSemver && r.Type != vulndb.RangeEcosystem {
			continue
		}
		b, bad := parseRange(a.Ecosystem, r.Events)
		if bad != "" {
			e.badRange = bad
			continue
		}
		if len(b) > 0 {
			e.ranges = append(e.ranges, b)
		}
	}
	for _, s := range a.Versions {
		if v, err := version.Parse(a.Ecosystem, s); err == nil {
			e.listed = append(e.listed, v)
		}
	}
	return e
}

func parseRange(ecosystem string, events []vulndb.Event) (bounds, string) {
	b := make(bounds, 0, len(events))
	for _, ev := range events {
		var x event
		switch {
		case ev.Introduced != "":
			x = event{kind: introduced, text: ev.Introduced, zero: ev.Introduced == "0"}
		case ev.Fixed != "":
			x = event{kind: fixed, text: ev.Fixed}
		case ev.LastAffected != "":
			x = event{kind: lastAffected, text: ev.LastAffected}
		case ev.Limit != "":
			x = event{kind: limit, text: ev.Limit, inf: strings.Contains(ev.Limit, "*")}
		default:
			continue
		}
		if !x.zero && !x.inf {
			v, err := version.Parse(ecosystem, x.text)
			if err != nil {
				return nil, x.text
			}
			x.v = v
		}
		b = append(b, x)
	}
	slices.SortStableFunc(b, func(x, y event) int {
		switch {
		case x.zero && y.zero:
			return 0
		case x.zero:
			return -1
		case y.zero:
			return +1
		case x.inf && y.inf:
			return 0
		case x.inf:
			return +1
		case y.inf:
			return -1
		}
		return x.v.Compare(y.v)
	})
	return b, ""
}

// affects reports whether version v is in the range, following the OSV
// evaluation pseudocode exactly (last_affected is inclusive; limits are
// upper bounds), and returns the "fixed" event that ends the affected
// interval v lies in, if any: none when the interval is open or ends in
// last_affected.
func (b bounds) affects(v version.Version) (bool, *event) {
	if !b.beforeLimits(v) {
		return false, nil
	}
	vulnerable := false
	for _, e := range b {
		switch e.kind {
		case introduced:
			if e.zero || v.Compare(e.v) >= 0 {
				vulnerable = true
			}
		case fixed:
			if v.Compare(e.v) >= 0 {
				vulnerable = false
			}
		case lastAffected:
			if v.Compare(e.v) > 0 {
				vulnerable = false
			}
		}
	}
	if !vulnerable {
		return false, nil
	}
	for i, e := range b {
		switch {
		case e.kind == fixed && v.Compare(e.v) < 0:
			return true, &b[i]
		case e.kind == lastAffected && v.Compare(e.v) <= 0:
			return true, nil
		}
	}
	return true, nil
}

func (b bounds) beforeLimits(v version.Version) bool {
	seen := false
	for _, e := range b {
		if e.kind != limit {
			continue
		}
		seen = true
		if e.inf || v.Compare(e.v) < 0 {
			return true
		}
	}
	return !seen
}

// affects reports whether the installed version is affected by the entry,
// and which fixed events end the ranges it falls in (unsorted). raw is the
// version as the package records it; v is its parse, valid only when ok.
// An exact string match in the versions list counts even when the version
// does not parse.
func (e *entry) affects(raw string, v version.Version, ok bool) (bool, []event) {
	hit := slices.Contains(e.Versions, raw)
	if !ok {
		return hit, nil
	}
	for _, l := range e.listed {
		if hit {
			break
		}
		hit = v.Compare(l) == 0
	}
	var fixes []event
	for _, b := range e.ranges {
		in, fix := b.affects(v)
		if !in {
			continue
		}
		hit = true
		if fix != nil {
			fixes = append(fixes, *fix)
		}
	}
	return hit, fixes
}

// fixedVersions returns the parsed "fixed" events of every usable range.
func (e *entry) fixedVersions() []event {
	var out []event
	for _, b := range e.ranges {
		for _, ev := range b {
			if ev.kind == fixed {
				out = append(out, ev)
			}
		}
	}
	return out
}
