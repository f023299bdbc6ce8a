package secret

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// goSource returns up to limit bytes of the Go standard library's source:
// a realistic tree of text full of words like "token", "key" and "secret".
func goSource(tb testing.TB, limit int) []byte {
	tb.Helper()
	var buf []byte
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		tb.Skipf("go env GOROOT: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(buf) >= limit {
			return fs.SkipAll
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			buf = append(buf, b...)
		}
		return nil
	})
	if err != nil || len(buf) == 0 {
		tb.Skipf("no Go source under %s: %v", root, err)
	}
	return buf
}

func BenchmarkDetect(b *testing.B) {
	data := goSource(b, 16<<20)
	det := NewDetector(Default())
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		det.Detect("src.go", data)
	}
}

func BenchmarkKeywordScan(b *testing.B) {
	data := goSource(b, 16<<20)
	det := NewDetector(Default())
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		det.ac.scan(data, func(int, int) { n++ })
	}
}

// TestScanTree scans the tree named by REDLINE_SECRET_TREE with the real
// walk and reports throughput; it is how docs/BENCHMARKS.md compares with
// gitleaks' dir mode. REDLINE_SECRET_CONFIG names a gitleaks configuration
// to scan with instead of the built-in rules (gitleaks' own default config
// for a same-rules comparison) and REDLINE_SECRET_MAX_FILE_SIZE a size
// limit in bytes other than DefaultMaxFileSize. It skips unless the tree is set.
func TestScanTree(t *testing.T) {
	root := os.Getenv("REDLINE_SECRET_TREE")
	if root == "" {
		t.Skip("set REDLINE_SECRET_TREE to a directory to measure throughput")
	}
	a, err := dir.Open(root, dir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules := Default()
	if p := os.Getenv("REDLINE_SECRET_CONFIG"); p != "" {
		rules, err = LoadGitleaksConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d rules, warnings %q", p, rules.Len(), rules.Warnings())
	}
	var c finding.Collector
	var opts Options
	if v := os.Getenv("REDLINE_SECRET_MAX_FILE_SIZE"); v != "" {
		if opts.MaxFileSize, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	an := NewAnalyzer(rules, &c, opts)
	var bytes int64
	counting := countingAnalyzer{Analyzer: an, bytes: &bytes}
	start := time.Now()
	res, err := walk.Run(context.Background(), a, []walk.Analyzer{counting}, walk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start).Seconds()
	fs := c.Findings()
	byRule := map[string]int{}
	for _, f := range fs {
		byRule[f.RuleID]++
	}
	t.Logf("files seen %d, analyzed %d, %.1f MB in %.2fs: %.0f files/s, %.1f MB/s, %d findings, warnings %d",
		res.Stats.Files, res.Stats.Analyzed, float64(bytes)/1e6, el, float64(res.Stats.Analyzed)/el, float64(bytes)/1e6/el, len(fs), res.Stats.Warnings)
	t.Logf("by rule: %v", byRule)
	if out := os.Getenv("REDLINE_SECRET_OUT"); out != "" {
		var b strings.Builder
		for _, f := range fs {
			fmt.Fprintf(&b, "%s\t%d\t%s\n", f.Location.Path, f.Location.Line, f.RuleID)
		}
		if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

type countingAnalyzer struct {
	*Analyzer
	bytes *int64
}

func (c countingAnalyzer) Analyze(ctx context.Context, f *walk.File) error {
	atomic.AddInt64(c.bytes, f.Size())
	return c.Analyzer.Analyze(ctx, f)
}
