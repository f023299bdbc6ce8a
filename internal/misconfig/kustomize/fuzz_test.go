package kustomize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// FuzzAnalyze builds a fuzzed kustomization next to a fixed base. It must
// never panic, never touch files outside the scan root, and either fail
// with an error naming the file or report findings at it.
func FuzzAnalyze(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "seeds", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	deployment, err := os.ReadFile(filepath.Join("testdata", "deployment.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	patch, err := os.ReadFile(filepath.Join("testdata", "privileged-patch.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kust []byte) {
		root := t.TempDir()
		writeTree(t, root, map[string]string{
			"app/kustomization.yaml":      string(kust),
			"app/base/kustomization.yaml": "resources:\n- deployment.yaml\nnamespace: staging\n",
			"app/base/deployment.yaml":    string(deployment),
			"app/base/privileged.yaml":    string(patch),
		})
		c := &finding.Collector{}
		a := NewAnalyzer(c, Options{Root: root})
		const rel = "app/kustomization.yaml"
		err := a.Analyze(context.Background(), walk.BytesFile(rel, kust))
		if err != nil && !strings.Contains(err.Error(), rel) {
			t.Errorf("error %q does not name %s", err, rel)
		}
		for _, fd := range c.Findings() {
			if fd.Location.Path != rel || fd.Location.Line != 0 || fd.RuleID == "" {
				t.Errorf("finding %s at %s:%d", fd.RuleID, fd.Location.Path, fd.Location.Line)
			}
		}
		// The build is read-only: nothing new appears in the tree.
		var n int
		_ = filepath.Walk(root, func(_ string, info os.FileInfo, _ error) error {
			if info != nil && !info.IsDir() {
				n++
			}
			return nil
		})
		if n != 4 {
			t.Errorf("%d files under the root after the build, want 4", n)
		}
	})
}
