package dockerfile

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden runs the analyzer over complete Dockerfiles and compares its
// findings (line, rule, severity, evidence) with testdata/<name>.golden.
func TestGolden(t *testing.T) {
	files := []string{"good.Dockerfile", "bad.Dockerfile", "real/buildkit.Dockerfile", "real/x-sys-unix-linux.Dockerfile"}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			var c finding.Collector
			a := NewAnalyzer(&c)
			if !a.Wants(name, nil) {
				t.Fatalf("Wants(%s) = false", name)
			}
			f := walk.BytesFile(name, data)
			f.Layer = "sha256:layer"
			if err := a.Analyze(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			for _, f := range Findings(mustParse(t, data), name, "", "") {
				fmt.Fprintf(&b, "%d %s %s %s\n", f.Location.Line, f.RuleID, f.Severity, f.Evidence)
			}
			got := c.Findings()
			if len(got) != strings.Count(b.String(), "\n") {
				t.Errorf("collector has %d findings, Findings %d", len(got), strings.Count(b.String(), "\n"))
			}
			for _, f := range got {
				if f.Kind != finding.KindMisconfiguration || f.Location.Path != name || f.Location.Layer != "sha256:layer" || f.Fix == nil || f.Fix.Remediation == "" || f.Title == "" {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			golden := filepath.Join("testdata", strings.ReplaceAll(name, "/", "_")+".golden")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("findings differ from %s:\ngot\n%s\nwant\n%s", golden, b.String(), want)
			}
		})
	}
}

func mustParse(t testing.TB, data []byte) *Dockerfile {
	t.Helper()
	df, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return df
}

func TestAnalyzeErrors(t *testing.T) {
	var c finding.Collector
	a := NewAnalyzer(&c)
	err := a.Analyze(context.Background(), walk.BytesFile("x/Dockerfile", []byte("FROM a\nBOGUS x\n")))
	if err == nil || err.Error() != `parse x/Dockerfile: line 2: unknown instruction "BOGUS"` {
		t.Errorf("error = %v", err)
	}
	big := walk.BytesFile("Dockerfile", make([]byte, MaxFileSize+1))
	if err := a.Analyze(context.Background(), big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Analyze(ctx, walk.BytesFile("Dockerfile", []byte("FROM a\n"))); err == nil {
		t.Error("cancelled context: want error")
	}
	if n := len(c.Findings()); n != 0 {
		t.Errorf("%d findings from failed files", n)
	}
}
