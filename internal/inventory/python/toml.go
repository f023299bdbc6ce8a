package python

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/BurntSushi/toml"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/tomlshape"
)

// decodeTOML decodes a TOML document into v. A syntax error becomes a
// *inventory.ParseError at its line.
func decodeTOML(p string, data []byte, v any) error {
	if line, err := tomlshape.Check(data); err != nil {
		return &inventory.ParseError{Path: p, Line: line, Err: err}
	}
	_, err := toml.Decode(string(data), v)
	if err == nil {
		return nil
	}
	var perr toml.ParseError
	if errors.As(err, &perr) {
		return &inventory.ParseError{Path: p, Line: perr.Position.Line, Err: fmt.Errorf("invalid TOML: %s", perr.Message)}
	}
	return &inventory.ParseError{Path: p, Err: fmt.Errorf("invalid TOML: %w", err)}
}

// tableLines returns the 1-based line of every "[[name]]" header of a TOML
// document. The TOML decoder keeps no positions for the elements of an
// array of tables, so the headers are found by a scan of the lines.
func tableLines(data []byte, name string) []int {
	var lines []int
	ln := 0
	for line := range bytes.Lines(data) {
		ln++
		t := bytes.TrimSpace(line)
		if !bytes.HasPrefix(t, []byte("[[")) {
			continue
		}
		end := bytes.Index(t, []byte("]]"))
		if end < 0 || string(bytes.TrimSpace(t[2:end])) != name {
			continue
		}
		if after := bytes.TrimSpace(t[end+2:]); len(after) > 0 && after[0] != '#' {
			continue
		}
		lines = append(lines, ln)
	}
	return lines
}

// packageList is a decoded lock file: a pointer to a struct with the
// [[package]] tables.
type packageList interface {
	len() int // how many packages were decoded
}

// decodeLock decodes a TOML lock file whose packages are [[package]]
// tables, and returns the line of each decoded package. It refuses files
// with more than maxPackages package tables before decoding them, since the
// decoder holds the whole document in memory. The line scan does not
// understand multi-line strings; when its count differs from the decoded
// packages, every line is 0 (unknown) rather than wrong.
func decodeLock(p string, data []byte, lock packageList) ([]int, error) {
	lines := tableLines(data, "package")
	if len(lines) > maxPackages {
		return nil, &inventory.ParseError{Path: p, Line: lines[maxPackages], Err: fmt.Errorf("more than %d packages", maxPackages)}
	}
	if err := decodeTOML(p, data, lock); err != nil {
		return nil, err
	}
	if n := lock.len(); len(lines) != n {
		lines = make([]int, n)
	}
	return lines, nil
}

// nameVersion checks the name and version of a lock file entry decoded as
// TOML values, recording a problem at line when they are not valid.
func nameVersion(probs *problems, line int, nameV, versionV any) (name, version string, ok bool) {
	name, _ = nameV.(string)
	if !validName(name) {
		probs.add(line, "package has no valid name (got %s)", describe(nameV))
		return "", "", false
	}
	version, _ = versionV.(string)
	if !validVersion(version) {
		probs.add(line, "package %s has no valid version (got %s)", name, describe(versionV))
		return "", "", false
	}
	return name, version, true
}

// describe renders a decoded value for an error message, briefly.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		if len(v) > 64 {
			v = v[:64] + "…"
		}
		return fmt.Sprintf("%q", v)
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// sourceKind returns which of keys a TOML inline table such as uv's
// source = { editable = "." } has, or "" when it has none.
func sourceKind(v any, keys ...string) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return k
		}
	}
	return ""
}
