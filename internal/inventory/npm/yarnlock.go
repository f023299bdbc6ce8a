package npm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// YarnLock catalogs yarn.lock files of Yarn classic (the "# yarn lockfile
// v1" text format) and Yarn Berry (v2 and later: YAML with __metadata).
// Each package's line is the line of its entry's header. Yarn records no
// development flag.
//
// Classic entries are named by their first specifier ("pkg@^1.0.0"; an
// alias "alias@npm:real@^1" names the real package); entries for local
// paths (file:, link:) are skipped. Berry entries are named by their
// resolution: npm: is reported, patch: is reported as the package it
// patches when that is an npm package, and workspace:, link:, portal: and
// file: (the project's own code) are skipped.
type YarnLock struct{}

// Name returns "yarn-lock".
func (YarnLock) Name() string { return "yarn-lock" }

// Wants reports whether p is a yarn.lock outside node_modules.
func (YarnLock) Wants(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "yarn.lock" && !insideNodeModules(p)
}

// Catalog parses the lockfile, classic or Berry.
func (YarnLock) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := f.ReadAll(maxLockfileSize)
	if err != nil {
		return nil, err
	}
	if isBerry(data) {
		if len(data) > maxYAMLSize {
			return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit for YAML lockfiles", f.Path, len(data), maxYAMLSize)
		}
		return parseBerry(ctx, f.Path, data)
	}
	return parseYarnClassic(ctx, f.Path, data)
}

// isBerry reports whether a yarn.lock has Berry's top-level __metadata key.
func isBerry(data []byte) bool {
	return bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:"))
}

// maxLineLength bounds one line of a classic yarn.lock; a header lists
// every range that resolved to the entry and can be long.
const maxLineLength = 1 << 20

// parseYarnClassic reads the classic format line by line. Problems with
// single entries are reported after the whole file is read.
func parseYarnClassic(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	var (
		pkgs     []inventory.Package
		firstErr error
		lineNo   int
		cur      *classicEntry
		count    int
	)
	note := func(line int, err error) {
		if firstErr == nil {
			firstErr = &inventory.ParseError{Path: p, Line: line, Err: err}
		}
	}
	flush := func() {
		if cur == nil {
			return
		}
		if pkg, ok, err := cur.pkg(p); err != nil {
			note(cur.line, err)
		} else if ok {
			pkgs = append(pkgs, pkg)
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLineLength)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			count++
			if count > maxPackages {
				return pkgs, &inventory.ParseError{Path: p, Line: lineNo, Err: fmt.Errorf("more than %d entries", maxPackages)}
			}
			if count%checkEvery == 1 {
				if err := ctx.Err(); err != nil {
					return pkgs, err
				}
			}
			spec, err := firstSpecifier(line)
			if err != nil {
				note(lineNo, err)
				continue
			}
			cur = &classicEntry{spec: spec, line: lineNo}
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue // nested fields (dependencies, integrity, …)
		}
		if key, val, ok := strings.Cut(trimmed, " "); ok && strings.TrimSuffix(key, ":") == "version" {
			v, err := unquote(strings.TrimSpace(val))
			if err != nil {
				note(lineNo, fmt.Errorf("version: %w", err))
				continue
			}
			cur.version = v
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		line := lineNo + 1
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxLineLength)
		}
		return pkgs, &inventory.ParseError{Path: p, Line: line, Err: err}
	}
	return pkgs, firstErr
}

// classicEntry is one entry of a classic yarn.lock being read.
type classicEntry struct {
	spec    string // first specifier of the header, unquoted
	line    int
	version string
}

