package cargo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/tomlshape"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for Cargo.lock files. Cargo.lock of the Rust compiler itself, with
// about 900 packages, is under 200 KiB.
const (
	maxLockSize     = 16 << 20
	maxLockPackages = 100_000
)

// Sources of crates.io packages as Cargo records them: the git index and,
// since Cargo 1.68, the sparse index.
const (
	cratesIOGitIndex    = "registry+https://github.com/rust-lang/crates.io-index"
	cratesIOSparseIndex = "sparse+https://index.crates.io/"
)

// LockCataloger reads Cargo.lock files of every format Cargo has written:
// v1 (with a [metadata] checksum table, and the older [root] table), v2
// (no version key) and v3 and v4 (version = 3 or 4). Each package is located
// at the line of its [[package]] header. Cargo.lock does not say which
// packages are only development dependencies, so none is marked Dev.
//
// Which packages it reports depends on their source, and follows
// osv-scanner, which reports every package of the lockfile:
//   - crates.io (the git or the sparse index): reported.
//   - git dependencies (source "git+…"): reported; the code is the crate's
//     own at that version, so its advisories apply.
//   - workspace members and path dependencies (no source): reported; a
//     checkout of a published crate is that crate.
//   - any other registry ("registry+…" or "sparse+…" with another index):
//     left out. Its crates are not crates.io packages, and a name shared
//     with a crates.io crate would match advisories of a different crate.
type LockCataloger struct{}

// Name is "cargo-lock".
func (LockCataloger) Name() string { return "cargo-lock" }

// Wants reports whether the file is a Cargo.lock outside a Cargo registry
// cache. Published crates sometimes ship the Cargo.lock of their own
// development; the copies in ~/.cargo/registry (and Debian's
// /usr/share/cargo/registry) were not used to build anything.
func (LockCataloger) Wants(p string, info fs.FileInfo) bool {
	if path.Base(p) != "Cargo.lock" {
		return false
	}
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return !inRegistry(p)
}

// Catalog parses a Cargo.lock file. A malformed file gives a
// *inventory.ParseError naming its line, together with the packages of the
// [[package]] entries before the broken one.
func (LockCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := f.ReadAll(maxLockSize)
	if err != nil {
		return nil, err
	}
	return parseLock(f.Path, data)
}

// lockFile is the part of a Cargo.lock that names packages.
type lockFile struct {
	Root     *lockPackage  `toml:"root"` // the root package, before Cargo 0.22 (2017)
	Packages []lockPackage `toml:"package"`
}

// lockPackage is one entry. Its fields are checked by hand rather than by
// the decoder, so that one entry of the wrong type does not lose the others.
type lockPackage struct {
	Name    any `toml:"name"`
	Version any `toml:"version"`
	Source  any `toml:"source"`
}

// parseLock parses the Cargo.lock at name.
func parseLock(name string, data []byte) ([]inventory.Package, error) {
	lf, line, err := decodeLock(data)
	if err == nil {
		return lockPackages(name, lf, headers(data), maxLockPackages)
	}
	perr := &inventory.ParseError{Path: name, Line: line, Err: err}
	// Keep the entries before the broken one: decode again up to the table
	// header that starts the block holding the error.
	heads := headers(data)
	cut := -1
	for _, h := range heads {
		if line > 0 && h.line <= line {
			cut = h.offset
		}
	}
	if cut <= 0 {
		return nil, perr
	}
	lf, _, err = decodeLock(data[:cut])
	if err != nil {
		return nil, perr
	}
	pkgs, _ := lockPackages(name, lf, headers(data[:cut]), maxLockPackages)
	return pkgs, perr
}

// decodeLock decodes a lockfile, returning the line of the error when it
// fails and the line is known.
func decodeLock(data []byte) (*lockFile, int, error) {
	if line, err := tomlshape.Check(data); err != nil {
		return nil, line, err
	}
	var lf lockFile
	if _, err := toml.Decode(string(data), &lf); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Position.Line, errors.New(pe.Message)
		}
		// Errors of types that do not fit lockFile are plain errors, with
		// the line in their text only.
		return nil, typeErrorLine(err.Error()), err
	}
	return &lf, 0, nil
}

