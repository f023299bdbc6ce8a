// Package python catalogs Python packages: pinned requirements files, the
// lock files of Poetry, Pipenv and uv, and installed distributions
// (*.dist-info and *.egg-info metadata). Package names are normalized as
// PEP 503 says, so that they match OSV's PyPI records; package URLs follow
// the purl spec's pypi rules.
package python

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

const (
	// maxJSONSize bounds a Pipfile.lock, which is decoded as a stream.
	maxJSONSize = 16 << 20
	// maxTOMLSize bounds poetry.lock and uv.lock. The TOML decoder holds the
	// whole document in memory, up to some 30 times its size for files of
	// tiny tables, so the limit is lower than for JSON.
	maxTOMLSize = 8 << 20
	// maxPackages bounds the packages one file may list. Files listing more
	// are cut short (requirements, Pipfile.lock) or refused before decoding
	// (TOML), with an error.
	maxPackages = 100_000
	// ctxEvery is how many lines or entries a parser handles between checks
	// of its context.
	ctxEvery = 1024
)

// Catalogers returns every Python cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{
		requirementsCataloger{},
		poetryCataloger{},
		pipfileCataloger{},
		uvCataloger{},
		installedCataloger{},
	}
}

// newPackage returns the PyPI package rawName at version, found at path:line.
// The name is normalized as PEP 503 says; the PURL keeps the purl spec's
// normalization (lower case, "_" as "-", dots kept).
func newPackage(cataloger, rawName, version, path string, line int, dev bool) inventory.Package {
	return inventory.Package{
		Name:       inventory.NormalizePyPI(rawName),
		Version:    version,
		Ecosystem:  inventory.EcosystemPyPI,
		PURL:       purl(rawName, version),
		Locations:  []finding.Location{{Path: path, Line: line}},
		Catalogers: []string{cataloger},
		Dev:        dev,
	}
}

func purl(rawName, version string) string {
	name := strings.ToLower(strings.ReplaceAll(rawName, "_", "-"))
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", name, version, nil, "").ToString()
}

// validName reports whether s is a distribution name as PEP 508 defines it:
// ASCII letters and digits, with ".", "_" and "-" inside.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
		case (c == '.' || c == '_' || c == '-') && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validVersion reports whether s can be a recorded version: non-empty
// printable ASCII without spaces. It accepts every PEP 440 version and the
// arbitrary strings of "===" pins, and rejects text that cannot be one.
func validVersion(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= utf8.RuneSelf || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// checkSize refuses files over limit bytes.
func checkSize(f *walk.File, limit int64) error {
	if f.Size() > limit {
		return &inventory.ParseError{Path: f.Path, Err: fmt.Errorf("%d bytes is over the %d-byte limit for this kind of file", f.Size(), limit)}
	}
	return nil
}

// readLimited reads the whole file, refusing files over limit bytes.
func readLimited(f *walk.File, limit int64) ([]byte, error) {
	if err := checkSize(f, limit); err != nil {
		return nil, err
	}
	return f.ReadAll(limit)
}

// problems collects what was malformed in one file. The first problem is
// reported with its line; the others are only counted, so that one bad file
// makes one readable warning.
type problems struct {
	path  string
	first *inventory.ParseError
	more  int
}

func (p *problems) add(line int, format string, args ...any) {
	if p.first != nil {
		p.more++
		return
	}
	p.first = &inventory.ParseError{Path: p.path, Line: line, Err: fmt.Errorf(format, args...)}
}

// tooMany records that the file lists more than maxPackages packages.
func (p *problems) tooMany(line int) {
	p.add(line, "more than %d packages; the rest are ignored", maxPackages)
}

// err returns nil or a *inventory.ParseError for the first problem.
func (p *problems) err() error {
	if p.first == nil {
		return nil
	}
	if p.more == 0 {
		return p.first
	}
	return &inventory.ParseError{
		Path: p.first.Path,
		Line: p.first.Line,
		Err:  fmt.Errorf("%w (and %d more problems)", p.first.Err, p.more),
	}
}
