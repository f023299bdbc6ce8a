package composer

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

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for composer.lock files. A Drupal site's composer.lock, among the
// largest, is about 1 MiB with a few hundred packages.
const (
	maxLockSize     = 16 << 20
	maxLockPackages = 100_000
)

// LockCataloger reads composer.lock files. It reports the entries of
// "packages" and, marked Dev, those of "packages-dev". Each package is
// located at the line of its "name" key, with the licenses of its
// "license" array. Platform requirements (php, ext-*) are not lock entries
// and are not reported.
type LockCataloger struct{}

// Name is "composer-lock".
func (LockCataloger) Name() string { return "composer-lock" }

// Wants reports whether the file is a composer.lock outside a vendor
// directory. Libraries installed under vendor/ sometimes ship the
// composer.lock of their own development, which locks nothing that was
// installed.
func (LockCataloger) Wants(p string, info fs.FileInfo) bool {
	if path.Base(p) != "composer.lock" {
		return false
	}
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return !inVendor(p)
}

// Catalog parses a composer.lock file. A malformed file gives a
// *inventory.ParseError naming its line, together with the packages read
// before the error.
func (LockCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := f.ReadAll(maxLockSize)
	if err != nil {
		return nil, err
	}
	return parseLock(f.Path, data, maxLockPackages)
}

// lockParser streams through a composer.lock, decoding only the name and
// version of each package and skipping everything else.
type lockParser struct {
	path  string
	data  []byte
	dec   *json.Decoder
	lines lineCounter

	pkgs        []inventory.Package
	maxPackages int
	// entryErr is the first malformed entry; reading goes on after it.
	entryErr error
}

// parseLock parses the composer.lock at name, reporting at most
// maxPackages packages.
func parseLock(name string, data []byte, maxPackages int) ([]inventory.Package, error) {
	p := &lockParser{
		path:        name,
		data:        data,
		dec:         json.NewDecoder(bytes.NewReader(data)),
		lines:       lineCounter{data: data, line: 1},
		maxPackages: maxPackages,
	}
	if err := p.parse(); err != nil {
		return p.pkgs, err
	}
	return p.pkgs, p.entryErr
}

func (p *lockParser) parse() error {
	if err := p.expectDelim('{', "a JSON object"); err != nil {
		return err
	}
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "packages", "packages-dev":
			if err := p.packages(key == "packages-dev"); err != nil {
				return err
			}
		default:
			if err := p.skip(); err != nil {
				return err
			}
		}
	}
	_, err := p.token()
	return err
}

// packages reads one array of lock entries; null counts as empty.
func (p *lockParser) packages(dev bool) error {
	tok, err := p.token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('[') {
		return p.errorAt(p.dec.InputOffset(), fmt.Errorf("packages: %v is not an array", tok))
	}
	for p.dec.More() {
		if len(p.pkgs) == p.maxPackages {
			return p.errorAt(p.dec.InputOffset(), fmt.Errorf("more than %d packages", p.maxPackages))
		}
		if err := p.entry(dev); err != nil {
			return err
		}
	}
	_, err = p.token()
	return err
}

// entry reads one lock entry and records it as a package.
func (p *lockParser) entry(dev bool) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	start := p.dec.InputOffset()
	if tok != json.Delim('{') {
		if d, ok := tok.(json.Delim); ok && d == '[' {
			// Skip the rest of the array so reading can go on.
			if err := p.skipRest(); err != nil {
				return err
			}
		}
		p.entryError(start, fmt.Errorf("package entry %v is not an object", tok))
		return nil
	}
	var name, version string
	var licenses []string
	nameAt := start
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "name", "version":
			at := p.dec.InputOffset()
			var raw json.RawMessage
			if err := p.decode(&raw); err != nil {
				return err
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				p.entryError(at, fmt.Errorf("package %s is not a string", key))
				continue
			}
			if key == "name" {
				name, nameAt = s, at
			} else {
				version = s
			}
		case "license":
			var raw json.RawMessage
			if err := p.decode(&raw); err != nil {
				return err
			}
			licenses = lockLicenses(raw)
		default:
			if err := p.skip(); err != nil {
				return err
			}
		}
	}
	if _, err := p.token(); err != nil {
		return err
	}
	if name == "" || version == "" {
		p.entryError(nameAt, errors.New("package without a name or version"))
		return nil
	}
	p.pkgs = append(p.pkgs, inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.EcosystemPackagist,
		PURL:      purl(name, version),
		Locations: []finding.Location{{Path: p.path, Line: p.lines.at(nameAt)}},
		Licenses:  licenses,
		Dev:       dev,
	})
	return nil
}

// lockLicenses reads an entry's "license": an array of SPDX identifiers or
// expressions, any of which applies (Composer writes the array; a lone
// string is accepted too). Values of other types are ignored rather than
// failing the package.
func lockLicenses(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return inventory.CleanLicenses([]string{one})
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []string
	for _, r := range list[:min(len(list), inventory.MaxLicenses)] {
		var s string
		if json.Unmarshal(r, &s) == nil {
			out = append(out, s)
		}
	}
	return inventory.CleanLicenses(out)
}

// key reads an object key.
func (p *lockParser) key() (string, error) {
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", p.errorAt(p.dec.InputOffset(), fmt.Errorf("object key %v is not a string", tok))
	}
	return key, nil
}

// skip reads past the next value, whatever it is.
func (p *lockParser) skip() error {
	var raw json.RawMessage
	return p.decode(&raw)
}

// skipRest reads past the rest of the array or object whose opening
// delimiter was just read.
func (p *lockParser) skipRest() error {
	for p.dec.More() {
		if err := p.skip(); err != nil {
			return err
		}
	}
	_, err := p.token()
	return err
}

func (p *lockParser) expectDelim(d json.Delim, what string) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != d {
		return p.errorAt(p.dec.InputOffset(), fmt.Errorf("not %s", what))
	}
	return nil
}

func (p *lockParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	return tok, nil
}

func (p *lockParser) decode(v any) error {
	if err := p.dec.Decode(v); err != nil {
		return p.syntaxError(err)
	}
	return nil
}

// syntaxError turns an error of the JSON decoder into a ParseError at the
// line it names, or at the end of the input when it ended early.
func (p *lockParser) syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return p.errorAt(se.Offset, errors.New(se.Error()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errorAt(int64(len(p.data)), errors.New("unexpected end of JSON input"))
	}
	return p.errorAt(p.dec.InputOffset(), err)
}

func (p *lockParser) errorAt(offset int64, err error) error {
	return &inventory.ParseError{Path: p.path, Line: p.lines.at(offset), Err: err}
}

func (p *lockParser) entryError(offset int64, err error) {
	if p.entryErr == nil {
		p.entryErr = p.errorAt(offset, err)
	}
}

// lineCounter converts byte offsets into 1-based lines, counting newlines
// incrementally for offsets that mostly grow.
type lineCounter struct {
	data []byte
	off  int64 // offset counted up to
	line int   // line at off
}

func (c *lineCounter) at(offset int64) int {
	offset = max(0, min(offset, int64(len(c.data))))
	if offset < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:offset], []byte{'\n'})
	c.off = offset
	return c.line
}

// inVendor reports whether p lies in a Composer vendor directory:
// vendor/<vendor>/<package>/composer.lock.
func inVendor(p string) bool {
	elems := strings.Split(p, "/")
	return len(elems) >= 4 && elems[len(elems)-4] == "vendor"
}
