package match

import (
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
)

// Go specifics, matched to govulncheck v1.9.0 in "-mode binary -scan module"
// (golang.org/x/vuln internal/vulncheck/binary.go and vulncheck.go,
// affectingVulnerabilities and matchesPlatform):
//
//   - Platforms. An affected entry applies when it lists no imports, or
//     when at least one of its imports matches the platform. An import
//     matches when its goos list is empty or holds GOOS, and its goarch list
//     is empty or holds GOARCH; both are checked on the same import, so an
//     import {goos: [windows], goarch: [amd64]} does not match linux/amd64.
//     An entry whose every import fails is dropped before versions matter.
//     govulncheck takes GOOS and GOARCH from the binary's build settings and
//     treats a missing one as matching everything; Redline takes them from
//     the package, then Options, and otherwise matches every platform, as
//     govulncheck's source mode does at module level
//     (affectingVulnerabilities(mv, "", "") in internal/vulncheck/source.go):
//     a go.mod does not say where it will be built.
//   - Versions. govulncheck skips modules whose version is "" or "(devel)"
//     (no warning); so does Redline. It compares with golang.org/x/mod/semver
//     after adding a "v" to OSV's bare versions, and reads the toolchain's
//     "go1.21rc2" as "v1.21.0-rc.2" (internal/semver.GoTagToSemver); the
//     version package does the same.
//   - Ranges. govulncheck reads only SEMVER ranges and treats an entry with
//     none as affecting every version. Go records always carry a SEMVER
//     range, so Redline keeps the OSV rule instead (no range and no
//     versions list: not affected) rather than a Go-only exception.
//   - The standard library is the module "stdlib" with the binary's Go
//     version; the "toolchain" module (cmd/go and friends) is never matched
//     in binary mode.

// stdlib is the OSV package name of the Go standard library.
const stdlib = "stdlib"

// platformApplies reports whether a Go affected entry applies to a build
// for goos/goarch, as govulncheck's affectingVulnerabilities decides it.
func platformApplies(imports []vulndb.GoImport, goos, goarch string) bool {
	if len(imports) == 0 {
		return true
	}
	for _, imp := range imports {
		if matchesPlatform(goos, imp.GOOS) && matchesPlatform(goarch, imp.GOARCH) {
			return true
		}
	}
	return false
}

// matchesPlatform is govulncheck's matchesPlatformComponent: an empty value
// or an empty list matches everything.
func matchesPlatform(s string, list []string) bool {
	return s == "" || len(list) == 0 || slices.Contains(list, s)
}

// noVersion reports whether a version says the package has none that can be
// matched, which is not worth a warning.
func noVersion(ecosystem, v string) bool {
	return v == "" || (ecosystem == inventory.EcosystemGo && v == "(devel)")
}

// spell writes a version from an OSV record the way the package's ecosystem
// writes it. Go modules get the "v" that go.mod and build info use
// ("1.2.3" → "v1.2.3"); the standard library stays bare ("1.21.4"), as the
// inventory records it. Every other ecosystem uses OSV's spelling already.
func spell(pkg *inventory.Package, v string) string {
	if pkg.Ecosystem != inventory.EcosystemGo || pkg.Name == stdlib || strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}
