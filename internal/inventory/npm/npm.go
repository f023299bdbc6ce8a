// Package npm catalogs JavaScript packages of the npm ecosystem: the
// lockfiles of npm (package-lock.json, npm-shrinkwrap.json), Yarn (classic
// and Berry yarn.lock) and pnpm (pnpm-lock.yaml), and installed packages
// under node_modules. Names are the real registry names (aliases resolved)
// so that they match OSV records.
package npm

import (
	"bytes"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// Limits on hostile input.
const (
	// maxLockfileSize bounds the lockfiles read into memory.
	maxLockfileSize = 64 << 20
	// maxYAMLSize bounds the YAML lockfiles, whose node trees cost many
	// times their size in memory (a real 16 MiB pnpm-lock.yaml, some
	// 90,000 packages, is far beyond the largest monorepos').
	maxYAMLSize = 16 << 20
	// maxYAMLTokens bounds the bytes that can start a YAML node, so that a
	// file of tiny nodes ("[a,a,a,…]") cannot cost gigabytes. Real
	// lockfiles have one such byte in every 12 or so.
	maxYAMLTokens = 1_500_000
	// maxManifestSize bounds an installed package.json.
	maxManifestSize = 4 << 20
	// maxPackages bounds the entries reported from one file.
	maxPackages = 1 << 20
	// maxDepth bounds the nesting of lockfileVersion 1 dependencies.
	maxDepth = 256
	// checkEvery is how many entries are read between context checks
	// (the first entry is checked too).
	checkEvery = 1024
)

// Catalogers returns every npm-ecosystem cataloger.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{PackageLock{}, YarnLock{}, PNPMLock{}, NodeModules{}}
}

// newPackage builds an npm package found at file:line.
func newPackage(name, version, file string, line int, dev bool) inventory.Package {
	return inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.EcosystemNPM,
		PURL:      purl(name, version),
		Locations: []finding.Location{{Path: file, Line: line}},
		Dev:       dev,
	}
}

// purl returns the package URL of an npm package: the scope, with its "@",
// is the namespace (pkg:npm/%40babel/traverse@7.22.0).
func purl(name, version string) string {
	var ns string
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, version, nil, "").ToString()
}

// splitSpec splits "name@rest" at the "@" that ends the name; a scoped name
// starts with "@" too. ok is false when there is no such "@".
func splitSpec(s string) (name, rest string, ok bool) {
	if len(s) < 2 {
		return "", "", false
	}
	i := strings.IndexByte(s[1:], '@')
	if i < 0 {
		return "", "", false
	}
	return s[:i+1], s[i+2:], true
}

// validName reports whether name can be an npm package name: non-empty,
// "@scope/name" when scoped, and free of control characters and spaces.
func validName(name string) bool {
	if name == "" || len(name) > 214*2 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	if strings.HasPrefix(name, "@") {
		i := strings.IndexByte(name, '/')
		return i > 1 && i < len(name)-1 && strings.Count(name, "/") == 1
	}
	return !strings.Contains(name, "/")
}

// validVersion reports whether v can be a concrete version: non-empty and
// free of whitespace and control characters.
func validVersion(v string) bool {
	if v == "" || len(v) > 256 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// localProtocol reports whether a dependency reference names a package
// from the project itself rather than from a registry or remote source.
func localProtocol(ref string) bool {
	for _, p := range []string{"file:", "link:", "portal:", "workspace:"} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	return false
}

// insideNodeModules reports whether p lies under a node_modules directory.
// Lockfiles there came with published packages and describe their authors'
// development trees, not what was installed.
func insideNodeModules(p string) bool {
	return strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/")
}

// lineCounter turns increasing byte offsets into 1-based line numbers
// without rescanning the data from the start each time.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func newLineCounter(data []byte) *lineCounter { return &lineCounter{data: data, line: 1} }

// lineAt returns the line of offset off. Offsets before the previous one
// are counted from the start again.
func (c *lineCounter) lineAt(off int64) int {
	o := int(min(max(off, 0), int64(len(c.data))))
	if o < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:o], []byte{'\n'})
	c.off = o
	return c.line
}
