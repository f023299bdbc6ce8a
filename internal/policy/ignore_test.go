package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/glob"
)

func date(s string) time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLoadIgnoreFile(t *testing.T) {
	name := filepath.Join("testdata", "example.redlineignore")
	got, err := LoadIgnoreFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want := []Ignore{
		{
			ID: "GO-2022-0969", Package: "golang.org/x/net", Path: "services/**/go.mod",
			Reason: "not reachable: we do not run an HTTP/2 server", Owner: "alice@example.com",
			Expires: date("2027-03-31"), File: name, Line: 3,
		},
		{
			ID: "CVE-2023-43804", Reason: "cookies are never sent cross-origin by this service",
			Owner: "bob@example.com", Expires: date("2026-01-31"), File: name, Line: 10,
		},
		{
			ID: "aws-access-key", Path: "testdata/fixtures/*.env",
			Reason: "documentation example key, not a real credential", Owner: "security@example.com",
			Expires: date("2026-12-31"), File: name, Line: 15,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadIgnoreFile:\n got %+v\nwant %+v", got, want)
	}
}

func TestLoadIgnoreFileMissing(t *testing.T) {
	_, err := LoadIgnoreFile(filepath.Join(t.TempDir(), DefaultIgnoreFile))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestLoadIgnoreFileTooLarge(t *testing.T) {
	name := filepath.Join(t.TempDir(), DefaultIgnoreFile)
	if err := os.WriteFile(name, []byte(strings.Repeat("#\n", MaxIgnoreFileSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadIgnoreFile(name)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestParseIgnoresEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "ignores:\n", "ignores: []\n", "---\n", "~\n"} {
		got, err := ParseIgnores("f", []byte(in))
		if err != nil || len(got) != 0 {
			t.Errorf("ParseIgnores(%q) = %v, %v; want no ignores", in, got, err)
		}
	}
}

func TestParseIgnoresErrors(t *testing.T) {
	const ok = "    reason: r\n    owner: o\n    expires: 2027-03-31\n"
	tests := []struct {
		name string
		in   string
		want []string // every error line, in order
	}{
		{"unknown top key", "ignore:\n  - id: X\n", []string{`f:1: unknown key "ignore" (want "ignores")`}},
		{"top is a list", "- id: X\n", []string{`f:1: want a mapping with the key "ignores", got a list`}},
		{"ignores not a list", "ignores: GO-1\n", []string{`f:1: ignores: want a list, got "GO-1"`}},
		{"entry not a mapping", "ignores:\n  - GO-1\n", []string{`f:2: ignores[0]: want a mapping with id, reason, owner and expires, got "GO-1"`}},
		{"missing everything", "ignores:\n  - package: p\n", []string{
			"f:2: ignores[0]: missing id", "f:2: ignores[0]: missing reason",
			"f:2: ignores[0]: missing owner", "f:2: ignores[0]: missing expires",
		}},
		{"null id", "ignores:\n  - id:\n" + ok, []string{"f:2: ignores[0]: missing id"}},
		{"blank reason", "ignores:\n  - id: X\n    reason: '  '\n    owner: o\n    expires: 2027-03-31\n", []string{"f:2: ignores[0]: missing reason"}},
		{"unknown key", "ignores:\n  - id: X\n" + ok + "    expiry: 2027-03-31\n", []string{
			`f:6: ignores[0]: unknown key "expiry" (want id, package, path, reason, owner, expires)`,
		}},
		{"bad date", "ignores:\n  - id: X\n    reason: r\n    owner: o\n    expires: 31/03/2027\n", []string{
			`f:5: ignores[0]: expires "31/03/2027" is not a date like 2027-03-31`,
		}},
		{"impossible date", "ignores:\n  - id: X\n    reason: r\n    owner: o\n    expires: 2027-02-30\n", []string{
			`f:5: ignores[0]: expires "2027-02-30" is not a date like 2027-03-31`,
		}},
		{"date with time", "ignores:\n  - id: X\n    reason: r\n    owner: o\n    expires: 2027-03-31T10:00:00Z\n", []string{
			`f:5: ignores[0]: expires "2027-03-31T10:00:00Z" is not a date like 2027-03-31`,
		}},
		{"list value", "ignores:\n  - id: [a, b]\n" + ok, []string{"f:2: ignores[0]: id: want a single value, got a list"}},
		{"duplicate key", "ignores:\n  - id: X\n    id: Y\n" + ok, []string{`f:3: duplicate key "id"`}},
		{"alias", "ignores:\n  - id: &a X\n" + ok + "  - id: *a\n" + ok, []string{"f:6: id: YAML aliases are not allowed", "f:6: ignores[1]: missing id"}},
		{"bad glob", "ignores:\n  - id: X\n    path: 'a/[b'\n" + ok, []string{`f:2: ignores[0]: path "a/[b": syntax error in pattern`}},
		{"second entry only", "ignores:\n  - id: X\n" + ok + "  - id: Y\n    reason: r\n", []string{
			"f:6: ignores[1]: missing owner", "f:6: ignores[1]: missing expires",
		}},
		{"two documents", "ignores: []\n---\nignores: []\n", []string{"f:2: an ignore file holds one YAML document"}},
		{"syntax", "ignores:\n  - id: \"X\n", []string{"f: yaml: line 2: found unexpected end of stream"}},
		{"reason too long", "ignores:\n  - id: X\n    reason: " + strings.Repeat("x", maxReasonLen+1) + "\n    owner: o\n    expires: 2027-03-31\n", []string{
			"f:3: ignores[0]: reason is longer than 4096 bytes",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIgnores("f", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			if got != nil {
				t.Errorf("got ignores %+v with an error", got)
			}
			if lines := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(lines, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", lines, tt.want)
			}
		})
	}
}

func TestParseIgnoresTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("ignores:\n")
	for range 30 {
		b.WriteString("  - id: X\n")
	}
	_, err := ParseIgnores("f", []byte(b.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "f: too many problems; stopped" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestParseIgnoresTooMany(t *testing.T) {
	var b strings.Builder
	b.WriteString("ignores:\n")
	for range MaxIgnores + 1 {
		b.WriteString("- {id: X, reason: r, owner: o, expires: 2027-03-31}\n")
	}
	_, err := ParseIgnores("f", []byte(b.String()))
	if err == nil || err.Error() != "f:2: ignores: 10001 entries; at most 10000 are allowed" {
		t.Errorf("got %v", err)
	}
}

func FuzzParseIgnores(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.redlineignore"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("ignores:\n  - {id: X, reason: r, owner: o, expires: 2027-03-31, path: '**/a/**'}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		igs, err := ParseIgnores("f", data)
		if err != nil {
			if igs != nil {
				t.Fatalf("ignores %v returned with error %v", igs, err)
			}
			if !strings.HasPrefix(err.Error(), "f") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(igs) > MaxIgnores {
			t.Fatalf("%d ignores", len(igs))
		}
		for _, ig := range igs {
			if ig.ID == "" || ig.Reason == "" || ig.Owner == "" || ig.Expires.IsZero() || ig.Line < 1 || ig.File != "f" {
				t.Fatalf("incomplete ignore %+v", ig)
			}
			if glob.Validate(ig.Path) != nil {
				t.Fatalf("bad glob %q accepted", ig.Path)
			}
			glob.Match(ig.Path, "a/b/c")
		}
	})
}

// TestDocumentedExample keeps the example in docs/output.md the same as the
// tested one.
func TestDocumentedExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "output.md"))
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	example, err := os.ReadFile(filepath.Join("testdata", "example.redlineignore"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(example)+"```\n") {
		t.Error("docs/output.md does not show testdata/example.redlineignore verbatim")
	}
}
