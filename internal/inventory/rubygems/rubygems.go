// Package rubygems catalogs Ruby gems from Bundler's lockfiles, Gemfile.lock
// and gems.locked (gemfile-lock). Gems are reported in the RubyGems
// ecosystem with pkg:gem package URLs; a platform suffix such as
// "-x86_64-linux" is not part of the version.
package rubygems

import (
	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// Catalogers returns every Ruby cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{GemfileLockCataloger{}}
}

// purl returns pkg:gem/<name>@<version>.
func purl(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, nil, "").ToString()
}
