package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const shopModel = "testdata/design/shop.yaml"

func TestModelCheck(t *testing.T) {
	code, out, errOut := run(t, "model", "check", shopModel, "-f", "json")
	if code != ExitBlocked {
		t.Fatalf("exit %d, want %d (red line): %s", code, ExitBlocked, errOut)
	}
	var doc struct {
		Target   struct{ Kind, Name, Digest string }
		Findings []struct {
			RuleID      string `json:"rule_id"`
			Kind        string
			Fingerprint string
			Location    struct {
				Path   string
				Line   int
				Object string
			}
		}
		Suppressed []struct {
			Finding struct {
				RuleID string `json:"rule_id"`
			}
		}
		Decision struct {
			Blocked  bool
			Reasons  []string
			Blockers []struct {
				Rule    string
				RedLine bool `json:"redline"`
			}
		}
		Warnings []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Target.Kind != "model" || doc.Target.Name != "shop@1.0" || !strings.HasPrefix(doc.Target.Digest, "sha256:") {
		t.Errorf("target %+v", doc.Target)
	}
	rules := map[string]bool{}
	for _, f := range doc.Findings {
		rules[f.RuleID] = true
		if f.Kind != "design" || f.Location.Line == 0 || f.Location.Object == "" {
			t.Errorf("finding %+v", f)
		}
	}
	if !rules["RL-NET-002"] || !rules["RL-MOD-006"] || rules["RL-HOST-005"] {
		t.Errorf("rules %v: want RL-NET-002 (red line), RL-MOD-006 (expired exception), not RL-HOST-005 (excepted)", rules)
	}
	if len(doc.Suppressed) != 1 || doc.Suppressed[0].Finding.RuleID != "RL-HOST-005" {
		t.Errorf("suppressed %+v", doc.Suppressed)
	}
	if !doc.Decision.Blocked || len(doc.Decision.Blockers) != 1 || !doc.Decision.Blockers[0].RedLine || doc.Decision.Blockers[0].Rule != "RL-NET-002" {
		t.Errorf("decision %+v", doc.Decision)
	}
	var expired bool
	for _, w := range doc.Warnings {
		expired = expired || strings.Contains(w.Message, "expired on 2020-01-31")
	}
	if !expired {
		t.Errorf("no warning for the expired exception: %+v", doc.Warnings)
	}
}

func TestModelCheckGate(t *testing.T) {
	// The 2026H1 baseline has no red line the shop model breaks but
	// RL-NET-002; a standard without it gates on --fail-on only.
	dir := t.TempDir()
	std := filepath.Join(dir, "std.yaml")
	if err := os.WriteFile(std, []byte(`apiVersion: redline.dev/v1
kind: Standard
metadata: {name: tiny, version: "1", effective: {from: 2026-01-01}}
rules: [RL-NET-002, RL-MOD-007]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "model", "check", shopModel, "--standard", std); code != ExitOK {
		t.Errorf("no red lines, no --fail-on: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := run(t, "model", "check", shopModel, "--standard", std, "--fail-on", "critical"); code != ExitBlocked {
		t.Errorf("--fail-on critical: exit %d", code)
	}
	// A changed standard under a published version is refused.
	lock := filepath.Join(dir, "standards.lock")
	if code, _, errOut := run(t, "standard", "publish", std, "--lock", lock); code != ExitOK {
		t.Fatalf("publish: exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(std)
	if err := os.WriteFile(std, []byte(strings.Replace(string(data), "RL-MOD-007]", "RL-MOD-007, RL-MOD-001]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "model", "check", shopModel, "--standard", std, "--standard-lock", lock)
	if code != ExitError || !strings.Contains(errOut, "changed without a new version") {
		t.Errorf("modified standard: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "standard", "publish", std, "--lock", lock); code != ExitBlocked || !strings.Contains(errOut, "new version") {
		t.Errorf("republish of changed content: exit %d: %s", code, errOut)
	}
}

func TestModelCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"model", "check", "testdata/design/missing.yaml"}, "missing.yaml"},
		{[]string{"model", "check", shopModel, "-f", "pdf"}, "unknown format"},
		{[]string{"model", "check", shopModel, "--standard", "nope@1"}, "no built-in standard"},
		{[]string{"model", "rules", "--layer", "firewall"}, "unknown layer"},
		{[]string{"model", "check", "testdata/design/corp-pinned.yaml"}, "pass its file with --standard"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != ExitError || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestModelRules(t *testing.T) {
	code, out, _ := run(t, "model", "rules")
	if code != ExitOK || !strings.Contains(out, "RL-TEN-001") || strings.Count(out, "\nRL-") < 45 {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, "model", "rules", "--standard", "redline-baseline@2026H2", "--json")
	var rules []struct {
		ID         string
		RedLine    bool `json:"red_line"`
		Rationale  string
		Mitigation string
		CWE        int
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &rules) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	red := 0
	for _, r := range rules {
		if r.RedLine {
			red++
		}
		if r.Rationale == "" || r.Mitigation == "" || r.CWE == 0 {
			t.Errorf("%s: incomplete entry", r.ID)
		}
	}
	if red != 6 {
		t.Errorf("%d red lines in the baseline", red)
	}
}

func TestStandardCommands(t *testing.T) {
	code, out, _ := run(t, "standard", "list")
	if code != ExitOK || !strings.Contains(out, "redline-baseline@2026H2") || !strings.Contains(out, "sha256:") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "standard", "show", "redline-baseline@2026H1")
	if code != ExitOK || !strings.Contains(out, "Red lines: RL-APP-008, RL-GW-002, RL-NET-002") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "standard", "diff", "redline-baseline@2026H1", "redline-baseline@2026H2", "--exit-code")
	if code != ExitBlocked || !strings.Contains(out, "Red lines added (3)") || !strings.Contains(out, "RL-NET-003: high → critical") {
		t.Errorf("diff: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "standard", "diff", "redline-baseline@2026H2", "redline-baseline@2026H2", "--exit-code")
	if code != ExitOK || !strings.Contains(out, "no changes") {
		t.Errorf("self diff: exit %d\n%s", code, out)
	}
}

func TestModelCheckReviewDocuments(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "review.md")
	if code, _, errOut := run(t, "model", "check", shopModel, "-f", "markdown", "-o", md); code != ExitBlocked {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	text, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "review.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "![Data-flow diagram](review.svg)") || !strings.HasPrefix(string(svg), "<svg") {
		t.Errorf("markdown does not link the diagram written beside it")
	}
	code, out, _ := run(t, "model", "check", shopModel, "-f", "html")
	if code != ExitBlocked || !strings.Contains(out, "<svg") || !strings.Contains(out, "BLOCKED") {
		t.Errorf("html: exit %d", code)
	}
}

func TestModelCheckDeterministic(t *testing.T) {
	for _, format := range []string{"json", "sarif", "html", "markdown"} {
		_, a, _ := run(t, "model", "check", shopModel, "-f", format)
		_, b, _ := run(t, "model", "check", shopModel, "-f", format)
		if a != b || a == "" {
			t.Errorf("%s: two runs differ", format)
		}
	}
}
