package kustomize

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// BenchmarkAnalyzeOverlay builds and checks the base + overlay of
// TestOverlayPrivileged.
func BenchmarkAnalyzeOverlay(b *testing.B) {
	root := b.TempDir()
	deployment, err := os.ReadFile(filepath.Join("testdata", "deployment.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	patch, err := os.ReadFile(filepath.Join("testdata", "privileged-patch.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for p, body := range map[string]string{
		"base/kustomization.yaml":    "resources:\n- deployment.yaml\nnamespace: staging\n",
		"base/deployment.yaml":       string(deployment),
		"overlay/kustomization.yaml": "resources:\n- ../base\nnamespace: prod\npatches:\n- path: privileged.yaml\n",
		"overlay/privileged.yaml":    string(patch),
	} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	a := NewAnalyzer(&finding.Collector{}, Options{Root: root})
	f := walk.BytesFile("overlay/kustomization.yaml", nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Analyze(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}
