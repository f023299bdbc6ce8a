package match

import (
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/vulndb"
)

// Alias grouping follows osv-scanner v2.6.0 (internal/grouper): two records
// matched for the same package are one vulnerability when one lists the
// other's id in its aliases, or when both list a common alias (such as the
// same CVE). Like osv-scanner it counts "upstream" ids as aliases, ignores
// "related" (related records are different vulnerabilities) and groups per
// package, not across packages.
// Unlike osv-scanner's pairwise merge, which can split a chain A~B~C when
// the records arrive in an unlucky order, the grouping here is transitive
// (union-find), so the result does not depend on record order.
//
// The finding's id follows the brief rather than osv-scanner's display
// order (which puts CVE first): a database-native id (GO-, PYSEC-, RUSTSEC-,
// ALPINE-, …) beats a GHSA, which beats a CVE; ties go to the
// lexicographically smaller id.

// group partitions vulns into alias groups, each sorted by preference
// (preferred id first); the groups are ordered by their preferred id.
func group(vulns []*vulndb.Vuln) [][]*vulndb.Vuln {
	parent := make([]int, len(vulns))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(i, j int) {
		ri, rj := find(i), find(j)
		if ri != rj {
			parent[rj] = ri
		}
	}
	// Every id a record is known by (its own and its aliases) points at the
	// first record that used it; a second record using it joins that group.
	owner := make(map[string]int)
	for i, v := range vulns {
		for _, id := range knownAs(v) {
			if j, ok := owner[id]; ok {
				union(j, i)
			} else {
				owner[id] = i
			}
		}
	}
	byRoot := make(map[int][]*vulndb.Vuln)
	for i, v := range vulns {
		r := find(i)
		byRoot[r] = append(byRoot[r], v)
	}
	groups := make([][]*vulndb.Vuln, 0, len(byRoot))
	for _, g := range byRoot {
		slices.SortFunc(g, func(a, b *vulndb.Vuln) int { return compareIDs(a.ID, b.ID) })
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b []*vulndb.Vuln) int { return compareIDs(a[0].ID, b[0].ID) })
	return groups
}

// idRank orders id prefixes: database-native ids first, then GHSA, then CVE.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 2
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	}
	return 0
}

// compareIDs orders ids by preference, then lexicographically.
func compareIDs(a, b string) int {
	if ra, rb := idRank(a), idRank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// knownAs returns every id a record goes by: its own, its aliases and its
// upstream ids.
func knownAs(v *vulndb.Vuln) []string {
	ids := make([]string, 0, 1+len(v.Aliases)+len(v.Upstream))
	ids = append(ids, v.ID)
	ids = append(ids, v.Aliases...)
	return append(ids, v.Upstream...)
}

// aliases returns every id the group is known by except primary, sorted and
// deduplicated.
func aliases(g []*vulndb.Vuln, primary string) []string {
	var out []string
	for _, v := range g {
		for _, id := range knownAs(v) {
			if id != primary {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
