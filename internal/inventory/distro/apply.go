package distro

import (
	"fmt"
	"sort"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// Apply gives OS packages the distribution's OSV ecosystem and PURL. The OS
// catalogers (dpkg, apk, rpm) report their packages with the placeholder
// ecosystems TypeDeb, TypeAPK and TypeRPM and a PURL without namespace or
// distro; Apply sets, for each package whose type is the distribution's:
//
//   - Ecosystem to d.Ecosystem, when the distribution is supported;
//   - the PURL namespace to d.Namespace and its "distro" qualifier to
//     "<ID>-<VERSION_ID>", as Syft writes it and the PURL spec's rpm
//     examples do (pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12).
//
// Other packages are returned unchanged; so are all packages when d is nil.
// A package left with a placeholder ecosystem matches no vulnerability;
// Warnings says so. The input slice is not modified.
func Apply(d *Distro, pkgs []inventory.Package) []inventory.Package {
	out := make([]inventory.Package, len(pkgs))
	copy(out, pkgs)
	if d == nil || d.PackageType == "" {
		return out
	}
	for i := range out {
		p := &out[i]
		if p.Ecosystem != d.PackageType {
			continue
		}
		if d.Supported {
			p.Ecosystem = d.Ecosystem
		}
		p.PURL = withDistro(p.PURL, d)
	}
	return out
}

// withDistro returns purl with d's namespace and distro qualifier. A PURL
// that does not parse is returned as it is.
func withDistro(purl string, d *Distro) string {
	u, err := packageurl.FromString(purl)
	if err != nil {
		return purl
	}
	u.Namespace = d.Namespace
	qs := make(map[string]string, len(u.Qualifiers)+1)
	for _, q := range u.Qualifiers {
		qs[q.Key] = q.Value
	}
	qs["distro"] = d.qualifier()
	u.Qualifiers = packageurl.QualifiersFromMap(qs) // sorted by key
	return u.ToString()
}

// qualifier is the PURL distro qualifier: "debian-12", "alpine-3.19.1".
func (d *Distro) qualifier() string {
	if d.VersionID == "" {
		return d.ID
	}
	return d.ID + "-" + d.VersionID
}

// IsPending reports whether eco is one of the placeholder ecosystems of OS
// packages that Apply has not resolved.
func IsPending(eco string) bool {
	return eco == TypeDeb || eco == TypeAPK || eco == TypeRPM
}

// Warnings returns what a user must be told about the distribution and the
// OS packages after Apply: an unknown or unsupported distribution, one past
// its end of life, and OS packages that are not matched because no
// distribution was found or it uses another package type. The messages are
// sorted and meant to be printed as they are.
func Warnings(d *Distro, pkgs []inventory.Package) []string {
	pending := make(map[string]int)
	for i := range pkgs {
		if IsPending(pkgs[i].Ecosystem) {
			pending[pkgs[i].Ecosystem]++
		}
	}
	var ws []string
	if d != nil {
		if !d.Supported {
			ws = append(ws, fmt.Sprintf("distribution %s (%s): %s; its packages are not matched against vulnerabilities", d, d.Path, d.Reason))
		}
		if d.EOL {
			ws = append(ws, fmt.Sprintf("distribution %s reached end of life on %s: it gets no security fixes, and advisories for it stop at that day", d, d.EOLDate))
		}
	}
	types := make([]string, 0, len(pending))
	for t := range pending {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		n := pending[t]
		switch {
		case d == nil:
			ws = append(ws, fmt.Sprintf("%d %s packages found but no distribution release file (etc/os-release): they are not matched against vulnerabilities", n, t))
		case d.PackageType != "" && d.PackageType != t:
			ws = append(ws, fmt.Sprintf("%d %s packages found on %s, whose packages are %s: they are not matched against vulnerabilities", n, t, d, d.PackageType))
		case d.PackageType == "":
			ws = append(ws, fmt.Sprintf("%d %s packages of unknown distribution %q are not matched against vulnerabilities", n, t, d.ID))
		}
	}
	sort.Strings(ws)
	return ws
}
