package npm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// NodeModules catalogs installed packages: the package.json directly inside
// node_modules/<name>/ or node_modules/@scope/<name>/, at any depth (so
// nested installs and pnpm's node_modules/.pnpm store count too). The name
// and version come from the file; files without both are skipped. Licenses
// come from "license" or the legacy "licenses" (see manifestLicenses). The
// project's own package.json is not under node_modules and is not wanted.
type NodeModules struct{}

// Name returns "node-modules".
func (NodeModules) Name() string { return "node-modules" }

// Wants reports whether p is the package.json of an installed package.
func (NodeModules) Wants(p string, _ fs.FileInfo) bool {
	dir, ok := strings.CutSuffix(p, "/package.json")
	if !ok {
		return false
	}
	dir, name := splitLast(dir)
	if !packageDirName(name) {
		return false
	}
	dir, last := splitLast(dir)
	if len(last) > 1 && last[0] == '@' { // node_modules/@scope/<name>
		_, last = splitLast(dir)
	}
	return last == "node_modules"
}

// splitLast splits p at its last "/"; dir is "" when there is none.
func splitLast(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	return p[:max(i, 0)], p[i+1:]
}

// packageDirName reports whether a directory name can hold a package:
// npm names start with neither "." nor "_" (which also rules out .bin,
// .pnpm and .cache).
func packageDirName(s string) bool {
	return s != "" && s[0] != '.' && s[0] != '_' && s[0] != '@'
}

// manifest is the part of package.json we read. The fields are raw so that
// a name or version of the wrong type skips the file, and a license of the
// wrong shape is ignored, rather than failing.
type manifest struct {
	Name     json.RawMessage `json:"name"`
	Version  json.RawMessage `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
}

// Catalog reads the package.json.
func (NodeModules) Catalog(_ context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := f.ReadAll(maxManifestSize)
	if err != nil {
		return nil, err
	}
	return parseManifest(f.Path, data)
}

func parseManifest(p string, data []byte) ([]inventory.Package, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		line := 0
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = newLineCounter(data).lineAt(se.Offset)
		}
		return nil, &inventory.ParseError{Path: p, Line: line, Err: fmt.Errorf("parse package.json: %w", err)}
	}
	name, version := rawString(m.Name), rawString(m.Version)
	if !validName(name) || !validVersion(version) {
		return nil, nil
	}
	pkg := newPackage(name, version, p, 0, false)
	pkg.Licenses = manifestLicenses(m.License, m.Licenses)
	return []inventory.Package{pkg}, nil
}

// rawString returns the JSON string in raw, or "" when raw is not a string.
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
