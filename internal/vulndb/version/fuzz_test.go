package version

import (
	"sort"
	"testing"
)

// fuzzEcosystems are the schemes the fuzz target exercises, indexed by a
// fuzzed byte.
var fuzzEcosystems = []string{
	"Go", "npm", "crates.io", "PyPI", "Maven", "RubyGems", "Packagist", "NuGet",
	"Debian", "Alpine", "Red Hat", "Hex", "CRAN", "Hackage", "Pub",
}

// FuzzCompare checks that Parse never panics and that Compare is a total
// order on what it accepts: reflexive, antisymmetric and transitive.
func FuzzCompare(f *testing.F) {
	seeds := map[string][]string{
		"Go":        {"v1.2.3", "go1.21rc2", "v0.0.0-20210226172049-e18ecbb05110", "v2.0.0+incompatible"},
		"npm":       {"1.0.0-alpha.beta", "1.0.0+build.1", "1.0.0-0"},
		"crates.io": {"0.104.0-alpha.1", "0.9.3"},
		"PyPI":      {"1!1.0", "1.0.post1.dev1", "1.0+abc.5", "1.0rc1", "0.9-doduo"},
		"Maven":     {"1.0-SNAPSHOT", "1-alpha2snapshot", "2.0.0.M1", "1.0.0.Final", "1-pom-1"},
		"RubyGems":  {"1.0.0-rc1", "1.0.a", "5.2.4.3"},
		"Packagist": {"v2.4.0-BETA2", "1.0.0-p1", "1.0", "2010.01.02"},
		"NuGet":     {"1.0.0.1", "1.0.0-Beta"},
		"Debian":    {"1:2.36-9+deb12u4", "1.0~rc1-1", "1.0a"},
		"Alpine":    {"1.2.3_git20200101-r1", "1.1.1k-r0", "0.5.3.20180125-r0"},
		"Red Hat":   {"1.0^git1", "1.0~rc1~git123", "1:1.0-1.el9", "fc.4"},
	}
	for i, eco := range fuzzEcosystems {
		vs := seeds[eco]
		for j := range vs {
			f.Add(uint8(i), vs[j], vs[(j+1)%len(vs)], vs[(j+2)%len(vs)])
		}
	}
	f.Fuzz(func(t *testing.T, e uint8, a, b, c string) {
		eco := fuzzEcosystems[int(e)%len(fuzzEcosystems)]
		var vs []Version
		for _, s := range []string{a, b, c} {
			v, err := Parse(eco, s)
			if err != nil {
				continue
			}
			if v.Compare(v) != 0 {
				t.Fatalf("%s: %q != itself", eco, s)
			}
			vs = append(vs, v)
		}
		for i := range vs {
			for j := range vs {
				if x, y := vs[i].Compare(vs[j]), vs[j].Compare(vs[i]); x != -y {
					t.Fatalf("%s: Compare(%q, %q) = %d but Compare(%q, %q) = %d", eco, vs[i], vs[j], x, vs[j], vs[i], y)
				}
			}
		}
		// Transitivity: once sorted, every earlier element is <= every later one.
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Compare(vs[j]) < 0 })
		for i := range vs {
			for j := i + 1; j < len(vs); j++ {
				if vs[i].Compare(vs[j]) > 0 {
					t.Fatalf("%s: not transitive: %q > %q after sorting %q", eco, vs[i], vs[j], vs)
				}
			}
		}
	})
}
