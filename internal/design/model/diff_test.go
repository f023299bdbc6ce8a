package model

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestCompare(t *testing.T) {
	ctx := context.Background()
	old, err := Load(ctx, "testdata/diff/old.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	new, err := Load(ctx, "testdata/diff/new.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(old, new)
	if d.Summary != (Summary{Added: 4, Removed: 1, Changed: 4}) {
		t.Errorf("summary %+v", d.Summary)
	}
	var text bytes.Buffer
	if err := d.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/diff/diff.txt", text.Bytes())
	golden(t, "testdata/diff/diff.json", append(js, '\n'))

	// The same models give the same bytes, and a model compared with
	// itself has no changes.
	again := Compare(old, new)
	js2, _ := json.MarshalIndent(again, "", "  ")
	if !bytes.Equal(js, js2) {
		t.Error("diff is not deterministic")
	}
	if same := Compare(new, new); len(same.Changes) != 0 || same.Old.Hash != same.New.Hash {
		t.Errorf("self diff %+v", same)
	}
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n%s", file, got)
	}
}
