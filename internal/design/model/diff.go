package model

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Op says what happened to an element between two models.
type Op string

// The operations of a diff.
const (
	OpAdded   Op = "added"
	OpRemoved Op = "removed"
	OpChanged Op = "changed"
)

// Section kinds a diff reports besides the element kinds.
const (
	SectionMetadata  = "metadata"
	SectionTenancy   = "tenancy"
	SectionException = "exception"
)

// Diff is what changed in the architecture between two models. Elements
// are matched by id (exceptions by rule and element); the order is by
// section (metadata, tenancy, data, zone, runtime, component, interface,
// exception), then id, so the same two models always give the same diff.
type Diff struct {
	Old     Version  `json:"old"`
	New     Version  `json:"new"`
	Summary Summary  `json:"summary"`
	Changes []Change `json:"changes"`
}

// Version identifies one side of a diff.
type Version struct {
	Product string `json:"product"`
	Release string `json:"release"`
	Hash    string `json:"hash"`
}

// Summary counts the changes.
type Summary struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
}

// Change is one element added, removed or changed.
type Change struct {
	Section string `json:"section"` // metadata, tenancy, data, zone, runtime, component, interface, exception
	ID      string `json:"id"`      // element id; rule@element for exceptions; empty for metadata and tenancy
	Op      Op     `json:"op"`
	// At is where the element is written in the new model (the old one
	// for a removal).
	At     string        `json:"at,omitempty"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one value that differs, by its YAML path in the element
// (controls.gateway.waf). Unset values are empty strings.
type FieldChange struct {
	Path    string   `json:"path"`
	Old     string   `json:"old"`
	New     string   `json:"new"`
	Added   []string `json:"added,omitempty"`   // list items only in New
	Removed []string `json:"removed,omitempty"` // list items only in Old
}

// Compare returns the architecture changes from old to new.
func Compare(old, new *Model) *Diff {
	d := &Diff{
		Old:     Version{Product: old.Metadata.Product, Release: old.Metadata.Release, Hash: old.Hash()},
		New:     Version{Product: new.Metadata.Product, Release: new.Metadata.Release, Hash: new.Hash()},
		Changes: []Change{},
	}
	c := &differ{cache: make(map[reflect.Type]*structInfo)}
	d.add(c.single(SectionMetadata, old.Metadata, new.Metadata, new.Metadata.Pos))
	d.add(c.single(SectionTenancy, old.Tenancy, new.Tenancy, new.Tenancy.Pos))
	d.add(diffList(c, string(ElementData), old.Data, new.Data, func(x *DataAsset) (string, Pos) { return x.ID, x.Pos })...)
	d.add(diffList(c, string(ElementZone), old.Zones, new.Zones, func(x *Zone) (string, Pos) { return x.ID, x.Pos })...)
	d.add(diffList(c, string(ElementRuntime), old.Runtimes, new.Runtimes, func(x *Runtime) (string, Pos) { return x.ID, x.Pos })...)
	d.add(diffList(c, string(ElementComponent), old.Components, new.Components, func(x *Component) (string, Pos) { return x.ID, x.Pos })...)
	d.add(diffList(c, string(ElementInterface), old.Interfaces, new.Interfaces, func(x *Interface) (string, Pos) { return x.ID, x.Pos })...)
	d.add(diffList(c, SectionException, old.Exceptions, new.Exceptions, func(x *Exception) (string, Pos) { return x.Rule + "@" + x.Element, x.Pos })...)
	return d
}

func (d *Diff) add(cs ...Change) {
	for _, c := range cs {
		if c.Op == "" {
			continue
		}
		switch c.Op {
		case OpAdded:
			d.Summary.Added++
		case OpRemoved:
			d.Summary.Removed++
		case OpChanged:
			d.Summary.Changed++
		}
		d.Changes = append(d.Changes, c)
	}
}

type differ struct{ cache map[reflect.Type]*structInfo }

func (c *differ) single(section string, old, new any, at Pos) Change {
	fields := c.fields(old, new)
	if len(fields) == 0 {
		return Change{}
	}
	return Change{Section: section, Op: OpChanged, At: posText(at), Fields: fields}
}

func diffList[T any](c *differ, section string, old, new []T, key func(*T) (string, Pos)) []Change {
	oldBy := make(map[string]*T, len(old))
	for i := range old {
		id, _ := key(&old[i])
		oldBy[id] = &old[i]
	}
	newBy := make(map[string]*T, len(new))
	var out []Change
	for i := range new {
		id, at := key(&new[i])
		newBy[id] = &new[i]
		o, ok := oldBy[id]
		if !ok {
			out = append(out, Change{Section: section, ID: id, Op: OpAdded, At: posText(at)})
			continue
		}
		if fields := c.fields(*o, new[i]); len(fields) > 0 {
			out = append(out, Change{Section: section, ID: id, Op: OpChanged, At: posText(at), Fields: fields})
		}
	}
	for i := range old {
		id, at := key(&old[i])
		if _, ok := newBy[id]; !ok {
			out = append(out, Change{Section: section, ID: id, Op: OpRemoved, At: posText(at)})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func posText(p Pos) string {
	if p.File == "" {
		return ""
	}
	return p.String()
}

// fields compares two values of the same struct type leaf by leaf.
func (c *differ) fields(old, new any) []FieldChange {
	a := make(map[string]leaf)
	b := make(map[string]leaf)
	c.flatten(reflect.ValueOf(old), "", a)
	c.flatten(reflect.ValueOf(new), "", b)
	paths := make([]string, 0, len(a)+len(b))
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []FieldChange
	for _, p := range paths {
		x, y := a[p], b[p]
		if x.text == y.text {
			continue
		}
		fc := FieldChange{Path: p, Old: x.text, New: y.text}
		if x.list || y.list {
			for _, it := range y.items {
				if !slices.Contains(x.items, it) {
					fc.Added = append(fc.Added, it)
				}
			}
			for _, it := range x.items {
				if !slices.Contains(y.items, it) {
					fc.Removed = append(fc.Removed, it)
				}
			}
		}
		out = append(out, fc)
	}
	return out
}

// leaf is one flattened value.
type leaf struct {
	text  string
	list  bool
	items []string
}

// flatten records every leaf of v under its YAML path. Unset strings,
// numbers and lists are left out and booleans are always recorded, so an
// absent value and its zero value compare equal, as the decoder treats them.
func (c *differ) flatten(v reflect.Value, path string, out map[string]leaf) {
	t := v.Type()
	switch {
	case t == reflect.TypeFor[time.Time]():
		if tm := v.Interface().(time.Time); !tm.IsZero() {
			out[path] = leaf{text: tm.Format(time.DateOnly)}
		}
	case t.Kind() == reflect.Pointer:
		if !v.IsNil() {
			c.flatten(v.Elem(), path, out)
		}
	case t.Kind() == reflect.Struct:
		si := fieldTable(c.cache, t)
		for _, f := range si.fields {
			c.flatten(v.Field(f.index), join(path, f.key), out)
		}
	case t.Kind() == reflect.Slice:
		if v.Len() == 0 {
			return
		}
		items := make([]string, v.Len())
		for i := range items {
			items[i] = fmt.Sprint(v.Index(i).Interface())
		}
		out[path] = leaf{text: "[" + strings.Join(items, ", ") + "]", list: true, items: items}
	case t.Kind() == reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			out[join(path, k)] = leaf{text: fmt.Sprint(v.MapIndex(reflect.ValueOf(k)).Interface())}
		}
	case t.Kind() == reflect.Bool:
		out[path] = leaf{text: strconv.FormatBool(v.Bool())} // absent means false
	case t.Kind() == reflect.Int:
		if v.Int() != 0 {
			out[path] = leaf{text: strconv.FormatInt(v.Int(), 10)}
		}
	case t.Kind() == reflect.String:
		if v.String() != "" {
			out[path] = leaf{text: v.String()}
		}
	}
}

// WriteText writes the diff for people: one line per element, then one
// indented line per field.
func (d *Diff) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Architecture: %s %s (%s) -> %s %s (%s)\n", d.Old.Product, d.Old.Release, short(d.Old.Hash),
		d.New.Product, d.New.Release, short(d.New.Hash))
	if len(d.Changes) == 0 {
		b.WriteString("no changes\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "%d added, %d removed, %d changed\n\n", d.Summary.Added, d.Summary.Removed, d.Summary.Changed)
	for _, c := range d.Changes {
		mark := map[Op]string{OpAdded: "+", OpRemoved: "-", OpChanged: "~"}[c.Op]
		name := c.Section
		if c.ID != "" {
			name += " " + c.ID
		}
		if c.At != "" {
			fmt.Fprintf(&b, "%s %s  (%s)\n", mark, name, c.At)
		} else {
			fmt.Fprintf(&b, "%s %s\n", mark, name)
		}
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "    %s: %s -> %s", f.Path, unset(f.Old), unset(f.New))
			var extra []string
			for _, a := range f.Added {
				extra = append(extra, "+"+a)
			}
			for _, r := range f.Removed {
				extra = append(extra, "-"+r)
			}
			if len(extra) > 0 {
				fmt.Fprintf(&b, "  (%s)", strings.Join(extra, " "))
			}
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func unset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

func short(hash string) string {
	if len(hash) > len("sha256:")+12 {
		return hash[:len("sha256:")+12]
	}
	return hash
}
