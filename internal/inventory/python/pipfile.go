package python

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// pipfileCataloger reads Pipfile.lock files.
//
// Every entry of the "default" and "develop" sections with a pinned version
// ("==1.2.3", or "===1.2.3") is a package, at the line of its name;
// "develop" entries are Dev. Entries without a version (editable, path and
// VCS entries) are skipped without error.
type pipfileCataloger struct{}

func (pipfileCataloger) Name() string { return "pipfile-lock" }

func (pipfileCataloger) Wants(p string, _ fs.FileInfo) bool { return path.Base(p) == "Pipfile.lock" }

func (pipfileCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := readLimited(f, maxJSONSize)
	if err != nil {
		return nil, err
	}
	return parsePipfileLock(ctx, f.Path, data)
}

// pipfileEntry holds the field used, decoded as any so that a version of
// the wrong type is reported for its entry alone.
type pipfileEntry struct {
	Version any `json:"version"`
}

// parsePipfileLock walks the JSON document token by token, so that the line
// of every entry is known, and decodes each entry on its own.
func parsePipfileLock(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := lineIndex{data: data}
	syntaxErr := func(err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return &inventory.ParseError{Path: p, Line: lines.at(dec.InputOffset()), Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, syntaxErr(err)
	}
	probs := problems{path: p}
	var pkgs []inventory.Package
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return pkgs, syntaxErr(err)
		}
		section, _ := key.(string)
		if section != "default" && section != "develop" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return pkgs, syntaxErr(err)
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return pkgs, syntaxErr(err)
		}
		if tok != json.Delim('{') {
			if tok == json.Delim('[') {
				return pkgs, &inventory.ParseError{Path: p, Line: lines.at(dec.InputOffset()), Err: fmt.Errorf("section %q is not an object", section)}
			}
			if tok != nil { // null is an empty section
				probs.add(lines.at(dec.InputOffset()), "section %q is not an object", section)
			}
			continue
		}
		for n := 0; dec.More(); n++ {
			if n%ctxEvery == ctxEvery-1 {
				if err := ctx.Err(); err != nil {
					return pkgs, err
				}
			}
			nameTok, err := dec.Token()
			if err != nil {
				return pkgs, syntaxErr(err)
			}
			name, _ := nameTok.(string)
			line := lines.at(dec.InputOffset())
			var e pipfileEntry
			if err := dec.Decode(&e); err != nil {
				var typeErr *json.UnmarshalTypeError
				if !errors.As(err, &typeErr) {
					return pkgs, syntaxErr(err)
				}
				probs.add(line, "entry is not an object")
				continue
			}
			pkg, ok := pipfilePackage(&probs, p, line, name, e, section == "develop")
			if !ok {
				continue
			}
			if len(pkgs) >= maxPackages {
				probs.tooMany(line)
				return pkgs, probs.err()
			}
			pkgs = append(pkgs, pkg)
		}
		if _, err := dec.Token(); err != nil { // the section's closing brace
			return pkgs, syntaxErr(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the document's closing brace
		return pkgs, syntaxErr(err)
	}
	return pkgs, probs.err()
}

// pipfilePackage turns one entry into a package; ok is false for entries
// without a pinned version.
func pipfilePackage(probs *problems, p string, line int, name string, e pipfileEntry, dev bool) (inventory.Package, bool) {
	if e.Version == nil {
		return inventory.Package{}, false // editable, path or VCS entry
	}
	if !validName(name) {
		probs.add(line, "invalid package name %s", describe(name))
		return inventory.Package{}, false
	}
	v, ok := e.Version.(string)
	if !ok {
		probs.add(line, "package %s has no valid version (got %s)", name, describe(e.Version))
		return inventory.Package{}, false
	}
	switch {
	case strings.HasPrefix(v, "==="):
		v = v[3:]
	case strings.HasPrefix(v, "=="):
		v = v[2:]
	default:
		return inventory.Package{}, false // "*" and ranges pin nothing
	}
	if !validVersion(v) {
		probs.add(line, "package %s has no valid version (got %s)", name, describe(e.Version))
		return inventory.Package{}, false
	}
	return newPackage("pipfile-lock", name, v, p, line, dev), true
}

// expectDelim reads the next token and checks that it is the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q, found %v", d, tok)
	}
	return nil
}

// lineIndex turns byte offsets into 1-based line numbers. Offsets are
// usually asked for in increasing order, which it counts incrementally.
type lineIndex struct {
	data []byte
	off  int
	line int
}

func (l *lineIndex) at(off int64) int {
	o := int(min(max(off, 0), int64(len(l.data))))
	if o < l.off {
		l.off, l.line = 0, 0
	}
	l.line += bytes.Count(l.data[l.off:o], []byte{'\n'})
	l.off = o
	return l.line + 1
}
