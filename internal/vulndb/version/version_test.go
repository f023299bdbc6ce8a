package version

import (
	"errors"
	"testing"
)

// The pairs below are real versions, most of them taken from OSV records
// (the corpus named in ../../match/testdata/README.md) and from the
// ecosystems' own specifications and test suites (semver.org §11, PEP 440,
// Maven's ComparableVersionTest, rpm's rpmvercmp.at, deb-version(7)). want is
// the sign of Compare(a, b).
//
// Every expectation was checked once against the ecosystem's reference
// implementation where one runs here: packaging 23.0 (PyPI), Maven 3.8.7
// ComparableVersion, Gem::Version (Ruby 3.1), composer/semver (Composer
// 2.5), dpkg --compare-versions, rpm 4.18 rpm.ver, node-semver 7.6 (npm,
// crates.io) and golang.org/x/mod/semver (Go). NuGet and Alpine had no
// reference implementation available and follow their documentation.
type pair struct {
	a, b string
	want int
}

func checkPairs(t *testing.T, ecosystem string, pairs []pair) {
	t.Helper()
	for _, p := range pairs {
		got, err := Compare(ecosystem, p.a, p.b)
		if err != nil {
			t.Errorf("%s: Compare(%q, %q): %v", ecosystem, p.a, p.b, err)
			continue
		}
		if got != p.want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", ecosystem, p.a, p.b, got, p.want)
		}
		// Antisymmetry: every pair is also checked the other way round.
		if back, _ := Compare(ecosystem, p.b, p.a); back != -p.want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", ecosystem, p.b, p.a, back, -p.want)
		}
	}
}

func TestGo(t *testing.T) {
	checkPairs(t, "Go", []pair{
		// OSV Go records have no "v"; go.mod has it.
		{"v1.2.3", "1.2.3", 0},
		{"v0.0.0-20210226172049-e18ecbb05110", "0.0.0-20210226172049-e18ecbb05110", 0},
		// +incompatible is build metadata: ignored for ordering.
		{"v20.10.24+incompatible", "20.10.24", 0},
		{"v20.10.24+incompatible", "20.10.25+incompatible", -1},
		{"2.2.5-rc6.0.20190621200032-0ddffe484adc+incompatible", "2.2.5-rc6", 1},
		// Pseudo-versions: timestamps order, and they precede the release
		// they are based on.
		{"v0.0.0-20210226172049-e18ecbb05110", "v0.0.0-20220525230936-793ad666bf5e", -1},
		{"v0.0.0-20220525230936-793ad666bf5e", "v0.1.0", -1},
		{"v1.2.4-0.20210226172049-e18ecbb05110", "v1.2.3", 1},
		{"v1.2.4-0.20210226172049-e18ecbb05110", "v1.2.4", -1},
		{"v1.2.4-rc.1.0.20210226172049-e18ecbb05110", "v1.2.4-rc.1", 1},
		// Prereleases (semver.org §11 chain) and OSV's "x.y.0-0" lower bound.
		{"v1.0.0-alpha", "v1.0.0-alpha.1", -1},
		{"v1.0.0-alpha.1", "v1.0.0-alpha.beta", -1},
		{"v1.0.0-alpha.beta", "v1.0.0-beta", -1},
		{"v1.0.0-beta.2", "v1.0.0-beta.11", -1},
		{"v1.0.0-rc.1", "v1.0.0", -1},
		{"1.21.0-0", "1.21.0-rc.1", -1},
		{"1.21.0-0", "1.20.14", 1},
		{"v1.10.0", "v1.9.9", 1},
		// Toolchain tags as debug/buildinfo records them.
		{"go1.21.3", "1.21.3", 0},
		{"go1.21", "1.21.0", 0},
		{"go1.20", "1.20.0", 0},
		{"go1.21rc2", "1.21.0-rc.2", 0},
		{"go1.21rc2", "1.21.0", -1},
		{"go1.9.2rc2", "1.9.2", -1},
		{"go1.22.0 X:nocoverageredesign", "1.22.0", 0},
		{"go1.24rc2", "1.24.0-rc.3", -1},
	})
}

func TestNPM(t *testing.T) {
	checkPairs(t, "npm", []pair{
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.beta", "1.0.0-beta", -1},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-0", "1.0.0-alpha", -1}, // numeric identifiers sort before alphanumeric
		{"1.0.0+build.1", "1.0.0", 0},
		{"1.0.0+build.1", "1.0.0+build.2", 0},
		{"v1.0.0", "1.0.0", 0},
		{"10.0.0", "9.99.99", 1},
		{"4.17.21", "4.17.3", 1},
		{"1.2", "1.2.0", 0},
	})
}

