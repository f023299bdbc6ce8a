package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
)

const exampleModel = "../../examples/design/saas/model.yaml"

func TestModelInitValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "model.yaml")
	if code, _, stderr := run(t, "model", "init", "--tenancy", "multi", "--product", "billing", "-o", file); code != ExitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "model", "init", "-o", file); code != ExitError || !strings.Contains(stderr, "use --force") {
		t.Errorf("init over an existing file: exit %d: %s", code, stderr)
	}
	code, out, stderr := run(t, "model", "validate", file, exampleModel)
	if code != ExitOK || strings.Count(out, ": valid (") != 2 {
		t.Fatalf("validate: exit %d: %s %s", code, out, stderr)
	}

	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	broken := strings.Replace(string(text), "protocol: grpc", "protocol: grcp", 1)
	broken = strings.Replace(broken, "    zone: app\n", "    zone: appp\n", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "model", "validate", bad, file)
	if code != ExitBlocked {
		t.Fatalf("invalid model: exit %d, want 1: %s", code, out)
	}
	for _, want := range []string{
		bad + ":", `unknown value "grcp"`, `did you mean "grpc"?`, `zone "appp" is not defined; did you mean "app"?`,
		bad + ": invalid (2 problems)", file + ": valid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}

	code, out, _ = run(t, "model", "validate", "-f", "json", bad)
	var results []validateResult
	if err := json.Unmarshal([]byte(out), &results); err != nil || code != ExitBlocked {
		t.Fatalf("json: exit %d, %v: %s", code, err, out)
	}
	if len(results) != 1 || results[0].Valid || len(results[0].Errors) != 2 || results[0].Errors[0].Line == 0 {
		t.Errorf("json results %+v", results)
	}

	if code, _, stderr := run(t, "model", "validate", filepath.Join(dir, "missing.yaml")); code != ExitError || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing file: exit %d: %s", code, stderr)
	}
	if code, _, _ := run(t, "model", "validate"); code != ExitError {
		t.Errorf("no args: exit %d", code)
	}
}

func TestModelSchema(t *testing.T) {
	code, out, _ := run(t, "model", "schema")
	if code != ExitOK || out != string(model.Schema()) {
		t.Fatalf("schema: exit %d", code)
	}
}

func TestModelDiff(t *testing.T) {
	old, new := "../design/model/testdata/diff/old.yaml", "../design/model/testdata/diff/new.yaml"
	code, out, stderr := run(t, "model", "diff", old, new)
	if code != ExitOK || !strings.Contains(out, "controls.gateway.waf: true -> false") {
		t.Fatalf("diff: exit %d: %s %s", code, out, stderr)
	}
	if code, _, _ := run(t, "model", "diff", "--exit-code", old, new); code != ExitBlocked {
		t.Errorf("--exit-code with changes: exit %d", code)
	}
	if code, _, _ := run(t, "model", "diff", "--exit-code", new, new); code != ExitOK {
		t.Errorf("--exit-code without changes: exit %d", code)
	}
	code, out, _ = run(t, "model", "diff", "-f", "json", old, new)
	var rep struct {
		Architecture model.Diff `json:"architecture"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitOK || rep.Architecture.Summary.Added != 4 {
		t.Fatalf("json diff: exit %d, %v, %+v", code, err, rep.Architecture.Summary)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("kind: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "model", "diff", bad, new); code != ExitError || !strings.Contains(stderr, "bad.yaml:1:1") {
		t.Errorf("invalid model: exit %d: %s", code, stderr)
	}
}

func TestModelImportThreagile(t *testing.T) {
	src := "../../examples/design/threagile/threagile.yaml"
	if code, _, stderr := run(t, "model", "import", "--from", "threagile", src); code != ExitError || !strings.Contains(stderr, "--exception-expiry") {
		t.Errorf("without an expiry: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "model", "import", "--from", "pytm", "--exception-expiry", "2027-06-30", src); code != ExitError || !strings.Contains(stderr, "only supported source is threagile") {
		t.Errorf("--from pytm: exit %d: %s", code, stderr)
	}
	if code, _, _ := run(t, "model", "import", "--from", "threagile", "--exception-expiry", "30.6.2027", src); code != ExitError {
		t.Errorf("bad date: exit %d", code)
	}
	out := filepath.Join(t.TempDir(), "model.yaml")
	code, _, stderr := run(t, "model", "import", "--from", "threagile", "--exception-expiry", "2027-06-30", "--release", "2026.06", "-o", out, src)
	if code != ExitOK {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := run(t, "model", "validate", out); code != ExitOK {
		t.Fatalf("imported model: exit %d: %s", code, stdout)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Imported from the Threagile model threagile.yaml",
		`release: "2026.06"`,
		// ldap-injection is RL-APP-010's, on the link the id names.
		"rule: RL-APP-010\n    element: back-office.staff-login",
		"rule: RL-NET-003\n    element: load-balancer.web-forward",
		"expires: 2027-06-30",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("imported model lacks %q", want)
		}
	}
	// Tentative exceptions (missing-waf@*) survive only where the rule
	// fires: never on the database.
	for _, unneeded := range []string{"rule: RL-APP-001\n    element: shop-db", "rule: RL-APP-010\n    element: staff-directory"} {
		if strings.Contains(string(text), unneeded) {
			t.Errorf("an exception the rules never need was kept: %q", unneeded)
		}
	}
}
