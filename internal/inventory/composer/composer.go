// Package composer catalogs PHP packages from Composer's composer.lock files
// (composer-lock). Packages are reported in the Packagist ecosystem under
// their vendor/package names, with versions as Composer wrote them ("v5.4.19"
// keeps its "v").
package composer

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// Catalogers returns every PHP cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{LockCataloger{}}
}

// purl returns pkg:composer/<vendor>/<package>@<version>, lower-cased as
// the purl specification asks for this type, or "" for a name it cannot
// express.
func purl(name, version string) string {
	namespace, pkgName, ok := strings.Cut(name, "/")
	if !ok {
		namespace, pkgName = "", name
	}
	p := packageurl.NewPackageURL(packageurl.TypeComposer, namespace, pkgName, version, nil, "")
	if err := p.Normalize(); err != nil {
		return ""
	}
	return p.ToString()
}