func TestCrates(t *testing.T) {
	checkPairs(t, "crates.io", []pair{
		{"0.104.0-alpha.1", "0.104.0", -1},
		{"0.104.0-alpha.1", "0.103.9", 1},
		{"0.3.0-alpha.3", "0.3.0-alpha.10", -1},
		{"1.0.0+a", "1.0.0+b", 0}, // SemVer ignores build metadata
		{"0.10.0", "0.9.3", 1},
	})
}

func TestPyPI(t *testing.T) {
	checkPairs(t, "PyPI", []pair{
		{"1!1.0", "2.0", 1},     // epoch wins
		{"1!1.0", "1!0.9", 1},   // same epoch, release decides
		{"0!1.0", "1.0", 0},     // default epoch is 0
		{"1.10", "1.9", 1},      // numeric, not lexical
		{"1.0.0", "1.0", 0},     // trailing zeros pad
		{"1.0", "1.0.0.0", 0},   //
		{"1.0rc1", "1.0", -1},   // pre-release before release
		{"1.0c1", "1.0rc1", 0},  // c is rc
		{"1.0a1", "1.0b1", -1},  //
		{"1.0b2", "1.0rc1", -1}, //
		{"1.0.dev1", "1.0a1", -1},
		{"1.0a1.dev1", "1.0a1", -1},
		{"1.0.post1", "1.0", 1},
		{"1.0-1", "1.0.post1", 0}, // implicit post release
		{"1.0.post1.dev1", "1.0.post1", -1},
		{"1.0.post1.dev1", "1.0", 1},
		{"1.0+local.1", "1.0", 1}, // local versions sort after the public one
		{"1.0+abc.5", "1.0+abc.4", 1},
		{"1.0+5", "1.0+abc", 1}, // numeric local segment beats alphanumeric
		{"1.0+ubuntu-1", "1.0+ubuntu.1", 0},
		{"1.0RC1", "1.0rc1", 0}, // case-insensitive
		{"v1.0", "1.0", 0},
		{"2.0.0.dev0", "2.0.0a1", -1},
		{"3.2.19", "3.2.2", 1},   // Django
		{"1.11.0", "1.11.1", -1}, // py, PYSEC-2022-42969
		{"0.8.0-alpha2", "0.8.0", -1},
	})
}

func TestMaven(t *testing.T) {
	checkPairs(t, "Maven", []pair{
		{"1.0-SNAPSHOT", "1.0", -1},
		{"1.0-alpha-1", "1.0-beta-1", -1},
		{"1.0-beta-1", "1.0-milestone-1", -1},
		{"1.0-milestone-1", "1.0-rc1", -1},
		{"1.0-rc1", "1.0-SNAPSHOT", -1},
		{"1.0", "1.0-sp1", -1},
		{"1.0-cr1", "1.0-rc1", 0},
		{"1.0a1", "1.0-alpha-1", 0},
		{"1.0.0.Final", "1.0.0", 0},
		{"1.0.0.Final", "1", 0},
		{"5.3.20.RELEASE", "5.3.20", 0},
		{"1.0-ga", "1.0", 0},
		{"2.0.0.M1", "2.0.0", -1},
		{"2.0.0.M1", "2.0.0.RC1", -1},
		{"1.0.1", "1.0-1", 1}, // ".number" after "-number"
		{"1.10", "1.9", 1},
		{"2.17.1", "2.17.0-rc1", 1}, // log4j-core
		{"9.4.51.v20230217", "9.4.51", 1},
		// ".qualifier" is "-qualifier" (semantic alone says otherwise).
		{"1.0.1.RC1", "1.0.1-RC1", 0},
		{"5.0.0.RC1", "5.0.0-RC1", 0},
		{"2.0.0.M1", "2-M1", 0},
		{"1.0.alpha", "1-alpha", 0},
		{"0A", "0.0.A0", 1},
		{"0.0.A0", "0", -1},
	})
}

func TestRubyGems(t *testing.T) {
	checkPairs(t, "RubyGems", []pair{
		{"1.0.0.pre", "1.0.0", -1},
		{"1.0.a", "1.0", -1},
		{"1.0.a", "1.0.b", -1},
		{"1.0.0.rc1", "1.0.0", -1},
		{"1.0.0-rc1", "1.0.0", -1},
		{"1.0.0-rc1", "1.0.0.pre.rc1", 0}, // "-" is ".pre."
		{"1.0.0-beta", "1.0.0.alpha", 1},  // semantic alone gets this one wrong
		{"1.0", "1.0.0", 0},
		{"1.10.0", "1.9.0", 1},
		{"5.2.4.3", "5.2.4.10", -1}, // rails
		{"2.0.0.rc2", "2.0.0.rc10", -1},
	})
}

