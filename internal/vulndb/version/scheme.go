package version

import (
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"
)

// A scheme is one ecosystem's version syntax and ordering: normalize checks
// that a string is a version at all and rewrites it into the form semantic
// orders correctly; parse hands it to semantic.
type scheme struct {
	name      string
	normalize func(string) (string, bool)
	parse     func(string) (semantic.Version, error)
}

var (
	goScheme     = &scheme{"go", normalizeGo, parseSemver}
	semverStrict = &scheme{"semver", normalizeSemver, parseSemver}
	semverLoose  = &scheme{"semver", normalizeLoose, parseSemver}
	pep440       = &scheme{"pep440", normalizePEP440, func(s string) (semantic.Version, error) { return semantic.ParsePyPIVersion(s) }}
	maven        = &scheme{"maven", normalizeMaven, func(s string) (semantic.Version, error) { return semantic.ParseMavenVersion(s), nil }}
	rubygems     = &scheme{"rubygems", normalizeRubyGems, func(s string) (semantic.Version, error) { return semantic.ParseRubyGemsVersion(s), nil }}
	packagist    = &scheme{"packagist", normalizePackagist, func(s string) (semantic.Version, error) { return semantic.ParsePackagistVersion(s), nil }}
	nuget        = &scheme{"nuget", normalizeNuGet, func(s string) (semantic.Version, error) { return semantic.ParseNuGetVersion(s), nil }}
	debian       = &scheme{"debian", normalizeDebian, func(s string) (semantic.Version, error) { return semantic.ParseDebianVersion(s) }}
	alpine       = &scheme{"alpine", normalizeAlpine, func(s string) (semantic.Version, error) { return semantic.ParseAlpineVersion(s) }}
	rpm          = &scheme{"rpm", normalizeRPM, func(s string) (semantic.Version, error) { return semantic.ParseRedHatVersion(s), nil }}
	cran         = &scheme{"cran", normalizeLoose, func(s string) (semantic.Version, error) { return semantic.ParseCRANVersion(s) }}
	hackage      = &scheme{"hackage", normalizeLoose, func(s string) (semantic.Version, error) { return semantic.ParseHackageVersion(s) }}
	pub          = &scheme{"pub", normalizeLoose, func(s string) (semantic.Version, error) { return semantic.ParsePubVersion(s), nil }}
)

// schemes maps base OSV ecosystem names to their scheme. It is the same set
// semantic.Parse knows, so that an ecosystem is either fully supported here
// or not at all.
var schemes = map[string]*scheme{
	"Go":        goScheme,
	"npm":       semverStrict,
	"crates.io": semverStrict,
	"PyPI":      pep440,
	"Maven":     maven,
	"RubyGems":  rubygems,
	"Packagist": packagist,
	"NuGet":     nuget,

	"Debian": debian,
	"Ubuntu": debian,

	"Alpine":                       alpine,
	"Alpaquita":                    alpine,
	"BellSoft Hardened Containers": alpine,
	"Chainguard":                   alpine,
	"MinimOS":                      alpine,
	"Wolfi":                        alpine,

	"AlmaLinux":   rpm,
	"Mageia":      rpm,
	"openEuler":   rpm,
	"openSUSE":    rpm,
	"Red Hat":     rpm,
	"Rocky Linux": rpm,
	"SUSE":        rpm,

	"Bioconductor":           semverLoose,
	"Bitnami":                semverLoose,
	"ConanCenter":            semverLoose,
	"Docker Hardened Images": semverLoose,
	"GHC":                    semverLoose,
	"Hex":                    semverLoose,
	"Julia":                  semverLoose,
	"SwiftURL":               semverLoose,

	"CRAN":    cran,
	"Hackage": hackage,
	"Pub":     pub,
}

func lookup(ecosystem string) (*scheme, bool) {
	s, ok := schemes[Base(ecosystem)]
	return s, ok
}

func parseSemver(s string) (semantic.Version, error) { return semantic.ParseSemverVersion(s), nil }

// goTag matches Go toolchain tags: go1.21.3, go1.21, go1.21rc2, go1.9.2rc2.
var goTag = regexp.MustCompile(`^go(\d+\.\d+)(\.\d+)?(?:(beta|rc)(\d+))?$`)

// normalizeGo accepts module versions with or without the "v" that go.mod
// writes ("v1.2.3", "1.2.3", "v2.0.0+incompatible", pseudo-versions) and
// toolchain tags ("go1.21.3", "go1.21rc2", also with a " X:…" experiment
// suffix), and returns the bare semver that OSV Go records use. Tags map as
// govulncheck maps them: go1.21 → 1.21.0, go1.21rc2 → 1.21.0-rc.2.
func normalizeGo(v string) (string, bool) {
	if strings.HasPrefix(v, "go") {
		v, _, _ = strings.Cut(v, " ")
		m := goTag.FindStringSubmatch(v)
		if m == nil {
			return "", false
		}
		out := m[1] + ".0"
		if m[2] != "" {
			out = m[1] + m[2]
		}
		if m[3] != "" {
			out += "-" + m[3] + "." + m[4]
		}
		return out, true
	}
	v = strings.TrimPrefix(v, "v")
	return v, semver.IsValid("v" + v)
}

