package model

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Encode writes a model as YAML in the schema's key order, leaving out
// unset values, so that Decode reads back the same model. Includes are not
// written: the whole model goes into one file.
func Encode(m *Model) ([]byte, error) {
	c := *m
	c.Includes = nil
	e := &encoder{cache: make(map[reflect.Type]*structInfo)}
	n := e.node(reflect.ValueOf(c))
	if n == nil {
		return nil, fmt.Errorf("encode model: empty model")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	return buf.Bytes(), nil
}

type encoder struct{ cache map[reflect.Type]*structInfo }

// node returns the YAML node of v, or nil when v is unset.
func (e *encoder) node(v reflect.Value) *yaml.Node {
	t := v.Type()
	str := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		tm := v.Interface().(time.Time)
		if tm.IsZero() {
			return nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Value: tm.Format(time.DateOnly)}
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return e.node(v.Elem())
	case t.Kind() == reflect.Struct:
		si := fieldTable(e.cache, t)
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range si.fields {
			if c := e.node(v.Field(f.index)); c != nil {
				m.Content = append(m.Content, str(f.key), c)
			}
		}
		if len(m.Content) == 0 {
			return nil
		}
		return m
	case t.Kind() == reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		s := &yaml.Node{Kind: yaml.SequenceNode}
		scalars := true
		for i := range v.Len() {
			c := e.node(v.Index(i))
			if c == nil {
				c = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			}
			scalars = scalars && c.Kind == yaml.ScalarNode
			s.Content = append(s.Content, c)
		}
		if scalars {
			s.Style = yaml.FlowStyle
		}
		return s
	case t.Kind() == reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			m.Content = append(m.Content, str(k), str(v.MapIndex(reflect.ValueOf(k)).String()))
		}
		return m
	case t.Kind() == reflect.Bool:
		if !v.Bool() {
			return nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}
	case t.Kind() == reflect.Int:
		if v.Int() == 0 {
			return nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case t.Kind() == reflect.String:
		if v.String() == "" {
			return nil
		}
		return str(v.String())
	}
	return nil
}
