package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"
)

// SchemaID is the $id of the published JSON Schema.
const SchemaID = "https://redline.dev/schemas/architecture-model-v1alpha1.json"

// Schema returns the JSON Schema (draft 2020-12) of a model file, generated
// from the Go types and their tags, so it cannot drift from the decoder:
// the same keys, required keys, enum values and ranges. Editors use it for
// completion (yaml-language-server: $schema=...). The output is
// byte-identical from run to run.
func Schema() []byte {
	s := &schemaGen{defs: make(map[string]any), cache: make(map[reflect.Type]*structInfo)}
	root := s.object(reflect.TypeFor[Model]())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "Redline architecture model"
	root["description"] = "An architecture model as code (" + APIVersion + "): " +
		"a root file of kind ArchitectureModel and included files of kind ArchitectureModelPart."
	root["$defs"] = s.defs
	props := root["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": APIVersion, "description": "Schema version."}
	// The root file needs metadata; included parts may not carry metadata
	// or tenancy.
	root["if"] = map[string]any{"properties": map[string]any{"kind": map[string]any{"const": string(KindModel)}}}
	root["then"] = map[string]any{"required": []string{"metadata"}}
	root["else"] = map[string]any{"not": map[string]any{"anyOf": []any{
		map[string]any{"required": []string{"metadata"}},
		map[string]any{"required": []string{"tenancy"}},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil // only maps, slices, strings and numbers: cannot fail
	}
	return buf.Bytes()
}

type schemaGen struct {
	defs  map[string]any
	cache map[reflect.Type]*structInfo
}

// object returns the schema of a struct type inline.
func (s *schemaGen) object(t reflect.Type) map[string]any {
	si := fieldTable(s.cache, t)
	props := make(map[string]any, len(si.fields))
	var required []string
	for _, f := range si.fields {
		p := s.typeSchema(t.Field(f.index).Type)
		if f.doc != "" {
			p = withDoc(p, f.doc)
		}
		if f.min != nil {
			p["minimum"] = *f.min
		}
		if f.max != nil {
			p["maximum"] = *f.max
		}
		if f.id {
			p["pattern"] = idPattern.String()
		}
		props[f.key] = p
		if f.required {
			required = append(required, f.key)
		}
	}
	o := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// withDoc adds a description (next to a $ref too, which 2020-12 allows).
func withDoc(p map[string]any, doc string) map[string]any {
	p["description"] = doc
	return p
}

// typeSchema returns the schema of a field type: structs go to $defs.
func (s *schemaGen) typeSchema(t reflect.Type) map[string]any {
	if vals := allowedValues(t); vals != nil {
		if t == reflect.TypeFor[TLSVersion]() {
			// An unquoted 1.2 is a YAML number; accept both spellings.
			en := []any{}
			for _, v := range vals {
				en = append(en, v)
			}
			en = append(en, 1.0, 1.1, 1.2, 1.3)
			return map[string]any{"type": []string{"string", "number"}, "enum": en}
		}
		return map[string]any{"type": "string", "enum": vals}
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date"}
	case t.Kind() == reflect.Pointer:
		return s.typeSchema(t.Elem())
	case t.Kind() == reflect.Struct:
		if _, ok := s.defs[t.Name()]; !ok {
			s.defs[t.Name()] = nil // reserve against recursion
			s.defs[t.Name()] = s.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": s.typeSchema(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.typeSchema(t.Elem())}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() == reflect.Int:
		return map[string]any{"type": "integer"}
	}
	return map[string]any{"type": "string"}
}
