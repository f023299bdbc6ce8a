// Package cargo catalogs Rust crates from Cargo.lock files (cargo-lock), in
// every lockfile format Cargo has written (v1 to v4). Crates are reported in
// the crates.io ecosystem with pkg:cargo package URLs; crates from other
// registries are left out.
package cargo

import (
	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// Catalogers returns every Rust cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{LockCataloger{}}
}

// purl returns pkg:cargo/<name>@<version>.
func purl(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeCargo, "", name, version, nil, "").ToString()
}
