package model

import (
	"context"
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/redline-sec/redline/internal/design/model/modeltest"
)

// FuzzDecode feeds arbitrary bytes to the decoder: it must return a model
// or an error, never panic, and a model it returns must be valid and give
// a graph.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"../../../examples/design/saas/model.yaml",
		"../../../examples/design/saas/platform.yaml",
		"../../../examples/design/saas/services.yaml",
		"testdata/diff/old.yaml",
	} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(modeltest.Synthetic(10, 20))
	f.Add([]byte(header + "zones: [&a {id: z, kind: internal}, {<<: *a, id: y}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode("f.yaml", data, Limits{MaxNodes: 200_000, MaxErrors: 20})
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("not model errors: %v", err)
			}
			return
		}
		if err := Validate(m); err != nil {
			t.Fatalf("decoded model does not validate: %v", err)
		}
		g := NewGraph(m)
		for i := range m.Interfaces {
			g.ZonesCrossed(&m.Interfaces[i])
		}
		for i := range m.Components {
			g.InternetPath(m.Components[i].ID)
		}
		// What decodes, encodes and decodes back to the same model.
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode("back.yaml", b, Limits{})
		if err != nil {
			t.Fatalf("encoded model does not decode: %v\n%s", err, b)
		}
		if back.Hash() != m.Hash() {
			t.Fatalf("round trip changed the model: %+v", Compare(m, back).Changes)
		}
	})
}

// FuzzLoadIncludes fuzzes an included file next to a valid root.
func FuzzLoadIncludes(f *testing.F) {
	f.Add([]byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nincludes: [model.yaml, part.yaml]\n"))
	f.Add([]byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nzones: [{id: z, kind: dmz}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"model.yaml": {Data: []byte(header + "includes: [part.yaml]\n")},
			"part.yaml":  {Data: data},
		}
		m, err := LoadFS(context.Background(), fsys, "model.yaml", Limits{MaxNodes: 200_000})
		if err == nil {
			if err := Validate(m); err != nil {
				t.Fatal(err)
			}
		}
	})
}
