package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPolicyFile: a CEL rule blocks, a red line cannot be excepted, a
// broken policy fails before any scan work with file and line.
func TestPolicyFile(t *testing.T) {
	db := mustDB(t)
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")

	writeFile(t, pol, `apiVersion: redline.dev/v1
thresholds: {default: none}
rules:
  - id: no-unfixable-crates
    description: crates with a known fix must be upgraded
    expression: f.kind == "vulnerability" && f.package.ecosystem == "crates.io" && has(f.fix)
`)
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", "--policy", pol, exampleApp)
	if code != ExitBlocked {
		t.Fatalf("CEL rule: exit %d, want 1: %s", code, stderr)
	}
	if r := decode(t, out); !strings.Contains(strings.Join(r.Decision.Reasons, "\n"), "no-unfixable-crates") {
		t.Errorf("reasons do not name the rule: %v", r.Decision.Reasons)
	}

	writeFile(t, pol, `apiVersion: redline.dev/v1
thresholds: {default: none}
rules:
  - id: smallvec-is-banned
    description: the smallvec overflow never ships
    expression: f.rule_id == "RUSTSEC-2021-0003"
    redline: true
exceptions:
  - {id: RUSTSEC-2021-0003, reason: we accept it, owner: bob@example.com, expires: `+tomorrow+`}
`)
	if code, _, stderr := run(t, "scan", "fs", "--db", db, "--policy", pol, exampleApp); code != ExitBlocked {
		t.Errorf("red line with an exception: exit %d, want 1: %s", code, stderr)
	}

	writeFile(t, pol, `apiVersion: redline.dev/v1
rules:
  - id: typo
    description: x
    expression: f.rule_idd == "x"
`)
	code, _, stderr = run(t, "scan", "fs", "--db", db, "--policy", pol, exampleApp)
	if code != ExitError || !strings.Contains(stderr, pol+":") || !strings.Contains(stderr, "rule_idd") {
		t.Errorf("bad CEL: exit %d, stderr %q", code, stderr)
	}
}

// TestVEX: a not_affected statement suppresses the vulnerability it names.
func TestVEX(t *testing.T) {
	db := mustDB(t)
	vex := filepath.Join(t.TempDir(), "app.vex.json")
	writeFile(t, vex, `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "security@example.com",
  "timestamp": "2026-11-01T00:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2021-25900"},
    "products": [{"@id": "pkg:cargo/smallvec@0.6.13"}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path"
  }]
}`)
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "critical", "--vex", vex, exampleApp)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (the only critical is not_affected): %s", code, stderr)
	}
	for _, k := range findingKeys(decode(t, out)) {
		if strings.HasPrefix(k, "RUSTSEC-2021-0003 ") {
			t.Errorf("VEX did not suppress %s", k)
		}
	}
}

// TestAlertOnBlock: a blocked build posts one alert; an unreachable alert
// target is a warning and does not change the exit code.
func TestAlertOnBlock(t *testing.T) {
	db := mustDB(t)
	var posts atomic.Int32
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	code, _, stderr := run(t, "scan", "fs", "--db", db, "--fail-on", "high", "--alert-webhook", srv.URL, exampleApp)
	if code != ExitBlocked || posts.Load() != 1 {
		t.Fatalf("exit %d, %d posts: %s", code, posts.Load(), stderr)
	}
	var alert struct {
		Alert struct {
			Blocked  bool              `json:"blocked"`
			Blockers []json.RawMessage `json:"blockers"`
		} `json:"alert"`
	}
	if err := json.Unmarshal(body, &alert); err != nil || !alert.Alert.Blocked || len(alert.Alert.Blockers) != 2 {
		t.Errorf("alert body %s: %v", body, err)
	}
	if code, _, _ := run(t, "scan", "fs", "--db", db, "--fail-on", "critical", exampleApp); code != ExitBlocked {
		t.Errorf("sanity: exit %d", code)
	}
	srv.Close()
	code, _, stderr = run(t, "scan", "fs", "--db", db, "--fail-on", "high", "--alert-webhook", srv.URL, exampleApp)
	if code != ExitBlocked || !strings.Contains(stderr, "alert not delivered") {
		t.Errorf("dead webhook: exit %d, stderr %q", code, stderr)
	}
}
