package npm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/inventory"
)

// maxYAMLDocuments bounds the documents of one YAML lockfile (pnpm writes
// at most two: an optional environment document and the lockfile).
const maxYAMLDocuments = 8

// yamlPackagesFunc turns the decoded documents of a lockfile into packages.
type yamlPackagesFunc func(ctx context.Context, p string, docs []*yaml.Node) ([]inventory.Package, error)

// parseYAMLLock decodes a YAML lockfile and hands its documents to fn. On a
// syntax error it decodes once more the entries before the error's line,
// so that what precedes a truncation is still reported with the error.
func parseYAMLLock(ctx context.Context, p string, data []byte, fn yamlPackagesFunc) ([]inventory.Package, error) {
	docs, err := decodeYAML(p, data)
	if err == nil {
		return fn(ctx, p, docs)
	}
	var pe *inventory.ParseError
	if errors.As(err, &pe) && pe.Line > 1 {
		if prefix := entriesBefore(data, pe.Line); len(prefix) > 0 {
			if docs, perr := decodeYAML(p, prefix); perr == nil {
				pkgs, _ := fn(ctx, p, docs)
				return pkgs, err
			}
		}
	}
	return nil, err
}

// decodeYAML decodes every document of data into nodes. Decoding into a
// yaml.Node does not expand aliases, and the walkers never follow them, so
// an alias bomb costs no more than its size.
func decodeYAML(p string, data []byte) ([]*yaml.Node, error) {
	if n := yamlTokens(data); n > maxYAMLTokens {
		return nil, &inventory.ParseError{Path: p, Err: fmt.Errorf("%d YAML separators is over the limit of %d", n, maxYAMLTokens)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, &inventory.ParseError{Path: p, Line: yamlErrorLine(err), Err: err}
		}
		if len(docs) == maxYAMLDocuments {
			return nil, &inventory.ParseError{Path: p, Line: n.Line, Err: fmt.Errorf("more than %d YAML documents", maxYAMLDocuments)}
		}
		docs = append(docs, &n)
	}
}

// yamlTokens counts the bytes that can start or separate YAML nodes: an
// rough upper bound on the nodes that decoding makes.
func yamlTokens(data []byte) int {
	n := 0
	for _, c := range data {
		switch c {
		case ':', ',', '[', '{', '-', '?', '\n', '\r':
			n++
		}
	}
	return n
}

// yamlErrorLine finds the line in a yaml.v3 error ("yaml: line 12: …"), or 0.
func yamlErrorLine(err error) int {
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	digits := msg[i+len("line "):]
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	n, perr := strconv.Atoi(digits[:end])
	if perr != nil {
		return 0
	}
	return n
}

// entriesBefore returns data up to the last line up to line that starts an
// entry (indented by at most two spaces), so that it holds only entries that
// were complete before the error. It returns nil when there is no such line.
func entriesBefore(data []byte, line int) []byte {
	cut := -1
	off := 0
	for n := 1; n <= line && off < len(data); n++ {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		l := data[off:next]
		indent := len(l) - len(bytes.TrimLeft(l, " "))
		if indent <= 2 && len(bytes.TrimSpace(l)) > 0 {
			cut = off
		}
		off = next
	}
	if cut <= 0 {
		return nil
	}
	return data[:cut]
}

// documentMapping returns the top-level mapping of a document, or nil.
func documentMapping(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	return doc
}

// field returns the value of key in mapping m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalarField returns the scalar value of key in mapping m, or "".
func scalarField(m *yaml.Node, key string) string {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// mappingField returns the mapping value of key in m, or nil.
func mappingField(m *yaml.Node, key string) *yaml.Node {
	if v := field(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	return nil
}
