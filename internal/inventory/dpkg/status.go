package dpkg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for dpkg databases. The status file of a Debian desktop with 3,000
// packages is about 8 MiB; a status.d file holds one package.
const (
	maxStatusSize     = 64 << 20
	maxStatusPackages = 100_000
	maxFieldLine      = 1 << 20
)

// StatusCataloger reads dpkg's database: the status file, where a package is
// reported when its Status field says it is installed, and the files of
// status.d (one package each, written by distroless and Bazel's rules_distroless),
// which have no Status field and are all installed (a stanza that has one is
// judged by it). Each package is located
// at the line of its stanza's first field.
//
// The source package comes from the Source field, "name" or "name (version)";
// without one, the source is the binary package itself, so SourceName and
// SourceVersion are always set. dpkg's status has no license field.
type StatusCataloger struct{}

// Name is "dpkg".
func (StatusCataloger) Name() string { return "dpkg" }

// Wants reports whether the file is var/lib/dpkg/status or a package file of
// var/lib/dpkg/status.d (not its .md5sums files), at the root or under a
// directory holding a root file system.
func (StatusCataloger) Wants(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	if p == "var/lib/dpkg/status" || strings.HasSuffix(p, "/var/lib/dpkg/status") {
		return true
	}
	dir, base := path.Split(p)
	if dir != "var/lib/dpkg/status.d/" && !strings.HasSuffix(dir, "/var/lib/dpkg/status.d/") {
		return false
	}
	return base != "" && !strings.HasSuffix(base, ".md5sums") && !strings.HasPrefix(base, ".")
}

// Catalog parses the file. A malformed stanza gives a
// *inventory.ParseError naming its line; the other stanzas are reported.
func (StatusCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := f.ReadAll(maxStatusSize)
	if err != nil {
		return nil, err
	}
	inStatusD := path.Base(path.Dir(f.Path)) == "status.d"
	return parseStatus(f.Path, data, !inStatusD)
}

// stanza is one paragraph of a dpkg database: the fields this package reads.
type stanza struct {
	line                int // of the first field
	pkg, version, arch  string
	status, source      string
	hasStatus, hasField bool
}

// parseStatus parses a dpkg status file at name. Stanzas whose Status is
// not installed are left out; so are those without a Status when needStatus
// is set (the status file, where dpkg always writes one). In status.d a
// stanza without Status is installed.
func parseStatus(name string, data []byte, needStatus bool) ([]inventory.Package, error) {
	return parseStatusMax(name, data, needStatus, maxStatusPackages)
}

// parseStatusMax is parseStatus reporting at most maxPackages packages.
func parseStatusMax(name string, data []byte, needStatus bool, maxPackages int) ([]inventory.Package, error) {
	var (
		pkgs     []inventory.Package
		firstErr error
		cur      stanza
		lineNo   int
	)
	fail := func(line int, err error) {
		if firstErr == nil {
			firstErr = &inventory.ParseError{Path: name, Line: line, Err: err}
		}
	}
	flush := func() bool {
		if !cur.hasField {
			return true
		}
		st := cur
		cur = stanza{}
		p, err := st.toPackage(name, needStatus)
		if err != nil {
			fail(st.line, err)
			return true
		}
		if p == nil {
			return true
		}
		if len(pkgs) == maxPackages {
			fail(st.line, fmt.Errorf("more than %d packages", maxPackages))
			return false
		}
		pkgs = append(pkgs, *p)
		return true
	}
	for len(data) > 0 {
		lineNo++
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			if !flush() {
				return pkgs, firstErr
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Continuation of a multi-line field (Description, Conffiles).
			if !cur.hasField {
				fail(lineNo, errors.New("continuation line outside a stanza"))
			}
			continue
		}
		if len(line) > maxFieldLine {
			fail(lineNo, fmt.Errorf("field line of %d bytes is over the %d-byte limit", len(line), maxFieldLine))
			continue
		}
		key, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			fail(lineNo, fmt.Errorf("line is not \"Field: value\": %q", truncate(string(line), 60)))
			continue
		}
		if !cur.hasField {
			cur.hasField, cur.line = true, lineNo
		}
		v := strings.TrimSpace(string(value))
		switch string(key) {
		case "Package":
			cur.pkg = v
		case "Version":
			cur.version = v
		case "Architecture":
			cur.arch = v
		case "Status":
			cur.status, cur.hasStatus = v, true
		case "Source":
			cur.source = v
		}
	}
	flush()
	return pkgs, firstErr
}

// toPackage returns the stanza's package, nil when it is not installed.
func (st *stanza) toPackage(name string, needStatus bool) (*inventory.Package, error) {
	if st.pkg == "" {
		return nil, errors.New("stanza without a Package field")
	}
	if (needStatus || st.hasStatus) && !installed(st.status) {
		return nil, nil
	}
	if st.version == "" {
		return nil, fmt.Errorf("package %s: no Version", st.pkg)
	}
	if strings.ContainsAny(st.pkg, " \t") || strings.ContainsAny(st.version, " \t") {
		return nil, fmt.Errorf("package %q: space in name or version", truncate(st.pkg, 60))
	}
	srcName, srcVersion, err := parseSource(st.source)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", st.pkg, err)
	}
	if srcName == "" {
		srcName = st.pkg
	}
	if srcVersion == "" {
		srcVersion = st.version
	}
	return &inventory.Package{
		Name:          st.pkg,
		Version:       st.version,
		Ecosystem:     distro.TypeDeb,
		PURL:          purl(st.pkg, st.version, st.arch),
		Locations:     []finding.Location{{Path: name, Line: st.line}},
		SourceName:    srcName,
		SourceVersion: srcVersion,
	}, nil
}

// installed reports whether a Status value ("want flag status") says the
// package is on disk: its status word is "installed" and its flag "ok".
// "deinstall ok config-files" (removed, configuration kept) and
// "install reinstreq half-installed" are not; "hold ok installed" is.
func installed(status string) bool {
	f := strings.Fields(status)
	return len(f) == 3 && f[1] == "ok" && f[2] == "installed"
}

// parseSource parses a Source field: "name" or "name (version)".
func parseSource(s string) (string, string, error) {
	if s == "" {
		return "", "", nil
	}
	name, rest, ok := strings.Cut(s, " ")
	if !ok {
		return name, "", nil
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 3 || rest[0] != '(' || rest[len(rest)-1] != ')' {
		return "", "", fmt.Errorf("malformed Source %q", truncate(s, 60))
	}
	version := strings.TrimSpace(rest[1 : len(rest)-1])
	if version == "" || strings.ContainsAny(version, " ()") {
		return "", "", fmt.Errorf("malformed Source %q", truncate(s, 60))
	}
	return name, version, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
