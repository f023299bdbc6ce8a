package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanMisconfig: Dockerfile and Kubernetes checks run in the same walk
// as the catalogers, gate like any finding, and --scanners turns them off.
func TestScanMisconfig(t *testing.T) {
	db := mustDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM ubuntu\nRUN curl -fsSL https://get.example.com/i.sh | sh\nUSER root\n")
	writeFile(t, filepath.Join(dir, "pod.yaml"), `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
`)
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "high", dir)
	if code != ExitBlocked {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	got := strings.Join(findingKeys(decode(t, out)), "\n")
	for _, want := range []string{"DF-003 @ Dockerfile", "DF-007 @ Dockerfile", "PSS-baseline-privileged @ pod.yaml"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	code, out, _ = run(t, "scan", "fs", "--db", db, "-f", "json", "--scanners", "vuln", "--fail-on", "high", dir)
	if code != ExitOK || len(decode(t, out).Findings) != 0 {
		t.Errorf("--scanners vuln: exit %d, findings %v", code, findingKeys(decode(t, out)))
	}
	if code, _, stderr := run(t, "scan", "fs", "--db", db, "--scanners", "vuln,magic", dir); code != ExitError || !strings.Contains(stderr, "unknown scanner") {
		t.Errorf("bad scanner: exit %d, %q", code, stderr)
	}
	if code, out, _ := run(t, "checks", "list"); code != ExitOK || !strings.Contains(out, "PSS-restricted-runAsNonRoot") || !strings.Contains(out, "DF-001") {
		t.Errorf("checks list: exit %d", code)
	}
}

// TestScanKustomize: an overlay that makes a base's Deployment privileged
// is reported at the overlay's kustomization.yaml.
func TestScanKustomize(t *testing.T) {
	db := mustDB(t)
	dir := t.TempDir()
	for _, d := range []string{"base", "overlay"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "base", "kustomization.yaml"), "resources:\n  - deployment.yaml\n")
	writeFile(t, filepath.Join(dir, "base", "deployment.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx:1.27
`)
	writeFile(t, filepath.Join(dir, "overlay", "kustomization.yaml"), "resources:\n  - ../base\npatches:\n  - path: privileged.yaml\n")
	writeFile(t, filepath.Join(dir, "overlay", "privileged.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  template:
    spec:
      containers:
        - name: app
          securityContext: {privileged: true}
`)
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := strings.Join(findingKeys(decode(t, out)), "\n")
	if !strings.Contains(got, "PSS-baseline-privileged @ overlay/kustomization.yaml") {
		t.Errorf("overlay's privileged container not reported:\n%s", got)
	}
	if strings.Contains(got, "PSS-baseline-privileged @ base/") {
		t.Errorf("the base is not privileged:\n%s", got)
	}
}
