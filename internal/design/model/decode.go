package model

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a model, at the place it was written.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns file:line:column: message.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every problem found in a model, in file and line order. It is
// the error Load, Decode and Validate return when the model is wrong.
type Errors []*Error

// Error returns one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortErrors orders errors by file, line and column, keeping the order of
// errors at the same place.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
}

// errLimit is raised (through panic/recover inside the decoder only) when a
// limit stops decoding; it never leaves the package as a panic.
type errLimit struct{ err *Error }

// decoder turns one file's YAML node tree into schema structs, strictly.
type decoder struct {
	file   string
	limits Limits
	cache  map[reflect.Type]*structInfo

	nodes      int // nodes visited, alias expansions included
	aliasNodes int // nodes visited below an alias
	inAlias    int // depth of alias expansions we are inside
	errs       Errors

	// elems is the stack of elements being decoded, for key positions;
	// keyPos receives them as "id\x00key.path" once an element's id is
	// known.
	elems  []elemCtx
	keyPos map[string]Pos
}

// elemCtx collects the key positions of one element while it is decoded.
type elemCtx struct {
	prefix string  // path of the element ("components[3]")
	keys   []keyAt // key paths inside the element, first occurrence first
}

type keyAt struct {
	rel string
	pos Pos
}

// noteKey records where a key (or list item) inside the current element
// was written.
func (d *decoder) noteKey(path string, n *yaml.Node) {
	if len(d.elems) == 0 || d.keyPos == nil {
		return
	}
	top := &d.elems[len(d.elems)-1]
	if rest, ok := strings.CutPrefix(path, top.prefix); ok && strings.HasPrefix(rest, ".") {
		top.keys = append(top.keys, keyAt{rest[1:], d.pos(n)})
	}
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Column: n.Column} }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
	if len(d.errs) >= d.limits.MaxErrors {
		panic(errLimit{&Error{Pos: d.pos(n), Msg: fmt.Sprintf("too many errors (%d); stopping", len(d.errs))}})
	}
}

// visit counts a node against the limits; past one it stops decoding.
func (d *decoder) visit(n *yaml.Node) {
	d.nodes++
	if d.inAlias > 0 {
		d.aliasNodes++
	}
	if d.nodes > d.limits.MaxNodes {
		panic(errLimit{&Error{Pos: d.pos(n), Msg: fmt.Sprintf("model has more than %d YAML nodes (limit)", d.limits.MaxNodes)}})
	}
	if d.aliasNodes > d.limits.MaxAliasNodes {
		panic(errLimit{&Error{Pos: d.pos(n), Msg: fmt.Sprintf("YAML aliases expand to more than %d nodes (an alias bomb?); write the values out or use fewer aliases", d.limits.MaxAliasNodes)}})
	}
}

// decode fills v from n. what is the YAML path of the value
// ("components[3].controls.gateway"), used in messages and key positions.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, what string) {
	d.visit(n)
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n, "%s: unresolved alias", where(what))
			return
		}
		d.inAlias++
		d.decode(n.Alias, v, what)
		d.inAlias--
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 1 {
			d.decode(n.Content[0], v, what)
		}
		return
	}
	if isNull(n) {
		return // the zero value: as if the key were absent
	}
	t := v.Type()
	if vals := allowedValues(t); vals != nil {
		if s, ok := d.scalar(n, what); ok {
			if !slices.Contains(vals, s) {
				msg := fmt.Sprintf("%s: unknown value %q (allowed: %s)", where(what), s, strings.Join(vals, ", "))
				if c := closest(s, vals); c != "" {
					msg += fmt.Sprintf("; did you mean %q?", c)
				}
				d.errorf(n, "%s", msg)
				return
			}
			v.SetString(s)
		}
		return
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		if s, ok := d.scalar(n, what); ok {
			tm, err := time.Parse(time.DateOnly, s)
			if err != nil {
				d.errorf(n, "%s: %q is not a date (YYYY-MM-DD)", where(what), s)
				return
			}
			v.Set(reflect.ValueOf(tm))
		}
	case t.Kind() == reflect.Struct:
		d.decodeStruct(n, v, what)
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		d.decode(n, e.Elem(), what)
		v.Set(e)
	case t.Kind() == reflect.Slice:
		d.decodeSlice(n, v, what)
	case t.Kind() == reflect.Map:
		d.decodeMap(n, v, what)
	case t.Kind() == reflect.String:
		if s, ok := d.scalar(n, what); ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Bool:
		if s, ok := d.scalar(n, what); ok {
			switch strings.ToLower(s) {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				d.errorf(n, "%s: want true or false, got %q", where(what), s)
			}
		}
	case t.Kind() == reflect.Int:
		if s, ok := d.scalar(n, what); ok {
			i, err := strconv.Atoi(s)
			if err != nil {
				d.errorf(n, "%s: want a whole number, got %q", where(what), s)
				return
			}
			v.SetInt(int64(i))
		}
	default:
		d.errorf(n, "%s: unsupported type %s", where(what), t) // cannot happen for schema types
	}
}

// scalar returns the text of a scalar node, or reports what it got instead.
func (d *decoder) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s: want a single value, got %s", where(what), kindName(n))
		return "", false
	}
	return n.Value, true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "something else"
}

