package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/glob"
)

// DefaultIgnoreFile is the ignore file a scan reads from the scanned
// directory when none is named.
const DefaultIgnoreFile = ".redlineignore"

// Limits on an ignore file. A file past them is refused, not truncated.
const (
	MaxIgnoreFileSize = 1 << 20 // bytes
	MaxIgnores        = 10000   // entries
	maxFieldLen       = 1024    // bytes in id, package, path, owner
	maxReasonLen      = 4096    // bytes in reason
	maxErrors         = 20      // problems reported from one file
)

// dateLayout is how an ignore's expiry date is written.
const dateLayout = "2006-01-02"

// Ignore excepts findings from the gate until it expires. It matches a
// finding when ID names the finding's rule or one of its aliases, and
// Package and Path, where set, match too.
//
// An ignore file (.redlineignore) is YAML:
//
//	ignores:
//	  - id: GO-2022-0969             # rule id or any alias (CVE-…, GHSA-…); any case
//	    package: golang.org/x/net     # optional: only this package
//	    path: "services/**/go.mod"    # optional: glob on the finding's path
//	    reason: "not reachable: we do not run an HTTP/2 server"
//	    owner: alice@example.com
//	    expires: 2027-03-31           # UTC date; the ignore holds through that day
//
// id, reason, owner and expires are required; unknown keys are errors.
type Ignore struct {
	// ID is a rule id (GO-2022-0969, aws-access-key) or an alias of a
	// vulnerability (CVE-2022-27664, GHSA-69cg-p879-7622), compared without
	// regard to case.
	ID string
	// Package, when set, limits the ignore to findings about the package of
	// that name (PyPI names are compared after PEP 503 normalization).
	Package string
	// Path, when set, limits the ignore to findings whose location path
	// matches this slash-separated glob: "*", "?" and "[…]" match within one
	// path segment as in path.Match, and a "**" segment matches any number of
	// segments, none included. The glob must match the whole path.
	Path string
	// Reason says why the finding is acceptable.
	Reason string
	// Owner is who answers for the exception.
	Owner string
	// Expires is the last day (UTC) on which the ignore suppresses: it holds
	// until Expires plus 24 hours, then stops.
	Expires time.Time
	// File and Line say where the ignore was written; zero when it was not
	// read from a file.
	File string
	Line int
}

// Where returns "file:line" for the ignore, or "" when it has no file.
func (ig *Ignore) Where() string {
	switch {
	case ig.File == "":
		return ""
	case ig.Line > 0:
		return fmt.Sprintf("%s:%d", ig.File, ig.Line)
	}
	return ig.File
}

// ExpiredAt reports whether the ignore no longer applies at now: an ignore
// holds through the whole of its Expires day in UTC.
func (ig *Ignore) ExpiredAt(now time.Time) bool {
	y, m, d := ig.Expires.UTC().Date()
	end := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	return !now.Before(end)
}

// LoadIgnoreFile reads an ignore file. When the file does not exist the
// error wraps fs.ErrNotExist, so that a caller reading the default file can
// treat that as "no ignores" and a caller given an explicit path as an error.
func LoadIgnoreFile(name string) ([]Ignore, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxIgnoreFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read ignore file %s: %w", name, err)
	}
	if len(data) > MaxIgnoreFileSize {
		return nil, fmt.Errorf("%s: ignore file is larger than %d bytes", name, MaxIgnoreFileSize)
	}
	return ParseIgnores(name, data)
}

