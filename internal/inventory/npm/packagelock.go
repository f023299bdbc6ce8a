package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// PackageLock catalogs package-lock.json and npm-shrinkwrap.json files of
// every lockfileVersion: 1 (nested "dependencies") and 2 and 3 ("packages"
// keyed by node_modules paths; version 2 files carry both and "packages"
// wins). Each package's line is the line of its key: the file is read
// token by token with encoding/json's Decoder, and the decoder's input
// offset after each key is turned into a line by counting newlines as the
// offsets advance, so finding lines costs one extra pass over the bytes.
//
// Skipped: the root package, links (workspace symlinks), workspace members
// and other entries outside node_modules, packages installed from a local
// path (file:), and version 1 entries whose version is a URL rather than a
// version. Version 2 and 3 entries carry the package's "license", which
// fills Licenses; version 1 entries have none. Lockfiles inside node_modules came with published packages and
// are not wanted.
type PackageLock struct{}

// Name returns "package-lock".
func (PackageLock) Name() string { return "package-lock" }

// Wants reports whether p is a package-lock.json or npm-shrinkwrap.json
// outside node_modules.
func (PackageLock) Wants(p string, _ fs.FileInfo) bool {
	switch path.Base(p) {
	case "package-lock.json", "npm-shrinkwrap.json":
		return !insideNodeModules(p)
	}
	return false
}

// Catalog parses the lockfile. Packages read before a syntax error are
// returned with a *inventory.ParseError naming the line.
func (PackageLock) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := f.ReadAll(maxLockfileSize)
	if err != nil {
		return nil, err
	}
	return parsePackageLock(ctx, f.Path, data)
}

// lockEntry is the part of a lockfileVersion 2/3 "packages" entry we use.
type lockEntry struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Resolved string `json:"resolved"`
	Link     bool   `json:"link"`
	Dev      bool   `json:"dev"`
	// License is raw so that one of an odd shape is ignored, not an error.
	License json.RawMessage `json:"license"`
}

// lockParser walks a package-lock.json token by token so that it knows the
// byte offset, and so the line, of every package key.
type lockParser struct {
	ctx   context.Context
	path  string
	dec   *json.Decoder
	lines *lineCounter

	fromPackages []inventory.Package
	fromDeps     []inventory.Package
	sawPackages  bool
	count        int
	firstErr     error // first per-entry problem; parsing goes on
}

func parsePackageLock(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	lp := &lockParser{ctx: ctx, path: p, lines: newLineCounter(data)}
	lp.dec = json.NewDecoder(bytes.NewReader(data))
	err := lp.parse()
	pkgs := lp.fromDeps
	if lp.sawPackages {
		pkgs = lp.fromPackages
	}
	// Nested version 1 entries are appended before their parents.
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Locations[0].Line < pkgs[j].Locations[0].Line })
	if err == nil {
		err = lp.firstErr
	}
	return pkgs, err
}

// parse reads the top-level object.
func (lp *lockParser) parse() error {
	if err := lp.expectDelim('{'); err != nil {
		return err
	}
	version := 0
	for lp.dec.More() {
		key, err := lp.key()
		if err != nil {
			return err
		}
		switch key {
		case "lockfileVersion":
			var v any
			if err := lp.dec.Decode(&v); err != nil {
				return lp.errorAt(err)
			}
			if n, ok := v.(float64); ok {
				version = int(n)
			}
		case "packages":
			lp.sawPackages = true
			if err := lp.packages(); err != nil {
				return err
			}
		case "dependencies":
			if lp.sawPackages || version >= 2 {
				if err := lp.skip(); err != nil {
					return err
				}
				continue
			}
			if err := lp.dependencies(0); err != nil {
				return err
			}
		default:
			if err := lp.skip(); err != nil {
				return err
			}
		}
	}
	return lp.expectDelim('}')
}

// packages reads the lockfileVersion 2/3 "packages" object.
func (lp *lockParser) packages() error {
	if err := lp.expectDelim('{'); err != nil {
		return err
	}
	for lp.dec.More() {
		if err := lp.tick(); err != nil {
			return err
		}
		key, err := lp.key()
		if err != nil {
			return err
		}
		line := lp.lines.lineAt(lp.dec.InputOffset())
		var e lockEntry
		if err := lp.dec.Decode(&e); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return lp.errorAt(err)
			}
			// The value was read whole; note the bad entry and go on.
			lp.note(line, fmt.Errorf("package %q: %w", key, err))
			continue
		}
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || e.Link || strings.HasPrefix(e.Resolved, "file:") {
			continue // root, workspace member, link or local package
		}
		name := key[i+len("node_modules/"):]
		if e.Name != "" {
			name = e.Name // an alias: the entry names the real package
		}
		if !validName(name) || !validVersion(e.Version) {
			continue
		}
		pkg := newPackage(name, e.Version, lp.path, line, e.Dev)
		pkg.Licenses = manifestLicenses(e.License, nil)
		lp.fromPackages = append(lp.fromPackages, pkg)
	}
	return lp.expectDelim('}')
}