// semverRE is SemVer 2.0 with an optional "v" and minor and patch optional
// (OSV records for npm occasionally write "1.2"). More than three numbers is
// not semver: semantic would silently fold the fourth into build metadata.
var semverRE = regexp.MustCompile(`^v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

func normalizeSemver(v string) (string, bool) { return v, semverRE.MatchString(v) }

// normalizeLoose accepts any non-blank printable ASCII token with a digit in
// it, for ecosystems whose syntax semantic checks itself (or not at all).
func normalizeLoose(v string) (string, bool) {
	digit := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f {
			return "", false
		}
		if c >= '0' && c <= '9' {
			digit = true
		}
	}
	return v, digit
}

// pep440RE is the regular expression of PEP 440, Appendix B (as packaging
// uses it), anchored and case-insensitive.
var pep440RE = regexp.MustCompile(`(?i)^\s*v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$`)

// normalizePEP440 accepts PEP 440 versions only. Pre-PEP 440 ("legacy")
// strings such as "0.9-doduo" are rejected: pip has refused them since
// packaging 22, and semantic's best-effort order for them is not one any
// tool agrees on.
func normalizePEP440(v string) (string, bool) { return v, pep440RE.MatchString(v) }

// mavenRE: tokens of letters and digits (and the odd "_" or "+") joined by
// single "." or "-", with a digit somewhere. This rejects unresolved
// properties ("${project.version}"), the LATEST/RELEASE meta-versions and
// empty tokens ("1..2"), on which semantic's order is not transitive.
var mavenRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_+]*(?:[.-][0-9A-Za-z_+]+)*$`)

// dotQualifier is a "." that starts a qualifier ("1.0.RC1", "2.0.0.M1").
var dotQualifier = regexp.MustCompile(`\.([A-Za-z])`)

// normalizeMaven rewrites ".qualifier" as "-qualifier". Maven's version
// order specification has them equal (".qualifier" = "-qualifier" <
// "-number" < ".number") and Maven's ComparableVersion agrees
// ("1.0.1.RC1" == "1.0.1-RC1"); semantic ranks ".qualifier" below
// "-qualifier", which both misorders real versions and makes its order
// intransitive ("0A" < "0.0.A0" < "0" < "0A").
func normalizeMaven(v string) (string, bool) {
	if !mavenRE.MatchString(v) || !strings.ContainsAny(v, "0123456789") {
		return "", false
	}
	return dotQualifier.ReplaceAllString(v, "-$1"), true
}

// rubyRE is Gem::Version::ANCHORED_VERSION_PATTERN, without the empty version.
var rubyRE = regexp.MustCompile(`^\s*[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$`)

// normalizeRubyGems does what Gem::Version#initialize does: strip, and read
// "-" as ".pre." ("1.0.0-rc1" is "1.0.0.pre.rc1"). semantic skips the
// rewrite, which misorders hyphenated against dotted prereleases
// ("1.0.0-beta" must sort after "1.0.0.alpha", as "pre" > "alpha").
func normalizeRubyGems(v string) (string, bool) {
	if !rubyRE.MatchString(v) {
		return "", false
	}
	return strings.ReplaceAll(strings.TrimSpace(v), "-", ".pre."), true
}

var (
	// composerRE is the shape Composer's VersionParser::normalize accepts
	// for tagged releases: up to four numbers and a stability modifier.
	composerRE = regexp.MustCompile(`(?i)^v?(\d+)(\.\d+)?(\.\d+)?(\.\d+)?((?:[._-]?(?:stable|beta|b|rc|alpha|a|patch|pl|p)(?:[.-]?\d+)*)?(?:[.-]?dev)?)$`)
	// composerDateRE is Composer's date-based version form (2010.01.02).
	composerDateRE = regexp.MustCompile(`(?i)^v?\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2}$`)
	stableRE       = regexp.MustCompile(`(?i)^[._-]?stable`)
)

// normalizePackagist does what Composer's VersionParser::normalize does
// before comparing: drop the "v", pad the release to four numbers and drop a
// "stable" modifier, lower-case the modifier. semantic compares the raw strings the way PHP's
// version_compare does, so without this "1.0" < "1.0.0" < "1.0.0.0",
// where Composer has them equal. Branch names ("dev-main", "1.x-dev") are
// not versions.
func normalizePackagist(v string) (string, bool) {
	m := composerRE.FindStringSubmatch(v)
	if m == nil {
		if composerDateRE.MatchString(v) {
			return strings.TrimLeft(v, "vV"), true
		}
		return "", false
	}
	var b strings.Builder
	b.WriteString(m[1])
	for _, part := range m[2:5] {
		if part == "" {
			part = ".0"
		}
		b.WriteString(part)
	}
	// Composer lower-cases the modifier; semantic only knows the lower-case
	// words ("BETA2" would otherwise sort as a dev release).
	b.WriteString(stableRE.ReplaceAllString(strings.ToLower(m[5]), ""))
	return b.String(), true
}

// nugetRE is NuGet's SemVer 2.0 superset: up to four numbers.
var nugetRE = regexp.MustCompile(`^\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

func normalizeNuGet(v string) (string, bool) { return v, nugetRE.MatchString(v) }

// debianRE is deb-version(7): [epoch:]upstream[-revision], the upstream
// starting with a digit.
var debianRE = regexp.MustCompile(`^(?:\d+:)?\d[A-Za-z0-9.+~-]*$`)

func normalizeDebian(v string) (string, bool) {
	return v, debianRE.MatchString(v) && !strings.HasSuffix(v, "-")
}

// alpineRE is apk's version syntax:
// number{.number}…{letter}{_suffix{number}}…{~hash}{-r#}.
var alpineRE = regexp.MustCompile(`^\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*(?:~[0-9a-f]+)?(?:-r\d+)?$`)

func normalizeAlpine(v string) (string, bool) { return v, alpineRE.MatchString(v) }

// rpmRE is [epoch:]version[-release] in the characters rpmvercmp reads.
var rpmRE = regexp.MustCompile(`^(?:\d+:)?[A-Za-z0-9._+~^-]*\d[A-Za-z0-9._+~^-]*$`)

func normalizeRPM(v string) (string, bool) { return v, rpmRE.MatchString(v) }