// ParseIgnores decodes the YAML of an ignore file; name is used in errors
// and recorded in each Ignore. It reports every problem it finds (up to 20),
// each as "name:line: …". An empty file holds no ignores.
func ParseIgnores(name string, data []byte) ([]Ignore, error) {
	if len(data) > MaxIgnoreFileSize {
		return nil, fmt.Errorf("%s: ignore file is larger than %d bytes", name, MaxIgnoreFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s:%d: an ignore file holds one YAML document", name, extra.Line)
	}
	p := parser{name: name}
	ignores := p.file(&doc)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return ignores, nil
}

// parser walks the YAML node tree of one ignore file and collects problems.
type parser struct {
	name string
	errs []error
}

func (p *parser) errorf(line int, format string, args ...any) {
	if len(p.errs) == maxErrors {
		p.errs = append(p.errs, fmt.Errorf("%s: too many problems; stopped", p.name))
	}
	if len(p.errs) > maxErrors {
		return
	}
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.name, line, fmt.Sprintf(format, args...)))
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (p *parser) file(doc *yaml.Node) []Ignore {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorf(doc.Line, "not a YAML document")
		return nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "want a mapping with the key \"ignores\", got %s", kindName(root))
		return nil
	}
	var list *yaml.Node
	p.mapping(root, func(key string, line int, v *yaml.Node) {
		switch key {
		case "ignores":
			list = v
		default:
			p.errorf(line, "unknown key %q (want \"ignores\")", key)
		}
	})
	if list == nil || isNull(list) {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		p.errorf(list.Line, "ignores: want a list, got %s", kindName(list))
		return nil
	}
	if len(list.Content) > MaxIgnores {
		p.errorf(list.Line, "ignores: %d entries; at most %d are allowed", len(list.Content), MaxIgnores)
		return nil
	}
	out := make([]Ignore, 0, len(list.Content))
	for i, item := range list.Content {
		if ig, ok := p.entry("ignores", i, item); ok {
			out = append(out, ig)
		}
	}
	return out
}

// mapping calls fn for each key of a mapping node, reporting non-scalar and
// duplicate keys and aliases.
func (p *parser) mapping(m *yaml.Node, fn func(key string, line int, v *yaml.Node)) {
	seen := make(map[string]bool, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, "want a plain key, got %s", kindName(k))
			continue
		}
		if seen[k.Value] {
			p.errorf(k.Line, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		if v.Kind == yaml.AliasNode {
			p.errorf(v.Line, "%s: YAML aliases are not allowed", k.Value)
			continue
		}
		fn(k.Value, k.Line, v)
	}
}

// entry decodes one ignore; list names the list it is in ("ignores",
// "exceptions") for errors.
func (p *parser) entry(list string, i int, n *yaml.Node) (Ignore, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "%s[%d]: want a mapping with id, reason, owner and expires, got %s", list, i, kindName(n))
		return Ignore{}, false
	}
	before := len(p.errs)
	ig := Ignore{File: p.name, Line: n.Line}
	var expires string
	var expiresLine int
	bad := make(map[string]bool) // keys already reported
	p.mapping(n, func(key string, line int, v *yaml.Node) {
		var dst *string
		limit := maxFieldLen
		switch key {
		case "id":
			dst = &ig.ID
		case "package":
			dst = &ig.Package
		case "path":
			dst = &ig.Path
		case "reason":
			dst, limit = &ig.Reason, maxReasonLen
		case "owner":
			dst = &ig.Owner
		case "expires":
			dst, expiresLine = &expires, v.Line
		default:
			p.errorf(line, "%s[%d]: unknown key %q (want id, package, path, reason, owner, expires)", list, i, key)
			return
		}
		if v.Kind != yaml.ScalarNode {
			p.errorf(v.Line, "%s[%d]: %s: want a single value, got %s", list, i, key, kindName(v))
			bad[key] = true
			return
		}
		if isNull(v) {
			return // reported as missing below
		}
		s := strings.TrimSpace(v.Value)
		if len(s) > limit {
			p.errorf(v.Line, "%s[%d]: %s is longer than %d bytes", list, i, key, limit)
			bad[key] = true
			return
		}
		*dst = s
	})
	for _, req := range []struct{ key, val string }{
		{"id", ig.ID}, {"reason", ig.Reason}, {"owner", ig.Owner}, {"expires", expires},
	} {
		if req.val == "" && !bad[req.key] {
			p.errorf(n.Line, "%s[%d]: missing %s", list, i, req.key)
		}
	}
	if expires != "" {
		t, err := time.Parse(dateLayout, expires)
		if err != nil {
			p.errorf(expiresLine, "%s[%d]: expires %q is not a date like 2027-03-31", list, i, expires)
		}
		ig.Expires = t
	}
	if ig.Path != "" {
		ig.Path = strings.TrimPrefix(ig.Path, "./")
		if err := glob.Validate(ig.Path); err != nil {
			p.errorf(n.Line, "%s[%d]: path %q: %v", list, i, ig.Path, err)
		}
	}
	return ig, len(p.errs) == before
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.DocumentNode:
		return "a document"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	if isNull(n) {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}
