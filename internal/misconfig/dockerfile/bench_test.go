package dockerfile

import (
	"context"
	"os"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// BenchmarkAnalyze parses and checks BuildKit's own 500-line Dockerfile.
func BenchmarkAnalyze(b *testing.B) {
	data, err := os.ReadFile("testdata/real/buildkit.Dockerfile")
	if err != nil {
		b.Fatal(err)
	}
	f := walk.BytesFile("Dockerfile", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c finding.Collector
		if err := NewAnalyzer(&c).Analyze(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWants is the per-file cost every path of a walk pays.
func BenchmarkWants(b *testing.B) {
	a := NewAnalyzer(nil)
	paths := []string{"src/github.com/x/y/z/file.go", "node_modules/a/package.json", "build/Dockerfile.prod", "README.md"}
	for b.Loop() {
		for _, p := range paths {
			a.Wants(p, nil)
		}
	}
}