// dependencies reads a lockfileVersion 1 "dependencies" object and the
// objects nested in it.
func (lp *lockParser) dependencies(depth int) error {
	if depth >= maxDepth {
		return &inventory.ParseError{Path: lp.path, Line: lp.lines.lineAt(lp.dec.InputOffset()),
			Err: fmt.Errorf("dependencies nested more than %d deep", maxDepth)}
	}
	if err := lp.expectDelim('{'); err != nil {
		return err
	}
	for lp.dec.More() {
		if err := lp.tick(); err != nil {
			return err
		}
		key, err := lp.key()
		if err != nil {
			return err
		}
		line := lp.lines.lineAt(lp.dec.InputOffset())
		if err := lp.dependency(key, line, depth); err != nil {
			return err
		}
	}
	return lp.expectDelim('}')
}

// dependency reads one lockfileVersion 1 entry.
func (lp *lockParser) dependency(name string, line, depth int) error {
	if err := lp.expectDelim('{'); err != nil {
		return err
	}
	var (
		version string
		dev     bool
		bad     bool // a field of the wrong type; the entry is skipped
	)
	for lp.dec.More() {
		key, err := lp.key()
		if err != nil {
			return err
		}
		var target any
		switch key {
		case "version":
			target = &version
		case "dev":
			target = &dev
		case "dependencies":
			if err := lp.dependencies(depth + 1); err != nil {
				return err
			}
			continue
		default:
			if err := lp.skip(); err != nil {
				return err
			}
			continue
		}
		if err := lp.dec.Decode(target); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return lp.errorAt(err)
			}
			// The value was read whole; note the bad entry and go on.
			lp.note(line, fmt.Errorf("package %q: %w", name, err))
			bad = true
		}
	}
	if err := lp.expectDelim('}'); err != nil {
		return err
	}
	if bad {
		return nil
	}
	if real, ok := strings.CutPrefix(version, "npm:"); ok {
		// "alias": {"version": "npm:real@1.2.3"}
		n, v, ok := splitSpec(real)
		if !ok {
			return nil
		}
		name, version = n, v
	}
	if strings.Contains(version, ":") || !validName(name) || !validVersion(version) {
		return nil // file:, git and tarball URLs: no registry version
	}
	lp.fromDeps = append(lp.fromDeps, newPackage(name, version, lp.path, line, dev))
	return nil
}

// tick counts an entry, enforcing the package limit and checking ctx.
func (lp *lockParser) tick() error {
	lp.count++
	if lp.count > maxPackages {
		return &inventory.ParseError{Path: lp.path, Line: lp.lines.lineAt(lp.dec.InputOffset()),
			Err: fmt.Errorf("more than %d packages", maxPackages)}
	}
	if lp.count%checkEvery == 1 {
		return lp.ctx.Err()
	}
	return nil
}

// key reads an object key.
func (lp *lockParser) key() (string, error) {
	tok, err := lp.dec.Token()
	if err != nil {
		return "", lp.errorAt(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", lp.errorAt(fmt.Errorf("expected an object key, found %v", tok))
	}
	return s, nil
}

// expectDelim reads the delimiter d.
func (lp *lockParser) expectDelim(d json.Delim) error {
	tok, err := lp.dec.Token()
	if err != nil {
		return lp.errorAt(err)
	}
	if tok != d {
		return lp.errorAt(fmt.Errorf("expected %q, found %v", d, tok))
	}
	return nil
}

// skip reads and discards one value.
func (lp *lockParser) skip() error {
	var v json.RawMessage
	if err := lp.dec.Decode(&v); err != nil {
		return lp.errorAt(err)
	}
	return nil
}

// note keeps the first per-entry problem.
func (lp *lockParser) note(line int, err error) {
	if lp.firstErr == nil {
		lp.firstErr = &inventory.ParseError{Path: lp.path, Line: line, Err: err}
	}
}

// errorAt wraps err as a ParseError at the decoder's position (or the
// syntax error's own offset).
func (lp *lockParser) errorAt(err error) error {
	off := lp.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &inventory.ParseError{Path: lp.path, Line: lp.lines.lineAt(off), Err: err}
}
