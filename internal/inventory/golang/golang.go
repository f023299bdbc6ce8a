// Package golang catalogs Go modules: the build information that the Go
// linker writes into every binary (go-binary) and the requirements of go.mod
// files (go-mod). Versions keep Go's "v" prefix; the standard library linked
// into a binary is reported as the package "stdlib" with a bare version.
package golang

import (
	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// Stdlib is the package name under which the Go standard library is reported,
// as in the Go vulnerability database's OSV records.
const Stdlib = "stdlib"

// Catalogers returns every Go cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{BinaryCataloger{}, ModCataloger{}}
}

// purl returns the package URL of a Go module version:
// pkg:golang/<module path>@<version>. packageurl-go lower-cases namespace and
// name as the purl specification asks for the golang type; the package's Name
// keeps the module path's case. It returns "" for a path that has no purl.
func purl(modPath, version string) string {
	namespace, name := "", modPath
	for i := len(modPath) - 1; i >= 0; i-- {
		if modPath[i] == '/' {
			namespace, name = modPath[:i], modPath[i+1:]
			break
		}
	}
	p := packageurl.NewPackageURL(packageurl.TypeGolang, namespace, name, version, nil, "")
	if err := p.Normalize(); err != nil {
		return ""
	}
	return p.ToString()
}

// modulePackage returns the inventory record of one module version.
func modulePackage(modPath, version string) inventory.Package {
	return inventory.Package{
		Name:      modPath,
		Version:   version,
		Ecosystem: inventory.EcosystemGo,
		PURL:      purl(modPath, version),
	}
}
