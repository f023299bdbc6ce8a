package apk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for apk databases. The database of an Alpine image with 500
// packages is about 2 MiB, most of it file lists.
const (
	maxInstalledSize     = 64 << 20
	maxInstalledPackages = 100_000
)

// InstalledCataloger reads lib/apk/db/installed: one paragraph per package,
// lines of a one-letter field, a colon and the value (apk-tools' "installed
// database" format). It reads P (name), V (version), A (architecture),
// o (origin: the source package, which Alpine's OSV records are keyed by)
// and L (license, kept as written). Each package is located at the line of
// its paragraph's first field.
type InstalledCataloger struct{}

// Name is "apk".
func (InstalledCataloger) Name() string { return "apk" }

// Wants reports whether the file is lib/apk/db/installed, at the root or
// under a directory holding a root file system.
func (InstalledCataloger) Wants(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return p == "lib/apk/db/installed" || strings.HasSuffix(p, "/lib/apk/db/installed")
}

// Catalog parses the database. A malformed paragraph gives a
// *inventory.ParseError naming its line; the others are reported.
func (InstalledCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := f.ReadAll(maxInstalledSize)
	if err != nil {
		return nil, err
	}
	return parseInstalled(f.Path, data)
}

// entry is one paragraph: the fields this package reads.
type entry struct {
	line                           int
	name, version, arch, origin, l string
}

// parseInstalled parses the installed database at name.
func parseInstalled(name string, data []byte) ([]inventory.Package, error) {
	return parseInstalledMax(name, data, maxInstalledPackages)
}

// parseInstalledMax is parseInstalled reporting at most maxPackages packages.
func parseInstalledMax(name string, data []byte, maxPackages int) ([]inventory.Package, error) {
	var (
		pkgs     []inventory.Package
		firstErr error
		cur      entry
		lineNo   int
	)
	fail := func(line int, err error) {
		if firstErr == nil {
			firstErr = &inventory.ParseError{Path: name, Line: line, Err: err}
		}
	}
	flush := func() bool {
		if cur.line == 0 {
			return true
		}
		e := cur
		cur = entry{}
		if e.name == "" || e.version == "" {
			fail(e.line, errors.New("package without P (name) or V (version)"))
			return true
		}
		if len(pkgs) == maxPackages {
			fail(e.line, fmt.Errorf("more than %d packages", maxPackages))
			return false
		}
		pkgs = append(pkgs, e.toPackage(name))
		return true
	}
	for len(data) > 0 {
		lineNo++
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			if !flush() {
				return pkgs, firstErr
			}
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			fail(lineNo, fmt.Errorf("line is not \"X:value\": %q", truncate(string(line), 60)))
			continue
		}
		if cur.line == 0 {
			cur.line = lineNo
		}
		v := string(line[2:])
		switch line[0] {
		case 'P':
			cur.name = v
		case 'V':
			cur.version = v
		case 'A':
			cur.arch = v
		case 'o':
			cur.origin = v
		case 'L':
			cur.l = v
		}
	}
	flush()
	return pkgs, firstErr
}

// toPackage returns the paragraph's package. Without an origin, the
// package is its own source.
func (e *entry) toPackage(name string) inventory.Package {
	src := e.origin
	if src == "" {
		src = e.name
	}
	p := inventory.Package{
		Name:          e.name,
		Version:       e.version,
		Ecosystem:     distro.TypeAPK,
		PURL:          purl(strings.ToLower(e.name), e.version, e.arch),
		Locations:     []finding.Location{{Path: name, Line: e.line}},
		SourceName:    src,
		SourceVersion: e.version,
	}
	if e.l != "" {
		p.Licenses = []string{e.l}
	}
	return p
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