// resolve follows an alias.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isMapping(n *yaml.Node) bool { return resolve(n).Kind == yaml.MappingNode }

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s: want a list, got %s", where(what), kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	elem := v.Type().Elem()
	for i, item := range n.Content {
		if elem.Kind() == reflect.Struct && elem != reflect.TypeFor[time.Time]() && !isMapping(item) {
			// Report it, and keep the zero element out of the model so that
			// validation does not pile messages onto it.
			d.visit(item)
			d.errorf(item, "%s[%d]: want a mapping, got %s", where(what), i, kindName(resolve(item)))
			continue
		}
		e := reflect.New(elem).Elem()
		path := what + "[" + strconv.Itoa(i) + "]"
		if elem.Kind() == reflect.String {
			d.noteKey(path, item)
		}
		d.decode(item, e, path)
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

// where names a path for a message; the empty path is the document.
func where(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, what string) {
	pairs, ok := d.pairs(n, what)
	if !ok {
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(pairs))
	for _, p := range pairs {
		k, ok := d.scalar(p.key, what)
		if !ok {
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, e, join(what, k))
		m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
	}
	v.Set(m)
}

type pair struct{ key, value *yaml.Node }

// pairs returns a mapping's key/value pairs with YAML merge keys (<<)
// applied: explicit keys win over merged ones. A key given twice is an error.
func (d *decoder) pairs(n *yaml.Node, what string) ([]pair, bool) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		d.visit(n)
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s: want a mapping, got %s", where(what), kindName(n))
		return nil, false
	}
	var out, merged []pair
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		d.visit(k)
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, d.mergeSources(val, what)...)
			continue
		}
		if k.Kind == yaml.ScalarNode {
			if first, dup := seen[k.Value]; dup {
				d.errorf(k, "%s: key %q given twice (first at line %d)", where(what), k.Value, first.Line)
				continue
			}
			seen[k.Value] = k
		}
		out = append(out, pair{k, val})
	}
	for _, p := range merged {
		if p.key.Kind == yaml.ScalarNode {
			if _, ok := seen[p.key.Value]; ok {
				continue
			}
			seen[p.key.Value] = p.key
		}
		out = append(out, p)
	}
	return out, true
}

// mergeSources returns the pairs a merge key's value brings in: one mapping
// or a list of mappings, usually aliases.
func (d *decoder) mergeSources(val *yaml.Node, what string) []pair {
	d.inAlias++
	defer func() { d.inAlias-- }()
	var srcs []*yaml.Node
	if val.Kind == yaml.SequenceNode {
		srcs = val.Content
	} else {
		srcs = []*yaml.Node{val}
	}
	var out []pair
	for _, s := range srcs {
		ps, ok := d.pairs(s, what)
		if !ok {
			continue
		}
		out = append(out, ps...)
	}
	return out
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, what string) {
	pairs, ok := d.pairs(n, what)
	if !ok {
		return
	}
	si := fieldTable(d.cache, v.Type())
	if si.posIdx >= 0 {
		v.Field(si.posIdx).Set(reflect.ValueOf(d.pos(n)))
	}
	idField := v.FieldByName("ID")
	element := idField.IsValid() && si.byKey["id"] != nil || what == "metadata" || what == "tenancy"
	if element {
		d.elems = append(d.elems, elemCtx{prefix: what})
		defer func() {
			top := d.elems[len(d.elems)-1]
			d.elems = d.elems[:len(d.elems)-1]
			id := what
			if idField.IsValid() {
				id = idField.String()
			}
			if d.keyPos == nil || id == "" {
				return
			}
			for _, k := range top.keys {
				key := id + "\x00" + k.rel
				if _, seen := d.keyPos[key]; !seen {
					d.keyPos[key] = k.pos
				}
			}
		}()
	}
	present := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		k, ok := d.scalar(p.key, what)
		if !ok {
			continue
		}
		f := si.byKey[k]
		if f == nil {
			msg := fmt.Sprintf("%s: unknown key %q (allowed: %s)", where(what), k, strings.Join(si.keys, ", "))
			if c := closest(k, si.keys); c != "" {
				msg = fmt.Sprintf("%s: unknown key %q; did you mean %q? (allowed: %s)", where(what), k, c, strings.Join(si.keys, ", "))
			}
			d.errorf(p.key, "%s", msg)
			continue
		}
		if !isNull(p.value) {
			present[k] = true
		}
		d.noteKey(join(what, k), p.key)
		fv := v.Field(f.index)
		d.decode(p.value, fv, join(what, k))
		d.checkRange(p.value, fv, join(what, k), f)
	}
	for _, f := range si.fields {
		if f.required && !present[f.key] {
			d.errorf(n, "%s: missing required key %q", describe(what, v), f.key)
		}
	}
}

// checkRange applies min/max to an int field.
func (d *decoder) checkRange(n *yaml.Node, v reflect.Value, path string, f *field) {
	if f.min == nil && f.max == nil {
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Int {
		return
	}
	i := int(v.Int())
	if (f.min != nil && i < *f.min) || (f.max != nil && i > *f.max) {
		lo, hi := "-∞", "∞"
		if f.min != nil {
			lo = strconv.Itoa(*f.min)
		}
		if f.max != nil {
			hi = strconv.Itoa(*f.max)
		}
		d.errorf(n, "%s: %d is out of range [%s, %s]", path, i, lo, hi)
	}
}

// describe names a struct being decoded for a message: `components[2] (id "api")`.
func describe(what string, v reflect.Value) string {
	if f := v.FieldByName("ID"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
		return fmt.Sprintf("%s (id %q)", where(what), f.String())
	}
	return where(what)
}
