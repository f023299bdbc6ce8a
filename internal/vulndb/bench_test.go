package vulndb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir holds the real OSV zips (shared/corpus/osv/<Ecosystem>/all.zip).
var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus", "osv")

func corpusZips(tb testing.TB) []string {
	tb.Helper()
	zips, _ := filepath.Glob(filepath.Join(corpusDir, "*", "all.zip"))
	if len(zips) == 0 {
		tb.Skipf("no OSV corpus in %s (the shared/corpus/osv folder beside the repository)", corpusDir)
	}
	return zips
}

// BenchmarkImportCorpus imports the real Go, PyPI, crates.io and Alpine
// data (about 10,700 records) into a new database per iteration.
func BenchmarkImportCorpus(b *testing.B) {
	zips := corpusZips(b)
	dir := b.TempDir()
	var records int
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(dir, "vuln.db")
		os.Remove(path)
		sum, err := Import(context.Background(), path, zips, ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		records = 0
		for _, e := range sum.Ecosystems {
			records += e.Stored + e.Withdrawn
		}
	}
	b.ReportMetric(float64(records), "records/op")
}

// BenchmarkAffected is a warm lookup of one package, as the matcher does
// for every package of a scan.
func BenchmarkAffected(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vuln.db")
	inputs := []string{testdataOSV}
	if zips, _ := filepath.Glob(filepath.Join(corpusDir, "*", "all.zip")); len(zips) > 0 {
		inputs = zips
	}
	if _, err := Import(context.Background(), path, inputs, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, q := range []struct{ name, eco, pkg string }{
		{"Go-stdlib", "Go", "stdlib"},
		{"PyPI-django", "PyPI", "Django"},
		{"Alpine-openssl", "Alpine:v3.11", "openssl"},
		{"miss", "npm", "no-such-package"},
	} {
		b.Run(q.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				entries, err := db.Affected(ctx, q.eco, q.pkg)
				if err != nil {
					b.Fatal(err)
				}
				n = len(entries)
			}
			b.ReportMetric(float64(n), "entries")
		})
	}
}

// TestImportCorpus is a sanity check on all the real data: every record
// is read, the counts add up, and known records are where they belong.
func TestImportCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("imports ~10,700 records; skipped with -short")
	}
	zips := corpusZips(t)
	path := filepath.Join(t.TempDir(), "vuln.db")
	sum, err := Import(context.Background(), path, zips, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{ // stored, withdrawn (corpus README)
		"Alpine": {2575, 0}, "Go": {4291 - 17, 17}, "PyPI": {2668 - 10, 10}, "crates.io": {1206 - 13, 13},
	}
	got := map[string][2]int{}
	for _, e := range sum.Ecosystems {
		got[e.Name] = [2]int{e.Stored, e.Withdrawn}
	}
	for eco, w := range want {
		if got[eco] != w {
			t.Errorf("%s: stored, withdrawn = %v, want %v", eco, got[eco], w)
		}
	}
	if sum.Malformed != 0 {
		t.Errorf("malformed %d: %q", sum.Malformed, sum.MalformedFiles)
	}
	db := openTest(t, path)
	if ids := affectedIDs(t, db, "Go", "stdlib"); len(ids) < 100 {
		t.Errorf("Go stdlib: %d records", len(ids))
	}
	if ids := affectedIDs(t, db, "PyPI", "Django"); len(ids) < 50 {
		t.Errorf("PyPI django: %d records", len(ids))
	}
}