// lockPackages turns decoded entries into at most maxPackages packages.
// heads are the file's table headers, which give each entry its line.
func lockPackages(name string, lf *lockFile, heads []header, maxPackages int) ([]inventory.Package, error) {
	var rootLine int
	var pkgLines []int
	for _, h := range heads {
		switch h.name {
		case "root":
			rootLine = h.line
		case "package":
			if h.array {
				pkgLines = append(pkgLines, h.line)
			}
		}
	}
	// Headers are found by a line scan; if that scan disagrees with the
	// decoder (a hand-written file using inline tables, say), lines are
	// unknown rather than wrong.
	if len(pkgLines) != len(lf.Packages) {
		pkgLines = nil
	}

	var firstErr error
	pkgs := make([]inventory.Package, 0, len(lf.Packages)+1)
	add := func(lp *lockPackage, line int) {
		pkgName, _ := lp.Name.(string)
		version, _ := lp.Version.(string)
		source, ok := lp.Source.(string)
		var err error
		switch {
		case pkgName == "" || version == "":
			err = errors.New("package without a name or version")
		case !ok && lp.Source != nil:
			err = fmt.Errorf("package %s: source is not a string", pkgName)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = &inventory.ParseError{Path: name, Line: line, Err: err}
			}
			return
		}
		if !reported(source) {
			return
		}
		pkgs = append(pkgs, inventory.Package{
			Name:      pkgName,
			Version:   version,
			Ecosystem: inventory.EcosystemCrates,
			PURL:      purl(pkgName, version),
			Locations: []finding.Location{{Path: name, Line: line}},
		})
	}
	if lf.Root != nil {
		add(lf.Root, rootLine)
	}
	for i := range lf.Packages {
		line := 0
		if pkgLines != nil {
			line = pkgLines[i]
		}
		if len(pkgs) == maxPackages {
			return pkgs, &inventory.ParseError{Path: name, Line: line, Err: fmt.Errorf("more than %d packages", maxPackages)}
		}
		add(&lf.Packages[i], line)
	}
	return pkgs, firstErr
}

// typeErrorLine returns N from a BurntSushi/toml type error, which reads
// "toml: line N (last key …): incompatible types: …", or 0.
func typeErrorLine(msg string) int {
	rest, ok := strings.CutPrefix(msg, "toml: line ")
	if !ok {
		return 0
	}
	n := 0
	for i := 0; i < len(rest) && '0' <= rest[i] && rest[i] <= '9' && n < 1<<30; i++ {
		n = n*10 + int(rest[i]-'0')
	}
	return n
}

// reported reports whether a package with the given source is a crates.io
// package to report; LockCataloger's comment says why.
func reported(source string) bool {
	switch {
	case source == "", source == cratesIOGitIndex, source == cratesIOSparseIndex:
		return true
	case strings.HasPrefix(source, "git+"), strings.HasPrefix(source, "path+"):
		return true
	}
	return false
}

// header is a table header line: [name] or, when array is set, [[name]].
type header struct {
	name   string
	array  bool
	line   int // 1-based
	offset int // of the line's first byte
}

// headers finds the table header lines of a TOML file by a line scan, which
// is how Cargo writes them: one header alone on a line, maybe followed by a
// comment.
func headers(data []byte) []header {
	var hs []header
	line, offset := 0, 0
	for offset < len(data) {
		line++
		end := bytes.IndexByte(data[offset:], '\n')
		next := offset + end + 1
		if end < 0 {
			end, next = len(data)-offset, len(data)
		}
		if trimmed := bytes.TrimSpace(data[offset : offset+end]); len(trimmed) > 0 && trimmed[0] == '[' {
			text := string(trimmed)
			if i := strings.IndexByte(text, '#'); i >= 0 {
				text = strings.TrimSpace(text[:i])
			}
			if h, ok := parseHeader(text); ok {
				h.line, h.offset = line, offset
				hs = append(hs, h)
			}
		}
		offset = next
	}
	return hs
}

// parseHeader parses "[name]" or "[[name]]" with optional spaces inside the
// brackets. Quoted and dotted names are kept as written.
func parseHeader(text string) (header, bool) {
	if strings.HasPrefix(text, "[[") && strings.HasSuffix(text, "]]") && len(text) >= 4 {
		return header{name: strings.TrimSpace(text[2 : len(text)-2]), array: true}, true
	}
	if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") && len(text) >= 2 {
		return header{name: strings.TrimSpace(text[1 : len(text)-1])}, true
	}
	return header{}, false
}

// inRegistry reports whether p lies in a Cargo registry cache: a "registry"
// directory inside a "cargo" or ".cargo" one.
func inRegistry(p string) bool {
	elems := strings.Split(p, "/")
	for i := 1; i < len(elems); i++ {
		if elems[i] == "registry" && (elems[i-1] == ".cargo" || elems[i-1] == "cargo") {
			return true
		}
	}
	return false
}
