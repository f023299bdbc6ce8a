// Package inventory is the software bill of materials of a target: the
// packages found in it and where. Each ecosystem has a sub-package of
// catalogers (one file per format); Collector runs them inside the single walk.
package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
)

// OSV ecosystem names used by the catalogers.
const (
	EcosystemGo        = "Go"
	EcosystemNPM       = "npm"
	EcosystemPyPI      = "PyPI"
	EcosystemCrates    = "crates.io"
	EcosystemPackagist = "Packagist"
	EcosystemRubyGems  = "RubyGems"
	EcosystemMaven     = "Maven"
	EcosystemNuGet     = "NuGet"
)

// Package is one installed or locked package.
type Package struct {
	// Name as the ecosystem spells it (module path, npm name with scope,
	// normalized PyPI name, crate name, vendor/package for Composer).
	Name string `json:"name"`
	// Version as recorded by the package manager ("v1.2.3" for Go modules,
	// "1.21.3" for the Go standard library).
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem name ("Go", "npm", "PyPI", "crates.io", …).
	Ecosystem string `json:"ecosystem"`
	// PURL is the package URL.
	PURL string `json:"purl"`
	// Locations are every place the package was found, sorted.
	Locations []finding.Location `json:"locations"`
	// Catalogers that reported it, sorted ("go-binary", "package-lock", …).
	Catalogers []string `json:"catalogers"`
	// SourceName and SourceVersion are the source package an OS package was
	// built from (Debian and Alpine OSV records are keyed by it); empty when
	// the same as Name and Version or not known.
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	// Licenses as the package metadata states them (SPDX expressions where
	// the metadata uses them), sorted.
	Licenses []string `json:"licenses,omitempty"`
	// Dev is true when every place that reported it marks it as a development
	// dependency.
	Dev bool `json:"dev,omitempty"`
	// GOOS and GOARCH are the platform a Go binary was built for; matching
	// uses them to drop platform-specific vulnerabilities that do not apply.
	GOOS   string `json:"goos,omitempty"`
	GOARCH string `json:"goarch,omitempty"`
}

// Key identifies a package for merging: ecosystem, name and version.
func (p *Package) Key() string {
	return p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.GOOS + "/" + p.GOARCH
}

// Identity returns the package as findings record it.
func (p *Package) Identity() *finding.Package {
	return &finding.Package{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL}
}

// ParseError is a malformed input at a known place. Catalogers return it so
// that the warning names file and line.
type ParseError struct {
	Path string
	Line int // 0 when unknown
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Merge folds packages with the same ecosystem, name, version and platform
// into one, uniting their locations, catalogers and licenses, and returns
// them sorted.
// A package is Dev only if every report of it says so. A lockfile entry and
// the installed copy of the same version are therefore one package found in
// two places; different versions of one name stay separate packages.
func Merge(pkgs []Package) []Package {
	byKey := make(map[string]*Package, len(pkgs))
	order := make([]string, 0, len(pkgs))
	for i := range pkgs {
		p := pkgs[i]
		k := p.Key()
		cur, ok := byKey[k]
		if !ok {
			cp := p
			cp.Locations = append([]finding.Location(nil), p.Locations...)
			cp.Catalogers = append([]string(nil), p.Catalogers...)
			cp.Licenses = append([]string(nil), p.Licenses...)
			byKey[k] = &cp
			order = append(order, k)
			continue
		}
		cur.Locations = append(cur.Locations, p.Locations...)
		cur.Catalogers = append(cur.Catalogers, p.Catalogers...)
		cur.Licenses = append(cur.Licenses, p.Licenses...)
		cur.Dev = cur.Dev && p.Dev
		if cur.PURL == "" {
			cur.PURL = p.PURL
		}
	}
	out := make([]Package, 0, len(order))
	for _, k := range order {
		p := byKey[k]
		p.Locations = uniqLocations(p.Locations)
		p.Catalogers = uniqStrings(p.Catalogers)
		p.Licenses = CleanLicenses(p.Licenses)
		out = append(out, *p)
	}
	Sort(out)
	return out
}

// Sort orders packages by ecosystem, name, version and platform.
func Sort(pkgs []Package) {
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Key() < pkgs[j].Key() })
}

func uniqLocations(ls []finding.Location) []finding.Location {
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Path != ls[j].Path {
			return ls[i].Path < ls[j].Path
		}
		if ls[i].Line != ls[j].Line {
			return ls[i].Line < ls[j].Line
		}
		return ls[i].Layer < ls[j].Layer
	})
	out := ls[:0]
	for i, l := range ls {
		if i > 0 && l == ls[i-1] {
			continue
		}
		out = append(out, l)
	}
	return out
}

func uniqStrings(ss []string) []string {
	sort.Strings(ss)
	out := ss[:0]
	for i, s := range ss {
		if i > 0 && s == ss[i-1] {
			continue
		}
		out = append(out, s)
	}
	return out
}

// NormalizePyPI normalizes a Python distribution name as PEP 503 says:
// lower case, runs of "-", "_" and "." become one "-".
func NormalizePyPI(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		if r == '-' || r == '_' || r == '.' {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	return b.String()
}
