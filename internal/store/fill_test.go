package store

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// TestFillForRSS fills a SQLite store in $REDLINE_FILL_DIR with
// REDLINE_BENCH_FINDINGS (default 1,000,000) synthetic findings, the data
// of BenchmarkQueries, and keeps it: run `redline server --data-dir` on it
// to measure the server's memory at that size (docs/BENCHMARKS.md).
func TestFillForRSS(t *testing.T) {
	dir := os.Getenv("REDLINE_FILL_DIR")
	if dir == "" {
		t.Skip("set REDLINE_FILL_DIR to a new directory to fill a store there")
	}
	d, err := OpenSQLite(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n := 1_000_000
	if s := os.Getenv("REDLINE_BENCH_FINDINGS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			t.Fatalf("REDLINE_BENCH_FINDINGS=%q: want a number of at least 1000", s)
		}
		n = v
	}
	fillT(t, d, n)
}
