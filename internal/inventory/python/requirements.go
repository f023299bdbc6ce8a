package python

import (
	"bufio"
	"bytes"
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

const (
	// maxRequirementsSize bounds a requirements file.
	maxRequirementsSize = 16 << 20
	// maxLineBytes bounds one physical or logical (joined) line.
	maxLineBytes = 1 << 20
)

// requirementsCataloger reads pip requirements files.
//
// It wants files named requirements*.txt, *-requirements.txt or
// *_requirements.txt anywhere, and any *.txt in a directory named
// requirements (the rule of pip-audit and osv-scanner, plus the pip-tools
// habit of requirements/<name>.txt). Only pinned lines (name==version or
// name===version) are packages. Options (-r, -c, -e, --index-url …), URLs,
// VCS and local paths, and unpinned lines are skipped without error. Files
// named by -r and -c are not followed: the walk hands every requirements
// file to this cataloger on its own. Lines that are not valid requirements
// are reported as a *inventory.ParseError with their line.
type requirementsCataloger struct{}

func (requirementsCataloger) Name() string { return "requirements" }

func (requirementsCataloger) Wants(p string, _ fs.FileInfo) bool {
	if len(p) < 4 || !strings.EqualFold(p[len(p)-4:], ".txt") { // cheap test first: Wants sees every file
		return false
	}
	base := strings.ToLower(path.Base(p))
	if strings.HasPrefix(base, "requirements") ||
		strings.HasSuffix(base, "-requirements.txt") ||
		strings.HasSuffix(base, "_requirements.txt") {
		return true
	}
	return strings.ToLower(path.Base(path.Dir(p))) == "requirements"
}

func (c requirementsCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := checkSize(f, maxRequirementsSize); err != nil {
		return nil, err
	}
	return parseRequirements(ctx, f.Path, f.Reader())
}

// parseRequirements reads a requirements file the way pip does: lines ending
// in a backslash continue on the next line (unless they are comments),
// comments start at a "#" that begins the line or follows whitespace, and
// options follow the requirement. A package's line is the first physical
// line of its logical line.
func parseRequirements(ctx context.Context, p string, r io.Reader) ([]inventory.Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var (
		pkgs     []inventory.Package
		probs    = problems{path: p}
		pending  []byte // logical line being joined
		joining  bool   // the previous line ended in a backslash
		overflow bool   // the logical line is too long and is dropped
		start    int    // first physical line of the logical line
		n        int    // current physical line
	)
	// emit parses one logical line; it returns false when the file lists
	// too many packages to go on.
	emit := func(line int, text []byte) bool {
		pkg, ok, err := parseRequirementLine(p, line, string(text))
		switch {
		case err != nil:
			probs.add(line, "%v", err)
		case ok && len(pkgs) >= maxPackages:
			probs.tooMany(line)
			return false
		case ok:
			pkgs = append(pkgs, pkg)
		}
		return true
	}
	for sc.Scan() {
		n++
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return pkgs, err
			}
		}
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		comment := isCommentLine(line)
		continues := bytes.HasSuffix(line, []byte(`\`)) && !comment
		if !joining {
			if comment || len(line) == 0 {
				continue
			}
			start = n
		}
		switch {
		case overflow:
		case len(pending)+len(line) > maxLineBytes:
			probs.add(start, "continued line is longer than %d bytes", maxLineBytes)
			overflow = true
		case continues:
			pending = append(pending, bytes.Trim(line, `\`)...)
		default:
			if joining && comment {
				pending = append(pending, ' ') // as pip does, so that the comment is stripped
			}
			pending = append(pending, line...)
		}
		joining = continues
		if joining {
			continue
		}
		if !overflow && !emit(start, pending) {
			return pkgs, probs.err()
		}
		pending = pending[:0]
		overflow = false
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			probs.add(n+1, "line is longer than %d bytes", maxLineBytes)
			return pkgs, probs.err()
		}
		return pkgs, fmt.Errorf("read %s: %w", p, err)
	}
	if joining && !overflow { // the last line ends in a backslash
		emit(start, pending)
	}
	return pkgs, probs.err()
}

// isCommentLine reports whether the line is a comment as pip's COMMENT_RE
// matches it at the start: optional whitespace, then "#".
func isCommentLine(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("#"))
}

// stripComment removes a comment: a "#" at the start or after whitespace and
// everything after it. A "#" inside a word (as in a URL's #egg=) stays.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// parseRequirementLine turns one logical line into a package. ok is false
// for lines that are not pinned packages; err is set for lines that are not
// valid requirements.
func parseRequirementLine(p string, line int, text string) (pkg inventory.Package, ok bool, err error) {
	text = strings.TrimSpace(stripComment(text))
	if text == "" || text[0] == '-' { // blank, or an option line (-r, -e, --index-url …)
		return pkg, false, nil
	}
	name, version, pinned, err := parseRequirement(withoutOptions(text))
	if err != nil || !pinned {
		return pkg, false, err
	}
	return newPackage("requirements", name, version, p, line, false), true, nil
}

// withoutOptions cuts the options (--hash …) off a requirement line: they
// start at the first word that starts with "-".
func withoutOptions(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '-' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// parseRequirement parses a PEP 508 requirement as it appears in a
// requirements file and reports the version it pins, if any. URLs, VCS
// references, local paths and lines using environment variables are not
// pinned packages and are not errors.
func parseRequirement(s string) (name, version string, pinned bool, err error) {
	spec, _, _ := strings.Cut(s, ";") // drop environment markers
	spec = strings.TrimSpace(spec)
	if isReference(spec) || strings.Contains(spec, "${") {
		return "", "", false, nil
	}
	i := 0
	for i < len(spec) && (isAlnum(spec[i]) || spec[i] == '.' || spec[i] == '_' || spec[i] == '-') {
		i++
	}
	name = spec[:i]
	if name == "" {
		return "", "", false, fmt.Errorf("no package name in %q", s)
	}
	if !validName(name) {
		return "", "", false, fmt.Errorf("invalid package name %q", name)
	}
	rest := strings.TrimSpace(spec[i:])
	if strings.HasPrefix(rest, "[") { // extras
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", false, fmt.Errorf("unclosed extras in %q", s)
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if strings.HasPrefix(rest, "(") {
		if !strings.HasSuffix(rest, ")") {
			return "", "", false, fmt.Errorf("unclosed parenthesis in %q", s)
		}
		rest = strings.TrimSpace(rest[1 : len(rest)-1])
	}
	if rest == "" {
		return name, "", false, nil
	}
	var pins []string
	for more := true; more; {
		var clause string
		clause, rest, more = strings.Cut(rest, ",")
		op, v, err := parseClause(strings.TrimSpace(clause))
		if err != nil {
			return "", "", false, fmt.Errorf("%v in %q", err, s)
		}
		if op == "===" || op == "==" && !strings.Contains(v, "*") {
			pins = append(pins, v)
		}
	}
	if len(pins) == 0 {
		return name, "", false, nil
	}
	for _, v := range pins[1:] {
		if v != pins[0] { // contradictory pins: nothing can be installed
			return name, "", false, nil
		}
	}
	return name, pins[0], true, nil
}

// specifierOps are PEP 440's comparison operators, longest first.
var specifierOps = []string{"===", "==", "!=", "~=", "<=", ">=", "<", ">"}

// parseClause splits one version specifier clause such as ">= 1.2" into
// operator and version.
func parseClause(c string) (op, version string, err error) {
	for _, o := range specifierOps {
		if strings.HasPrefix(c, o) {
			op = o
			break
		}
	}
	if op == "" {
		return "", "", fmt.Errorf("invalid version specifier %q", c)
	}
	version = strings.TrimSpace(c[len(op):])
	if !validVersion(version) {
		return "", "", fmt.Errorf("invalid version %q", version)
	}
	if op != "===" {
		for i := 0; i < len(version); i++ {
			if b := version[i]; !isAlnum(b) && !strings.ContainsRune(".+!*_-", rune(b)) {
				return "", "", fmt.Errorf("invalid version %q", version)
			}
		}
	}
	return op, version, nil
}

// isReference reports whether a requirement names a URL, a VCS checkout, a
// direct reference ("name @ url") or a local path or archive instead of a
// package from an index.
func isReference(s string) bool {
	if strings.Contains(s, "://") || strings.ContainsAny(s, `@/\`) {
		return true
	}
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") {
		return true
	}
	lower := strings.ToLower(s)
	for _, ext := range []string{".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}
