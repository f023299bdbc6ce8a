// Package apk catalogs the Alpine packages installed in a root file system
// from apk's database, lib/apk/db/installed. It serves every distribution
// built on apk (Alpine, Wolfi, Chainguard). Packages are reported with the
// placeholder ecosystem distro.TypeAPK until distro.Apply names the release
// ("Alpine:v3.19").
package apk

import (
	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
)

// Catalogers returns every apk cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{InstalledCataloger{}}
}

// purl returns pkg:apk/<name>@<version>?arch=<arch>; distro.Apply adds the
// namespace and the distro qualifier. Names are lower case, as the PURL spec
// says for apk.
func purl(name, version, arch string) string {
	var qs packageurl.Qualifiers
	if arch != "" {
		qs = packageurl.QualifiersFromMap(map[string]string{"arch": arch})
	}
	return packageurl.NewPackageURL(distro.TypeAPK, "", name, version, qs, "").ToString()
}
