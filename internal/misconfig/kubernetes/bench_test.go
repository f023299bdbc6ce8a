package kubernetes

import (
	"os"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

// BenchmarkAnalyze checks a realistic multi-document manifest (all the PSA
// v1.35 restricted fixtures and testdata/multi.yaml joined, ~100 objects).
func BenchmarkAnalyze(b *testing.B) {
	data, err := os.ReadFile("testdata/multi.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, dir := range []string{"testdata/psa/v1.35/restricted/fail", "testdata/psa/v1.35/restricted/pass"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			d, err := os.ReadFile(dir + "/" + e.Name())
			if err != nil {
				b.Fatal(err)
			}
			data = append(append(data, "\n---\n"...), d...)
		}
	}
	f := walk.BytesFile("bench.yaml", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := analyze(f, data); err != nil {
			b.Fatal(err)
		}
	}
}
