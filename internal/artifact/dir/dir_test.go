package dir

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func paths(t *testing.T, a artifact.Artifact) []string {
	t.Helper()
	var got []string
	err := a.Walk(context.Background(), func(e artifact.Entry) error {
		got = append(got, e.Path)
		c, err := e.Open()
		if err != nil {
			return err
		}
		defer c.Close()
		b, err := io.ReadAll(io.NewSectionReader(c, 0, c.Size()))
		if err != nil {
			return err
		}
		if int64(len(b)) != e.Info.Size() {
			t.Errorf("%s: read %d bytes, info says %d", e.Path, len(b), e.Info.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWalkSkipsAndOrder(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":                        "module x",
		"b/package-lock.json":           "{}",
		"a/node_modules/x/package.json": "{}",
		".git/config":                   "[core]",
		"vendor/dep/go.mod":             "module dep",
		"docs/notes.txt":                "hi",
		"sub/test/fixture.json":         "{}",
	})
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(root, "loop")); err != nil {
		t.Fatal(err)
	}
	d, err := Open(root, Options{SkipDirs: []string{"vendor", "sub/**/test"}, SkipFiles: []string{"*.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/node_modules/x/package.json", "b/package-lock.json", "go.mod"}
	if got := paths(t, d); !reflect.DeepEqual(got, want) {
		t.Errorf("walk = %q, want %q", got, want)
	}
	if tg := d.Target(); tg.Kind != "filesystem" || tg.Name != filepath.ToSlash(filepath.Clean(root)) {
		t.Errorf("target = %+v", tg)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("missing dir: want error")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(f, Options{}); err == nil {
		t.Error("file: want error")
	}
	if _, err := Open(t.TempDir(), Options{SkipDirs: []string{"[bad"}}); err == nil {
		t.Error("bad pattern: want error")
	}
}

func TestWalkCancelled(t *testing.T) {
	root := writeTree(t, map[string]string{"a": "", "b": ""})
	d, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Walk(ctx, func(artifact.Entry) error { return nil }); err == nil {
		t.Error("cancelled walk: want error")
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"node_modules", "a/node_modules", true},
		{"node_modules", "node_modules", true},
		{"*.txt", "docs/a.txt", true},
		{"*.txt", "docs/a.txt.bak", false},
		{"docs/*.txt", "docs/a.txt", true},
		{"docs/*.txt", "x/docs/a.txt", false},
		{"**/docs/*.txt", "x/y/docs/a.txt", true},
		{"**/docs/*.txt", "docs/a.txt", true},
		{"a/**", "a/b/c", true},
		{"a/**/c", "a/c", true},
		{"a/**/c", "a/b/d", false},
		{"./vendor/", "vendor", true},
		{"**", "anything/at/all", true},
	} {
		if got := Match(c.pattern, c.path); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}
