package kustomize

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// writeTree writes files (slash paths relative to root) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// analyze runs the analyzer on the kustomization at rel under root.
func analyze(t *testing.T, root, rel string) ([]finding.Finding, error) {
	t.Helper()
	c := &finding.Collector{}
	a := NewAnalyzer(c, Options{Root: root})
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	f := walk.BytesFile(rel, data)
	if !a.Wants(rel, f.Info) {
		t.Fatalf("Wants(%s) = false", rel)
	}
	err = a.Analyze(context.Background(), f)
	return c.Findings(), err
}

func ruleIDs(fs []finding.Finding, prefix string) []string {
	var ids []string
	for _, f := range fs {
		if strings.HasPrefix(f.RuleID, prefix) {
			ids = append(ids, f.RuleID+" "+f.Location.String()+" "+f.Location.Object)
		}
	}
	return ids
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func baseAndOverlay(t *testing.T) string {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"deploy/base/kustomization.yaml":          "resources:\n- deployment.yaml\nnamespace: staging\n",
		"deploy/base/deployment.yaml":             readTestdata(t, "deployment.yaml"),
		"deploy/overlays/prod/kustomization.yaml": "resources:\n- ../../base\nnamespace: prod\npatches:\n- path: privileged.yaml\n",
		"deploy/overlays/prod/privileged.yaml":    readTestdata(t, "privileged-patch.yaml"),
	})
	return root
}

func TestOverlayPrivileged(t *testing.T) {
	root := baseAndOverlay(t)

	got, err := analyze(t, root, "deploy/overlays/prod/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PSS-baseline-privileged deploy/overlays/prod/kustomization.yaml " +
		"Deployment web (namespace prod): container \"app\" sets privileged: true"}
	if ids := ruleIDs(got, "PSS-"); !slices.Equal(ids, want) {
		t.Errorf("overlay PSS findings:\n got %q\nwant %q", ids, want)
	}
	for _, f := range got {
		if f.Location.Line != 0 || !strings.HasPrefix(f.Description, "rendered by kustomize: ") {
			t.Errorf("finding %s: line %d, description %q", f.RuleID, f.Location.Line, f.Description)
		}
	}

	base, err := analyze(t, root, "deploy/base/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(base) != 0 {
		t.Errorf("base: want no findings, got %q", ruleIDs(base, ""))
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // substring of the error
	}{
		{
			name:  "traversal",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- ../../outside\n"},
			want:  `"../../outside": outside the scanned directory`,
		},
		{
			name:  "traversal in a base",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- base\n", "a/base/kustomization.yaml": "resources:\n- ../../../etc\n"},
			want:  `"../../../etc": outside the scanned directory`,
		},
		{
			name:  "patch outside",
			files: map[string]string{"a/kustomization.yaml": "patches:\n- path: ../../secret.yaml\n"},
			want:  `"../../secret.yaml": outside the scanned directory`,
		},
		{
			name:  "absolute",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- /etc/passwd\n"},
			want:  `"/etc/passwd": absolute paths are refused`,
		},
		{
			name:  "remote git base",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6\n"},
			want:  "remote reference refused",
		},
		{
			name:  "remote https file",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- https://example.com/deploy.yaml\n"},
			want:  "remote reference refused",
		},
		{
			name:  "scp-style git",
			files: map[string]string{"a/kustomization.yaml": "bases:\n- git@gitlab.example.com:org/repo.git//deploy\n"},
			want:  "remote reference refused",
		},
		{
			name:  "remote patch",
			files: map[string]string{"a/kustomization.yaml": "patches:\n- path: https://example.com/p.yaml\n"},
			want:  "remote reference refused",
		},
		{
			name:  "helm",
			files: map[string]string{"a/kustomization.yaml": "helmCharts:\n- name: x\n  repo: https://charts.example.com\n"},
			want:  "helm charts are not supported",
		},
		{
			name:  "malformed",
			files: map[string]string{"a/kustomization.yaml": "resources: [unclosed\n"},
			want:  "parse ",
		},
		{
			name:  "missing resource",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- nothere.yaml\n"},
			want:  `"nothere.yaml": not found in the scanned directory`,
		},
		{
			name:  "build error",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- cm.yaml\n", "a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"},
			want:  "kustomize build a/kustomization.yaml: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			var rel string
			for p := range tt.files {
				if strings.HasPrefix(p, "a/") && strings.Count(p, "/") >= 1 && filepath.Base(p) == "kustomization.yaml" && (rel == "" || len(p) < len(rel)) {
					rel = p
				}
			}
			got, err := analyze(t, root, rel)
			if err == nil {
				t.Fatalf("want error containing %q, got findings %q", tt.want, ruleIDs(got, ""))
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), rel) {
				t.Errorf("error %q: want it to contain %q and %q", err, tt.want, rel)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			if strings.Contains(err.Error(), root) {
				t.Errorf("error %q leaks the scan root", err)
			}
		})
	}
}

func TestSymlinkOutsideRefused(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"kustomization.yaml": "resources: []\n"})
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a/kustomization.yaml": "resources:\n- link\n"})
	if err := os.Symlink(outside, filepath.Join(root, "a", "link")); err != nil {
		t.Skip(err)
	}
	_, err := analyze(t, root, "a/kustomization.yaml")
	if err == nil || !strings.Contains(err.Error(), "outside the scanned directory") {
		t.Errorf("err = %v, want outside the scanned directory", err)
	}
}

func TestWants(t *testing.T) {
	a := NewAnalyzer(&finding.Collector{}, Options{Root: "/x"})
	for p, want := range map[string]bool{
		"kustomization.yaml":       true,
		"a/b/kustomization.yml":    true,
		"a/Kustomization":          true,
		"a/kustomization.yaml.bak": false,
		"a/deployment.yaml":        false,
	} {
		if got := a.Wants(p, nil); got != want {
			t.Errorf("Wants(%s) = %v, want %v", p, got, want)
		}
	}
	if NewAnalyzer(&finding.Collector{}, Options{}).Wants("kustomization.yaml", nil) {
		t.Error("without a root the analyzer must want nothing")
	}
}

func TestCancelled(t *testing.T) {
	root := baseAndOverlay(t)
	a := NewAnalyzer(&finding.Collector{}, Options{Root: root})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Analyze(ctx, walk.BytesFile("deploy/base/kustomization.yaml", nil)); err == nil {
		t.Error("cancelled: want error")
	}
}
