package scan

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/vulndb"
)

// BenchmarkScanExample is a whole `scan fs` of the bundled example (three
// lockfiles) against a warm database built from its OSV records: walk,
// catalogers, matching, gate and report assembly, without process start.
func BenchmarkScanExample(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vuln.db")
	if _, err := vulndb.Import(context.Background(), path, []string{filepath.Join("..", "..", "examples", "osv")}, vulndb.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a, err := dir.Open(filepath.Join("..", "..", "examples", "vulnerable-app"), dir.Options{})
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{DB: db, Logger: slog.New(slog.DiscardHandler)}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Run(context.Background(), a, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}