func TestPackagist(t *testing.T) {
	checkPairs(t, "Packagist", []pair{
		{"v1.0.0", "1.0.0", 0},
		{"1.0", "1.0.0", 0}, // Composer pads to four numbers; semantic alone says -1
		{"1.0.0", "1.0.0.0", 0},
		{"1.0.0-RC1", "1.0.0", -1},
		{"1.0.0-RC1", "1.0.0-rc1", 0},
		{"1.0.0-beta2", "1.0.0-RC1", -1},
		{"1.0.0-alpha3", "1.0.0-beta1", -1},
		{"1.0.0-dev", "1.0.0-alpha1", -1},
		{"1.0.0-stable", "1.0.0", 0},
		{"1.0.0-p1", "1.0.0", 1},
		{"1.0.0-patch1", "1.0.0-pl2", -1},
		{"5.4.10", "5.4.9", 1},
		{"v2.4.0-BETA2", "2.4.0-beta.2", 0},
	})
}

func TestNuGet(t *testing.T) {
	checkPairs(t, "NuGet", []pair{
		{"1.0.0.0", "1.0.0", 0},
		{"1.0.0.1", "1.0.0", 1},
		{"1.0.0-Beta", "1.0.0-beta", 0}, // prerelease labels are case-insensitive
		{"1.0.0-beta.2", "1.0.0-beta.10", -1},
		{"4.0.0-rc", "4.0.0", -1},
		{"1.0.0+abc", "1.0.0", 0},
		{"13.0.1", "13.0.3", -1}, // Newtonsoft.Json
	})
}

func TestDebian(t *testing.T) {
	checkPairs(t, "Debian:12", []pair{
		{"1:2.0", "3.0", 1},
		{"0:1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0-1ubuntu1", "1.0-1", 1},
		{"2.36-9+deb12u4", "2.36-9", 1},
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u6", -1},
		{"1.2.3-1~bpo12+1", "1.2.3-1", -1},
		{"1.0+dfsg-1", "1.0-1", 1},
		{"3.0.11-1~deb12u2", "3.0.11-1", -1},
		{"1.0a", "1.0+", -1}, // letters sort before non-letters
		{"1.0", "1.0-0", 0},  // absent revision is 0
	})
	checkPairs(t, "Ubuntu:22.04:LTS", []pair{
		{"1:2.3-1ubuntu1~22.04.1", "1:2.3-1ubuntu1", -1},
	})
}

func TestAlpine(t *testing.T) {
	checkPairs(t, "Alpine:v3.19", []pair{
		{"1.2.3-r0", "1.2.3-r1", -1},
		{"1.2.3_rc1", "1.2.3", -1},
		{"1.2.3_alpha", "1.2.3_beta", -1},
		{"1.2.3_p1", "1.2.3", 1},
		{"1.2.3_git20200101", "1.2.3", 1},
		{"1.2.3_git20200101", "1.2.3_p1", -1},
		{"1.2.3a", "1.2.3", 1},
		{"1.2.10", "1.2.9", 1},
		{"0.5.3.20180125-r0", "0.5.3-r0", 1},
		{"3.0.8-r3", "3.0.10-r0", -1},
		{"1.1.1k-r0", "1.1.1l-r0", -1}, // openssl
		{"2.40.1-r1", "2.40.1", 1},
	})
}

func TestRPM(t *testing.T) {
	checkPairs(t, "Red Hat", []pair{
		// rpm's own rpmvercmp tests.
		{"1.0", "1.0", 0},
		{"1.0", "2.0", -1},
		{"2.0.1a", "2.0.1", 1},
		{"5.5p1", "5.5p10", -1},
		{"10xyz", "10.1xyz", -1},
		{"xyz10", "xyz10.1", -1},
		{"1.0010", "1.9", 1},
		{"1.05", "1.5", 0},
		{"fc4", "fc.4", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~rc1~git123", "1.0~rc1", -1},
		{"1.0^", "1.0", 1},
		{"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.0.1", -1},
		{"1.0^git1", "1.0^git2", -1},
		{"1.0~rc1^git1", "1.0~rc1", 1},
		// Epoch and release.
		{"1:1.0", "2.0", 1},
		{"0:1.0-1.el9", "1.0-1.el9", 0},
		{"1.0-1.el9", "1.0-2.el9", -1},
		{"3.0.7-27.el9", "3.0.7-24.el9", 1},
	})
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ eco, v string }{
		{"Go", ""},
		{"Go", "(devel)"},
		{"Go", "v1.2.3.4"},
		{"Go", "latest"},
		{"Go", "go1.21.3-beta"},
		{"npm", "github:user/repo#abc"},
		{"npm", "1.2.3.4"},
		{"npm", "^1.2.3"},
		{"PyPI", "0.9-doduo"},
		{"PyPI", "2013-01-21T20:33:09+0100"},
		{"Maven", "${project.version}"},
		{"Maven", "LATEST"},
		{"RubyGems", ""},
		{"RubyGems", "1.0.0 beta"},
		{"Packagist", "dev-main"},
		{"Packagist", "1.x-dev"},
		{"NuGet", "1.0.0.0.0"},
		{"Debian", "abc"},
		{"Debian", "1.0-"},
		{"Alpine", "1.2.3-r"},
		{"Alpine", "1.2.3_foo1"},
		{"Red Hat", "(none)"},
		{"crates.io", "01.2.3junk junk"},
	} {
		if v, err := Parse(tc.eco, tc.v); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q, %q) = %v, %v; want ErrInvalid", tc.eco, tc.v, v, err)
		}
	}
	if _, err := Parse("Linux", "6.1"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Parse(Linux) error = %v, want ErrUnsupported", err)
	}
	long := make([]byte, MaxLen+1)
	for i := range long {
		long[i] = '1'
	}
	if _, err := Parse("npm", string(long)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Parse(%d digits) error = %v, want ErrInvalid", len(long), err)
	}
}

