package kubernetes

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// resolve follows an alias to the node it names. Aliases are never expanded
// into copies: the decoder bounds the size of the tree they would expand to
// (see measure) before any check looks at a document.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	return n
}

// field returns the key and value nodes of key in mapping m; both are nil
// when m is not a mapping, the key is absent or its value is null.
func field(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, resolve(m.Content[i+1])
		}
	}
	return nil, nil
}

// get returns the value at a dotted path of mapping keys below m.
func get(m *yaml.Node, path ...string) *yaml.Node {
	for _, p := range path {
		_, m = field(m, p)
		if m == nil {
			return nil
		}
	}
	return m
}

// items returns the elements of a sequence node, aliases resolved (nil
// elements are null entries).
func items(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

// shapeError says that a field has the wrong YAML shape for its Kubernetes type.
type shapeError struct {
	line int
	path string
	want string
}

func (e *shapeError) Error() string {
	return fmt.Sprintf("line %d: %s: want %s", e.line, e.path, e.want)
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "a value"
}

// yaml11Bools are the plain scalars that sigs.k8s.io/yaml (what kubectl and
// the API machinery use, YAML 1.1 rules) reads as booleans. yaml.v3 follows
// YAML 1.2 and would read "yes" as a string; a scanner must read the manifest
// the way the cluster will, or `privileged: yes` slips through.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"true": true, "True": true, "TRUE": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
	"false": false, "False": false, "FALSE": false,
}

// boolValue reads a boolean field. ok is false when the field is absent;
// a value that is not a boolean is a shapeError.
func boolValue(n *yaml.Node, path string) (v, ok bool, err error) {
	if n == nil {
		return false, false, nil
	}
	if n.Kind == yaml.ScalarNode && (n.Style == 0 || n.Tag == "!!bool") {
		if b, found := yaml11Bools[n.Value]; found {
			return b, true, nil
		}
	}
	return false, false, &shapeError{line: n.Line, path: path, want: "a boolean"}
}

// intValue reads an integer field; ok is false when it is absent.
func intValue(n *yaml.Node, path string) (v int64, ok bool, err error) {
	if n == nil {
		return 0, false, nil
	}
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 {
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i, true, nil
		}
		// JSON writers sometimes emit 0.0 or 1e3 for integers.
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
			return int64(f), true, nil
		}
	}
	return 0, false, &shapeError{line: n.Line, path: path, want: "an integer"}
}

// stringValue reads a string field; ok is false when it is absent.
func stringValue(n *yaml.Node, path string) (v string, ok bool, err error) {
	if n == nil {
		return "", false, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", false, &shapeError{line: n.Line, path: path, want: "a string, got " + kindName(n.Kind)}
	}
	return n.Value, true, nil
}

// lineOf returns the line of the key if known, else of the value, else def.
func lineOf(k, v *yaml.Node, def int) int {
	switch {
	case k != nil:
		return k.Line
	case v != nil:
		return v.Line
	}
	return def
}
