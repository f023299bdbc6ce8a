// Package rpm catalogs the RPM packages installed in a root file system from
// the rpm database, in each of its formats: SQLite (rpmdb.sqlite, rpm 4.16
// and later: Fedora 33+, RHEL 9), Berkeley DB (Packages: RHEL 8 and older,
// CentOS) and NDB (Packages.db: SUSE). Packages are reported with the
// placeholder ecosystem distro.TypeRPM until distro.Apply names the release
// ("Rocky Linux:9").
package rpm

import (
	"strconv"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
)

// Catalogers returns every rpm cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{DBCataloger{}}
}

// purl returns pkg:rpm/<name>@<version>-<release>?arch=<arch>&epoch=<epoch>,
// the epoch only when it is not zero, as the PURL spec says for rpm;
// distro.Apply adds the namespace and the distro qualifier.
func purl(name, versionRelease, arch string, epoch int) string {
	qs := make(map[string]string, 2)
	if arch != "" {
		qs["arch"] = arch
	}
	if epoch > 0 {
		qs["epoch"] = strconv.Itoa(epoch)
	}
	return packageurl.NewPackageURL(distro.TypeRPM, "", name, versionRelease, packageurl.QualifiersFromMap(qs), "").ToString()
}
