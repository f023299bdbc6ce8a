package match

import (
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/vulndb/version"
)

// upgrades finds the lowest version of a package that no entry affects.
// Candidates are the "fixed" versions of every entry that applies to the
// package, including entries that do not affect the installed version: an
// upgrade that walks into another vulnerability is not a fix.
// last_affected bounds are not candidates, since the version after them is
// not knowable. The candidates are sorted once per package name and
// platform, and whether each one is clean is decided on first need and
// remembered, because every installed version of the name asks the same
// questions.
type upgrades struct {
	entries []*entry
	cands   []event // sorted by version, one per distinct version
	clean   []int8  // per candidate: 0 not yet known, +1 clean, -1 affected
}

func newUpgrades(entries []*entry) *upgrades {
	var cands []event
	for _, e := range entries {
		cands = append(cands, e.fixedVersions()...)
	}
	slices.SortFunc(cands, func(a, b event) int {
		if c := a.v.Compare(b.v); c != 0 {
			return c
		}
		return strings.Compare(a.text, b.text)
	})
	cands = slices.CompactFunc(cands, func(a, b event) bool { return a.v.Compare(b.v) == 0 })
	return &upgrades{entries: entries, cands: cands, clean: make([]int8, len(cands))}
}

// lowest returns the lowest clean candidate above installed, spelled as the
// record spells it, or "" when there is none.
func (u *upgrades) lowest(installed version.Version) string {
	i, _ := slices.BinarySearchFunc(u.cands, installed, func(c event, v version.Version) int {
		if c.v.Compare(v) <= 0 {
			return -1
		}
		return +1
	})
	for ; i < len(u.cands); i++ {
		if u.clean[i] == 0 {
			u.clean[i] = +1
			for _, e := range u.entries {
				if in, _ := e.affects(u.cands[i].text, u.cands[i].v, true); in {
					u.clean[i] = -1
					break
				}
			}
		}
		if u.clean[i] > 0 {
			return u.cands[i].text
		}
	}
	return ""
}
