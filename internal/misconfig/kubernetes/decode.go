package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits on one manifest file. A manifest bigger than this is not something a
// person wrote by hand, and the checks never need more.
const (
	maxFileSize  = 8 << 20 // bytes
	maxDocuments = 1000    // YAML documents in one file
	maxNodes     = 200_000 // YAML nodes in one document, counting what aliases expand to
	maxDepth     = 100     // nesting of mappings and sequences
	maxListItems = 10_000  // items of one kind: List
)

// object is one Kubernetes object of a manifest.
type object struct {
	apiVersion string
	kind       string
	name       string
	namespace  string
	node       *yaml.Node // the object's mapping
	line       int        // line of the object's first key
}

// ident names the object in messages: "Deployment web (namespace prod)".
func (o *object) ident() string {
	name := o.name
	if name == "" {
		name = "<unnamed>"
	}
	if o.namespace != "" {
		return fmt.Sprintf("%s %s (namespace %s)", o.kind, name, o.namespace)
	}
	return o.kind + " " + name
}

// sniff is the cheap content test: a Kubernetes manifest names its apiVersion
// and kind. It rejects most YAML and JSON files without parsing them.
func sniff(data []byte) bool {
	return bytes.Contains(data, []byte("apiVersion")) && bytes.Contains(data, []byte("kind"))
}

// decode reads every Kubernetes object of a YAML stream (one or more
// documents) or a JSON file. Documents that are not Kubernetes objects are
// skipped silently. It returns the objects found before any error; the
// error names the line where known.
func decode(data []byte) ([]*object, error) {
	var (
		objs []*object
		errs []error
	)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A syntax error ends the stream: yaml.v3 cannot resynchronise.
			// Go and Helm templates are not YAML until rendered; skip them quietly.
			if bytes.Contains(data, []byte("{{")) {
				break
			}
			errs = append(errs, fmt.Errorf("document %d: %w", n+1, err))
			break
		}
		if n >= maxDocuments {
			errs = append(errs, fmt.Errorf("more than %d YAML documents; the rest are not checked", maxDocuments))
			break
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if !looksLikeObject(root) {
			continue
		}
		if err := measure(root); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", root.Line, err))
			continue
		}
		found, err := collect(root)
		objs = append(objs, found...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return objs, errors.Join(errs...)
}

// looksLikeObject reports whether n is a mapping with scalar apiVersion and kind.
func looksLikeObject(n *yaml.Node) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	_, av := field(n, "apiVersion")
	_, k := field(n, "kind")
	return av != nil && k != nil && av.Kind == yaml.ScalarNode && k.Kind == yaml.ScalarNode &&
		av.Value != "" && k.Value != ""
}

// collect turns a document root into objects, unwrapping kind: List (and
// the *List kinds kubectl prints, such as DeploymentList).
func collect(root *yaml.Node) ([]*object, error) {
	o := newObject(root)
	if !strings.HasSuffix(o.kind, "List") {
		return []*object{o}, nil
	}
	k, list := field(root, "items")
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &shapeError{line: lineOf(k, list, o.line), path: o.kind + ".items", want: "a list"}
	}
	if len(list.Content) > maxListItems {
		return nil, fmt.Errorf("line %d: %s has %d items, over the limit of %d", o.line, o.kind, len(list.Content), maxListItems)
	}
	var out []*object
	for _, it := range items(list) {
		// Items of a List are objects themselves; a nested List is not
		// unwrapped again (kubectl does not either).
		if looksLikeObject(it) {
			out = append(out, newObject(it))
		}
	}
	return out, nil
}

func newObject(n *yaml.Node) *object {
	n = resolve(n)
	o := &object{node: n, line: n.Line}
	if len(n.Content) > 0 {
		o.line = n.Content[0].Line
	}
	_, av := field(n, "apiVersion")
	_, k := field(n, "kind")
	o.apiVersion, o.kind = av.Value, k.Value
	if v := get(n, "metadata", "name"); v != nil && v.Kind == yaml.ScalarNode {
		o.name = v.Value
	}
	if v := get(n, "metadata", "namespace"); v != nil && v.Kind == yaml.ScalarNode {
		o.namespace = v.Value
	}
	return o
}

// measure bounds a document before any check walks it: its depth, and the
// number of nodes it would have if every alias were expanded (an "alias
// bomb" of a few kilobytes can stand for billions of nodes). Aliases are
// never expanded; the expanded size of each anchored node is computed once.
func measure(root *yaml.Node) error {
	m := &measurer{sizes: map[*yaml.Node]int{}}
	_, err := m.size(root, 0)
	return err
}

type measurer struct {
	sizes map[*yaml.Node]int // expanded sizes of alias targets; -1 while being measured
}

func (m *measurer) size(n *yaml.Node, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("line %d: nested more than %d levels deep", n.Line, maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		t := n.Alias
		if t == nil {
			return 1, nil
		}
		if s, ok := m.sizes[t]; ok {
			if s < 0 {
				return 0, fmt.Errorf("line %d: alias *%s refers to itself", n.Line, n.Value)
			}
			return s, nil
		}
		m.sizes[t] = -1
		s, err := m.size(t, depth+1)
		if err != nil {
			return 0, err
		}
		m.sizes[t] = s
		return s, nil
	}
	total := 1
	for _, c := range n.Content {
		s, err := m.size(c, depth+1)
		if err != nil {
			return 0, err
		}
		total += s
		if total > maxNodes {
			return 0, fmt.Errorf("line %d: more than %d YAML nodes once aliases are expanded", n.Line, maxNodes)
		}
	}
	return total, nil
}