// pkg turns the entry into a package. ok is false for entries that are
// skipped on purpose (local paths).
func (e *classicEntry) pkg(file string) (inventory.Package, bool, error) {
	name, ref, ok := splitSpec(e.spec)
	if !ok {
		return inventory.Package{}, false, fmt.Errorf("entry %q: no version range", e.spec)
	}
	if localProtocol(ref) {
		return inventory.Package{}, false, nil
	}
	if real, ok := strings.CutPrefix(ref, "npm:"); ok {
		if n, _, ok := splitSpec(real); ok {
			name = n
		} else {
			name = real // "alias@npm:real" means any version of real
		}
	}
	if e.version == "" {
		return inventory.Package{}, false, fmt.Errorf("entry %q: no version", e.spec)
	}
	if !validName(name) || !validVersion(e.version) {
		return inventory.Package{}, false, fmt.Errorf("entry %q: invalid name or version %q", e.spec, e.version)
	}
	return newPackage(name, e.version, file, e.line, false), true, nil
}

// firstSpecifier returns the first specifier of a header line such as
// `"@babel/code-frame@^7.21.4", "@babel/code-frame@^7.29.7":`.
func firstSpecifier(line string) (string, error) {
	h, ok := strings.CutSuffix(strings.TrimSpace(line), ":")
	if !ok {
		return "", fmt.Errorf("entry header %q does not end with a colon", clip(line))
	}
	if strings.HasPrefix(h, `"`) {
		end := strings.IndexByte(h[1:], '"')
		if end < 0 {
			return "", fmt.Errorf("entry header %q: unterminated quote", clip(line))
		}
		h = h[1 : end+1]
	} else if i := strings.IndexByte(h, ','); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSpace(h)
	if h == "" {
		return "", fmt.Errorf("entry header %q: empty", clip(line))
	}
	return h, nil
}

// unquote removes the double quotes around a classic yarn.lock value.
func unquote(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return s, nil
	}
	return strconv.Unquote(s)
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// parseBerry reads a Berry yarn.lock as YAML.
func parseBerry(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	return parseYAMLLock(ctx, p, data, berryPackages)
}

// berryPackages reads the entries of a decoded Berry yarn.lock.
func berryPackages(ctx context.Context, p string, docs []*yaml.Node) ([]inventory.Package, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	m := documentMapping(docs[0])
	if m == nil {
		return nil, &inventory.ParseError{Path: p, Line: docs[0].Line, Err: errors.New("yarn.lock is not a mapping")}
	}
	var (
		pkgs     []inventory.Package
		firstErr error
	)
	note := func(line int, err error) {
		if firstErr == nil {
			firstErr = &inventory.ParseError{Path: p, Line: line, Err: err}
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if n := i / 2; n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return pkgs, err
			}
		}
		k, v := m.Content[i], m.Content[i+1]
		if k.Value == "__metadata" || v.Kind != yaml.MappingNode {
			continue
		}
		if len(pkgs) == maxPackages {
			return pkgs, &inventory.ParseError{Path: p, Line: k.Line, Err: fmt.Errorf("more than %d entries", maxPackages)}
		}
		resolution := scalarField(v, "resolution")
		version := scalarField(v, "version")
		name, ok := berryName(resolution)
		switch {
		case resolution == "":
			note(k.Line, fmt.Errorf("entry %q: no resolution", clip(k.Value)))
		case !ok:
			// local package or an unknown shape
		case !validName(name) || !validVersion(version):
			note(k.Line, fmt.Errorf("entry %q: invalid name or version %q", clip(k.Value), clip(version)))
		default:
			pkgs = append(pkgs, newPackage(name, version, p, k.Line, false))
		}
	}
	return pkgs, firstErr
}

// berryName returns the package name of a Berry resolution such as
// "lodash@npm:4.17.11" or
// "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=9bd1a5".
// ok is false for local packages and unknown shapes.
func berryName(resolution string) (string, bool) {
	for range 4 { // patch: may wrap patch:, a few levels at most
		name, ref, ok := splitSpec(resolution)
		if !ok || !validName(name) {
			return "", false
		}
		inner, isPatch := strings.CutPrefix(ref, "patch:")
		if !isPatch {
			if localProtocol(ref) {
				return "", false
			}
			return name, true
		}
		// The patched package is the URL-encoded descriptor before "#".
		inner, _, _ = strings.Cut(inner, "#")
		dec, err := url.PathUnescape(inner)
		if err != nil {
			return "", false
		}
		resolution = dec
	}
	return "", false
}
