package distro

import (
	"strings"
)

// Package types of OS packages, as PURL types name them. They double as the
// placeholder ecosystems OS catalogers give their packages until Apply sets
// the distribution's OSV ecosystem: no OSV ecosystem has these names, so a
// package left with one matches nothing.
const (
	TypeDeb = "deb"
	TypeAPK = "apk"
	TypeRPM = "rpm"
)

// family is what Redline knows about one distribution, keyed by os-release ID.
type family struct {
	// pkgType is the package manager's PURL type.
	pkgType string
	// namespace is the PURL namespace (the vendor).
	namespace string
	// ecosystem returns the OSV ecosystem for a release, or "" with a reason
	// when the release has none.
	ecosystem func(r release) (string, string)
}

// families lists the distributions by os-release ID. Ecosystem strings follow
// the OSV schema's list of ecosystems (https://ossf.github.io/osv-schema/#affectedpackage-field)
// and the suffixes OSV.dev's records use.
var families = map[string]family{
	"debian": {TypeDeb, "debian", func(r release) (string, string) {
		if !isDigits(r.VersionID) {
			return "", "Debian testing and unstable have no release number; OSV records are per release"
		}
		return "Debian:" + r.VersionID, ""
	}},
	"ubuntu": {TypeDeb, "ubuntu", ubuntuEcosystem},
	"alpine": {TypeAPK, "alpine", func(r release) (string, string) {
		if r.VersionID == "" {
			return "", "no VERSION_ID"
		}
		return "Alpine:v" + majorMinor(r.VersionID), ""
	}},
	"wolfi":      {TypeAPK, "wolfi", fixed("Wolfi")},
	"chainguard": {TypeAPK, "chainguard", fixed("Chainguard")},
	"minimos":    {TypeAPK, "minimos", fixed("MinimOS")},
	"rhel":       {TypeRPM, "redhat", redHatEcosystem},
	"almalinux":  {TypeRPM, "almalinux", versioned("AlmaLinux", major)},
	"rocky":      {TypeRPM, "rocky", versioned("Rocky Linux", major)},
	"mageia":     {TypeRPM, "mageia", versioned("Mageia", keep)},
	"photon":     {TypeRPM, "photon", versioned("Photon OS", keep)},
	"azurelinux": {TypeRPM, "azurelinux", versioned("Azure Linux", major)},
	"mariner":    {TypeRPM, "azurelinux", versioned("Azure Linux", major)},
	"openEuler":  {TypeRPM, "openeuler", openEulerEcosystem},
	"opensuse-leap": {TypeRPM, "opensuse", func(r release) (string, string) {
		if r.VersionID == "" {
			return "", "no VERSION_ID"
		}
		return "openSUSE:Leap " + r.VersionID, ""
	}},
	"opensuse-tumbleweed": {TypeRPM, "opensuse", fixed("openSUSE:Tumbleweed")},
	"sles":                {TypeRPM, "suse", suseEcosystem},
	"sles_sap":            {TypeRPM, "suse", suseEcosystem},
	// Known distributions without OSV records.
	"centos":   {TypeRPM, "centos", none("CentOS has no OSV ecosystem")},
	"fedora":   {TypeRPM, "fedora", none("Fedora has no OSV ecosystem")},
	"amzn":     {TypeRPM, "amazon", none("Amazon Linux has no OSV ecosystem")},
	"ol":       {TypeRPM, "oracle", none("Oracle Linux has no OSV ecosystem")},
	"raspbian": {TypeDeb, "raspbian", none("Raspbian has no OSV ecosystem")},
}

func fixed(eco string) func(release) (string, string) {
	return func(release) (string, string) { return eco, "" }
}

func none(reason string) func(release) (string, string) {
	return func(release) (string, string) { return "", reason }
}

func keep(v string) string { return v }

// versioned returns "<name>:<version>" with the version cut by cut.
func versioned(name string, cut func(string) string) func(release) (string, string) {
	return func(r release) (string, string) {
		v := cut(r.VersionID)
		if v == "" {
			return "", "no VERSION_ID"
		}
		return name + ":" + v, ""
	}
}

// ubuntuEcosystem returns "Ubuntu:22.04:LTS" for a long-term support release
// and "Ubuntu:24.10" for another: the OSV schema makes the ":LTS" suffix
// mandatory for LTS releases.
func ubuntuEcosystem(r release) (string, string) {
	v := majorMinor(r.VersionID)
	if v == "" {
		return "", "no VERSION_ID"
	}
	if isLTS(r) {
		return "Ubuntu:" + v + ":LTS", ""
	}
	return "Ubuntu:" + v, ""
}

// isLTS reports whether an Ubuntu release is a long-term support one: its
// VERSION says so, or (for an lsb-release without it) it is an April release
// of an even year, which every LTS since 6.06 has been.
func isLTS(r release) bool {
	if strings.Contains(r.Version, "LTS") || strings.Contains(r.PrettyName, "LTS") {
		return true
	}
	year, month, ok := strings.Cut(majorMinor(r.VersionID), ".")
	if !ok || !isDigits(year) || month != "04" {
		return false
	}
	return (year[len(year)-1]-'0')%2 == 0
}

// redHatEcosystem returns "Red Hat:" and the CPE_NAME with its
// "cpe:/o:redhat:" prefix removed, as the OSV schema defines it:
// "Red Hat:enterprise_linux:9::baseos". Packages from other product streams
// (AppStream) are matched only by records that name this stream too.
func redHatEcosystem(r release) (string, string) {
	if _, suffix, ok := strings.Cut(r.CPEName, ":redhat:"); ok && suffix != "" {
		return "Red Hat:" + suffix, ""
	}
	if m := major(r.VersionID); m != "" {
		return "Red Hat:enterprise_linux:" + m + "::baseos", ""
	}
	return "", "no CPE_NAME or VERSION_ID"
}

// suseEcosystem returns "SUSE:" and the product's marketing name, which the
// OSV schema takes from PRETTY_NAME: "SUSE:Linux Enterprise Server 15 SP5".
func suseEcosystem(r release) (string, string) {
	name, ok := strings.CutPrefix(r.PrettyName, "SUSE ")
	if !ok || name == "" {
		return "", "PRETTY_NAME does not start with \"SUSE \""
	}
	return "SUSE:" + name, ""
}

// openEulerEcosystem returns "openEuler:24.03-LTS-SP1" from VERSION_ID
// "24.03" and VERSION "24.03 (LTS-SP1)".
func openEulerEcosystem(r release) (string, string) {
	if r.VersionID == "" {
		return "", "no VERSION_ID"
	}
	eco := "openEuler:" + r.VersionID
	if _, q, ok := strings.Cut(r.Version, "("); ok {
		q = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(q), ")"))
		q = strings.ReplaceAll(q, " ", "-")
		if q != "" {
			eco += "-" + q
		}
	}
	return eco, ""
}
