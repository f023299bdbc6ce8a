package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/vulndb"
)

// The fixture and govulncheck's recorded verdicts live in testdata/govuln
// (see its README); the Go OSV records are the corpus's golang/vulndb export.
var (
	govulnDir = filepath.Join("..", "..", "testdata", "govuln")
	goCorpus  = filepath.Join("..", "..", "..", "shared", "corpus", "osv", "Go", "all.zip")
)

type expected struct {
	IDs      []string `json:"ids"`
	Findings []struct {
		OSV     string `json:"osv"`
		Module  string `json:"module"`
		Version string `json:"version"`
	} `json:"findings"`
}

func readExpected(t *testing.T, name string) expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(govulnDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

// buildFixture builds the vulnerable Go program for linux/amd64.
func buildFixture(t *testing.T, out string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build the fixture binary")
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", out, ".")
	cmd.Dir = filepath.Join(govulnDir, "app")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fixture (needs the Go module proxy on first run): %v\n%s", err, b)
	}
}

// goDB imports the Go corpus into a fresh database.
func goDB(t *testing.T) *vulndb.DB {
	t.Helper()
	if _, err := os.Stat(goCorpus); err != nil {
		t.Skipf("needs the OSV corpus at %s (the shared/ folder beside the repository): %v", goCorpus, err)
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := vulndb.Import(context.Background(), path, []string{goCorpus}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scanIDs scans root and returns "id module version" for every finding,
// sorted, and the sorted distinct ids.
func scanIDs(t *testing.T, db *vulndb.DB, root string) (lines, ids []string) {
	t.Helper()
	a, err := dir.Open(root, dir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), a, Options{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range r.Warnings {
		t.Errorf("warning: %+v", w)
	}
	for _, f := range r.Findings {
		lines = append(lines, fmt.Sprintf("%s %s %s", f.RuleID, f.Package.Name, f.Package.Version))
		ids = append(ids, f.RuleID)
	}
	sort.Strings(lines)
	sort.Strings(ids)
	return lines, slices.Compact(ids)
}

func expectedLines(e expected) []string {
	var lines []string
	for _, f := range e.Findings {
		lines = append(lines, fmt.Sprintf("%s %s %s", f.OSV, f.Module, f.Version))
	}
	sort.Strings(lines)
	return slices.Compact(lines)
}

// TestGovulncheckParity is the "done when" check for Go: a real binary built
// from vulnerable module versions, and its go.mod, are reported with exactly
// the OSV ids govulncheck v1.9.0 reports at module level for linux/amd64 —
// no more, no less — for the same modules and versions.
func TestGovulncheckParity(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program and imports the Go corpus")
	}
	db := goDB(t)
	bin := t.TempDir()
	buildFixture(t, filepath.Join(bin, "govulnapp"))

	t.Run("binary", func(t *testing.T) {
		want := readExpected(t, "expected-binary.json")
		lines, ids := scanIDs(t, db, bin)
		if !slices.Equal(ids, want.IDs) {
			t.Errorf("ids differ from govulncheck -mode binary -scan module:\n%s", diff(ids, want.IDs))
		}
		if w := expectedLines(want); !slices.Equal(lines, w) {
			t.Errorf("findings differ:\n%s", diff(lines, w))
		}
	})

	t.Run("go.mod", func(t *testing.T) {
		want := readExpected(t, "expected-gomod.json")
		// A go.mod names no toolchain that will build it, so Redline reports
		// no stdlib from it; govulncheck's source mode uses the local one.
		var wantIDs []string
		for _, f := range want.Findings {
			if f.Module != "stdlib" && f.Module != "toolchain" {
				wantIDs = append(wantIDs, f.OSV)
			}
		}
		sort.Strings(wantIDs)
		wantIDs = slices.Compact(wantIDs)
		_, ids := scanIDs(t, db, filepath.Join(govulnDir, "app"))
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("ids differ from govulncheck -mode source -scan module:\n%s", diff(ids, wantIDs))
		}
	})

	// When govulncheck is installed (CI installs it), check the recorded
	// verdict is still what govulncheck says today.
	t.Run("live", func(t *testing.T) {
		gv, err := exec.LookPath("govulncheck")
		if err != nil {
			t.Skip("govulncheck not on PATH: go install golang.org/x/vuln/cmd/govulncheck@v1.9.0")
		}
		dbDir := filepath.Join(t.TempDir(), "govulndb")
		mk := exec.Command("go", "run", "./testdata/govuln/mkdb", "-zip", mustAbs(t, goCorpus), "-out", dbDir)
		mk.Dir = filepath.Join("..", "..")
		if b, err := mk.CombinedOutput(); err != nil {
			t.Fatalf("mkdb: %v\n%s", err, b)
		}
		cmd := exec.Command(gv, "-db", "file://"+dbDir, "-mode", "binary", "-scan", "module", "-format", "json", filepath.Join(bin, "govulnapp"))
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("govulncheck: %v", err)
		}
		live := liveIDs(t, out.Bytes())
		_, ids := scanIDs(t, db, bin)
		if !slices.Equal(ids, live) {
			t.Errorf("ids differ from live govulncheck:\n%s", diff(ids, live))
		}
	})
}

// liveIDs reads govulncheck's JSON message stream and returns the sorted
// distinct OSV ids of its findings.
func liveIDs(t *testing.T, stream []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(stream))
	var ids []string
	for dec.More() {
		var m struct {
			Finding *struct {
				OSV string `json:"osv"`
			} `json:"finding"`
		}
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("govulncheck output: %v", err)
		}
		if m.Finding != nil {
			ids = append(ids, m.Finding.OSV)
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// diff lists what only one side has.
func diff(got, want []string) string {
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "  + %s (Redline only)\n", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "  - %s (govulncheck only)\n", w)
		}
	}
	return b.String()
}
