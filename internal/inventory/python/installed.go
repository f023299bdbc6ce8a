package python

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// maxHeaderBytes bounds the header section read from a metadata file.
// Metadata 1.x puts the long description in a header, so it can be large.
const maxHeaderBytes = 1 << 20

// installedCataloger reads the metadata of installed distributions:
// <name>-<version>.dist-info/METADATA (wheels, pip), <name>.egg-info/PKG-INFO
// and EGG-INFO/PKG-INFO (setuptools, eggs), and a top-level <name>.egg-info
// file, which is PKG-INFO content (distutils). The package is at the line of
// its Name header.
type installedCataloger struct{}

func (installedCataloger) Name() string { return "python-installed" }

func (installedCataloger) Wants(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	base := path.Base(p)
	switch base {
	case "METADATA":
		return strings.HasSuffix(path.Dir(p), ".dist-info")
	case "PKG-INFO":
		dir := path.Base(path.Dir(p))
		return strings.HasSuffix(dir, ".egg-info") || dir == "EGG-INFO"
	}
	return strings.HasSuffix(base, ".egg-info")
}

func (installedCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	pkg, err := parseMetadata(ctx, f.Path, f.Reader())
	if err != nil {
		return nil, err
	}
	return []inventory.Package{pkg}, nil
}

// parseMetadata reads the Name, Version and license headers of a core
// metadata file (an RFC 822 message, as the packaging specifications say);
// metadataLicense.licenses says which license headers win. It reads the
// header section only: up to the first empty line, a line that is not a
// header (where Python's email parser starts the body too), or
// maxHeaderBytes.
func parseMetadata(ctx context.Context, p string, r io.Reader) (inventory.Package, error) {
	br := bufio.NewReader(io.LimitReader(r, maxHeaderBytes))
	var (
		name, version string
		nameLine      int
		lic           metadataLicense
		last          string // the previous header's name, lower case
	)
	for n := 1; ; n++ {
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return inventory.Package{}, err
			}
		}
		text, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return inventory.Package{}, fmt.Errorf("read %s: %w", p, err)
		}
		line := strings.TrimRight(text, "\r\n")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || !isHeaderLine(line) {
			break
		}
		if line[0] == ' ' || line[0] == '\t' { // continuation of a folded header
			if last == "license" {
				lic.folded = true
			}
			if err != nil {
				break
			}
			continue
		}
		key, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		last = strings.ToLower(key)
		switch {
		case last == "name" && name == "":
			name, nameLine = value, n
		case last == "version" && version == "":
			version = value
		case last == "license-expression" && lic.expression == "":
			lic.expression = value
		case last == "license" && lic.license == "":
			lic.license = value
		case last == "classifier":
			lic.addClassifier(value)
		}
		if err != nil { // the file ends inside the headers
			break
		}
	}
	switch {
	case name == "":
		return inventory.Package{}, &inventory.ParseError{Path: p, Err: errors.New("no Name header")}
	case !validName(name):
		return inventory.Package{}, &inventory.ParseError{Path: p, Line: nameLine, Err: fmt.Errorf("invalid package name %s", describe(name))}
	case version == "":
		return inventory.Package{}, &inventory.ParseError{Path: p, Err: fmt.Errorf("no Version header for %s", name)}
	case !validVersion(version):
		return inventory.Package{}, &inventory.ParseError{Path: p, Err: fmt.Errorf("invalid version %s for %s", describe(version), name)}
	}
	pkg := newPackage("python-installed", name, version, p, nameLine, false)
	pkg.Licenses = lic.licenses()
	return pkg, nil
}

// isHeaderLine reports whether line is a header ("Field-Name: value") or the
// continuation of one (it starts with a space or tab), as RFC 822 says.
func isHeaderLine(line string) bool {
	if line[0] == ' ' || line[0] == '\t' {
		return true
	}
	key, _, ok := strings.Cut(line, ":")
	if !ok || key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] > '~' {
			return false
		}
	}
	return true
}
