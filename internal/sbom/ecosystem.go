package sbom

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// EcosystemFromPURL returns the OSV ecosystem and the package name as that
// ecosystem spells it for a package URL. It is the one table from purl
// types to OSV ecosystems (docs/sbom.md shows it):
//
//	golang     Go         namespace/name ("github.com/pkg/errors")
//	npm        npm        "@scope/name" or "name"
//	pypi       PyPI       name normalized as PEP 503 says
//	cargo      crates.io  name
//	composer   Packagist  "vendor/package"
//	gem        RubyGems   name
//	maven      Maven      "group:artifact"
//	nuget      NuGet      name
//	hex        Hex        name
//	pub        Pub        name
//	swift      SwiftURL   namespace/name
//	deb        Debian:<major> or Ubuntu:<release>, from the distro qualifier
//	apk        Alpine:v<major>.<minor>, from the distro qualifier
//	rpm        AlmaLinux:<major>, Rocky Linux:<major>, Mageia:<major>,
//	           openSUSE:Leap <release>, from the distro qualifier
//
// The distro qualifier is read as Syft writes it ("debian-12",
// "alpine-3.19.1", "ubuntu-22.04") and as Trivy writes it ("debian-12.5",
// "3.19.1"); without it the purl namespace names the distribution. ok is
// false for a malformed purl, an unknown type and an OS package whose
// release is not known; name is still set when the purl parses.
func EcosystemFromPURL(purl string) (ecosystem, name string, ok bool) {
	p, err := packageurl.FromString(purl)
	if err != nil {
		return "", "", false
	}
	return ecosystemOf(&p)
}

func ecosystemOf(p *packageurl.PackageURL) (ecosystem, name string, ok bool) {
	joined := p.Name
	if p.Namespace != "" {
		joined = p.Namespace + "/" + p.Name
	}
	switch p.Type {
	case packageurl.TypeGolang:
		return inventory.EcosystemGo, joined, p.Name != ""
	case packageurl.TypeNPM:
		return inventory.EcosystemNPM, joined, p.Name != ""
	case packageurl.TypePyPi:
		return inventory.EcosystemPyPI, inventory.NormalizePyPI(p.Name), p.Name != ""
	case packageurl.TypeCargo:
		return inventory.EcosystemCrates, p.Name, p.Name != ""
	case packageurl.TypeComposer:
		return inventory.EcosystemPackagist, joined, p.Name != ""
	case packageurl.TypeGem:
		return inventory.EcosystemRubyGems, p.Name, p.Name != ""
	case packageurl.TypeMaven:
		if p.Namespace == "" {
			return inventory.EcosystemMaven, p.Name, false
		}
		return inventory.EcosystemMaven, p.Namespace + ":" + p.Name, p.Name != ""
	case packageurl.TypeNuget:
		return inventory.EcosystemNuGet, p.Name, p.Name != ""
	case packageurl.TypeHex:
		return "Hex", p.Name, p.Name != ""
	case packageurl.TypePub:
		return "Pub", p.Name, p.Name != ""
	case packageurl.TypeSwift:
		return "SwiftURL", joined, p.Name != ""
	case packageurl.TypeDebian, packageurl.TypeApk, packageurl.TypeRPM:
		eco := distroEcosystem(p.Type, p.Namespace, qualifier(p, "distro"))
		return eco, p.Name, eco != "" && p.Name != ""
	}
	return "", p.Name, false
}

func qualifier(p *packageurl.PackageURL, key string) string {
	for _, q := range p.Qualifiers {
		if q.Key == key {
			return q.Value
		}
	}
	return ""
}

// distroEcosystem maps an OS package's distribution to its OSV ecosystem.
// distro is "<id>-<release>" or a bare release; namespace is the purl's
// ("debian", "ubuntu", "alpine", "rocky" …).
func distroEcosystem(typ, namespace, distro string) string {
	id, release := strings.ToLower(namespace), distro
	if i := strings.LastIndexByte(distro, '-'); i >= 0 && !startsWithDigit(distro) {
		id, release = strings.ToLower(distro[:i]), distro[i+1:]
	}
	release = strings.TrimPrefix(release, "v")
	if release == "" || !startsWithDigit(release) {
		return ""
	}
	major, minor, _ := strings.Cut(release, ".")
	minor, _, _ = strings.Cut(minor, ".")
	switch {
	case typ == packageurl.TypeDebian && id == "debian":
		return "Debian:" + major
	case typ == packageurl.TypeDebian && id == "ubuntu":
		if minor == "" {
			return ""
		}
		return "Ubuntu:" + major + "." + minor
	case typ == packageurl.TypeApk && (id == "alpine" || id == "alpinelinux"):
		if minor == "" {
			return ""
		}
		return "Alpine:v" + major + "." + minor
	case typ == packageurl.TypeRPM && id == "almalinux":
		return "AlmaLinux:" + major
	case typ == packageurl.TypeRPM && (id == "rocky" || id == "rockylinux"):
		return "Rocky Linux:" + major
	case typ == packageurl.TypeRPM && id == "mageia":
		return "Mageia:" + major
	case typ == packageurl.TypeRPM && (id == "opensuse-leap" || id == "opensuse"):
		if minor == "" {
			return ""
		}
		return "openSUSE:Leap " + major + "." + minor
	}
	return ""
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }
