package cli

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDBUpdateFromMirror runs `db update` against a file:// mirror laid out
// like the public OSV bucket (<Ecosystem>/all.zip), built from the bundled
// real records: the first run stores them, the second finds them unchanged,
// and a missing ecosystem fails alone.
func TestDBUpdateFromMirror(t *testing.T) {
	mirror := t.TempDir()
	zipDir(t, filepath.Join(exampleOSV, "Go"), filepath.Join(mirror, "Go", "all.zip"))
	db := filepath.Join(t.TempDir(), "vuln.db")
	args := []string{"db", "update", "--db", db, "--source", "file://" + mirror, "--ecosystem", "Go", "--ecosystem", "npm"}

	code, out, stderr := run(t, args...)
	if code != ExitOK {
		t.Fatalf("first update: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "updated from") || !strings.Contains(out, "FAILED, previous data kept") {
		t.Errorf("first update output:\n%s", out)
	}
	code, out, stderr = run(t, args...)
	if code != ExitOK || !strings.Contains(out, "unchanged since last update") {
		t.Errorf("second update: exit %d:\n%s\n%s", code, out, stderr)
	}
	code, out, _ = run(t, "db", "status", "--db", db)
	if code != ExitOK || !strings.Contains(out, "Go") {
		t.Errorf("status after update: exit %d:\n%s", code, out)
	}

	// Every ecosystem failing is an error, and the database is kept.
	code, _, stderr = run(t, "db", "update", "--db", db, "--source", "file://"+t.TempDir(), "--ecosystem", "Go")
	if code != ExitError || !strings.Contains(stderr, "update") {
		t.Errorf("all failed: exit %d: %s", code, stderr)
	}
	if code, _, _ := run(t, "db", "status", "--db", db); code != ExitOK {
		t.Error("database unusable after a failed update")
	}
}

// zipDir writes the *.json files of dir into a zip at dst, as the OSV bucket
// packs them (one record per member at the root).
func zipDir(t *testing.T, dir, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no records in %s: %v", dir, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