func TestSupported(t *testing.T) {
	for eco, want := range map[string]bool{
		"Go": true, "npm": true, "PyPI": true, "crates.io": true, "Maven": true,
		"RubyGems": true, "Packagist": true, "NuGet": true, "Debian:12": true,
		"Ubuntu:22.04:LTS": true, "Alpine:v3.19": true, "Red Hat:enterprise_linux:9::appstream": true,
		"Rocky Linux:9": true, "GIT": false, "Linux": false, "": false, "go": false,
	} {
		if got := Supported(eco); got != want {
			t.Errorf("Supported(%q) = %v, want %v", eco, got, want)
		}
	}
}

func TestVersionCompareAcrossSchemes(t *testing.T) {
	npm, err := Parse("npm", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	py, err := Parse("PyPI", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if c := npm.Compare(py); c == 0 || c != -py.Compare(npm) {
		t.Errorf("npm vs PyPI: %d / %d, want a non-zero antisymmetric order", c, py.Compare(npm))
	}
	var zero Version
	if zero.Compare(npm) != -1 || npm.Compare(zero) != 1 || zero.Compare(Version{}) != 0 {
		t.Error("the zero Version must sort first")
	}
	if npm.String() != "1.0.0" {
		t.Errorf("String() = %q", npm.String())
	}
}

func BenchmarkCompareDebian(b *testing.B) {
	x, err := Parse("Debian:12", "1:2.36-9+deb12u4")
	if err != nil {
		b.Fatal(err)
	}
	y, err := Parse("Debian:12", "1:2.36-9+deb12u10")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if x.Compare(y) != -1 {
			b.Fatal("wrong order")
		}
	}
}

func BenchmarkParseCompareGo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := Compare("Go", "v0.0.0-20210226172049-e18ecbb05110", "0.17.0")
		if err != nil || c != -1 {
			b.Fatal(c, err)
		}
	}
}

// checkChain asserts that versions are in strictly ascending order, every
// pair of them.
func checkChain(t *testing.T, ecosystem string, versions []string) {
	t.Helper()
	for i := range versions {
		for j := i + 1; j < len(versions); j++ {
			if c, err := Compare(ecosystem, versions[i], versions[j]); err != nil || c != -1 {
				t.Errorf("%s: Compare(%q, %q) = %d, %v; want -1", ecosystem, versions[i], versions[j], c, err)
			}
		}
	}
}

func TestChains(t *testing.T) {
	// PEP 440, "Summary of permitted suffixes and relative ordering".
	checkChain(t, "PyPI", []string{
		"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
		"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
		"1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
		"1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
	})
	// semver.org §11.
	checkChain(t, "npm", []string{
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
	})
	// Maven's ComparableVersionTest (VERSIONS_QUALIFIER and VERSIONS_NUMBER).
	checkChain(t, "Maven", []string{
		"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
		"1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc",
		"1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
	})
	checkChain(t, "Maven", []string{
		"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
		"2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
		"11", "11.a", "11b", "11c", "11m",
	})
	// Go stdlib releases as OSV spells them, and a Go module's history.
	checkChain(t, "Go", []string{
		"1.20.0-0", "1.20.0-rc.1", "1.20.0", "1.20.14", "1.21.0-0", "go1.21rc2", "go1.21.0", "go1.21.4", "1.22.0",
	})
	checkChain(t, "Go", []string{
		"v0.0.0-20190320223903-b7391e95e576", "v0.0.0-20220525230936-793ad666bf5e",
		"v0.1.0", "v0.17.0", "v0.31.0", "v1.0.0-rc.1", "v1.0.0", "v2.0.0+incompatible",
	})
}
