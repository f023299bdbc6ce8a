// Package dpkg catalogs the Debian packages installed in a root file system
// from dpkg's database: var/lib/dpkg/status, and the per-package files of
// var/lib/dpkg/status.d that distroless images carry instead. Packages are
// reported with the placeholder ecosystem distro.TypeDeb until distro.Apply
// names the release ("Debian:12").
package dpkg

import (
	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
)

// Catalogers returns every dpkg cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{StatusCataloger{}}
}

// purl returns pkg:deb/<name>@<version>?arch=<arch>; distro.Apply adds the
// namespace and the distro qualifier.
func purl(name, version, arch string) string {
	var qs packageurl.Qualifiers
	if arch != "" {
		qs = packageurl.QualifiersFromMap(map[string]string{"arch": arch})
	}
	return packageurl.NewPackageURL(distro.TypeDeb, "", name, version, qs, "").ToString()
}
