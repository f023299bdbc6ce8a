package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	exampleApp = "../../examples/vulnerable-app"
	exampleOSV = "../../examples/osv"
)

// run executes the command line in-process and returns exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// runWant runs the command line and fails the test unless it exits with
// want; it returns stdout and stderr together.
func runWant(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != want {
		t.Fatalf("redline %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out + errOut
}

// serverStore opens a new SQLite store for a test server and returns it
// with the secret of its bootstrap admin token.
func serverStore(t *testing.T) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, err := st.BootstrapToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st, admin
}

// exampleDB builds the database of the bundled example once per test binary.
var exampleDB = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "redline-cli-test")
	if err != nil {
		return "", err
	}
	db := filepath.Join(dir, "vuln.db")
	var out, errOut bytes.Buffer
	if code := Execute(context.Background(), []string{"db", "import", "--db", db, exampleOSV}, nil, &out, &errOut); code != 0 {
		return "", fmt.Errorf("db import exited %d: %s", code, errOut.String())
	}
	return db, nil
})

func mustDB(t *testing.T) string {
	t.Helper()
	db, err := exampleDB()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

type jsonReport struct {
	SchemaVersion string `json:"schema_version"`
	Findings      []struct {
		RuleID   string   `json:"rule_id"`
		Aliases  []string `json:"aliases"`
		Severity string   `json:"severity"`
		Location struct {
			Path string `json:"path"`
			Line int    `json:"line"`
		} `json:"location"`
		Package struct {
			Name, Version, Ecosystem string
		} `json:"package"`
		Fix struct {
			FixedVersions []string `json:"fixed_versions"`
			Upgrade       string   `json:"upgrade"`
		} `json:"fix"`
	} `json:"findings"`
	Suppressed []struct{} `json:"suppressed"`
	Decision   struct {
		Blocked bool     `json:"blocked"`
		Reasons []string `json:"reasons"`
	} `json:"decision"`
	Warnings []struct {
		Level, Source, Message string
	} `json:"warnings"`
}

func decode(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("decode report: %v\n%s", err, s)
	}
	return r
}

// TestScanExample pins every finding on the bundled example: id, package,
// location, fixed versions and upgrade, on real OSV records.
func TestScanExample(t *testing.T) {
	db := mustDB(t)
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", exampleApp)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decode(t, out)
	if r.SchemaVersion != "1" {
		t.Errorf("schema_version = %q", r.SchemaVersion)
	}
	var lines []string
	for _, f := range r.Findings {
		lines = append(lines, fmt.Sprintf("%s %s %s@%s %s:%d %s fixed=%s upgrade=%s aliases=%s",
			f.Package.Ecosystem, f.RuleID, f.Package.Name, f.Package.Version, f.Location.Path, f.Location.Line,
			f.Severity, strings.Join(f.Fix.FixedVersions, ","), f.Fix.Upgrade, strings.Join(f.Aliases, ",")))
	}
	sort.Strings(lines)
	golden(t, "testdata/example-findings.golden", strings.Join(lines, "\n")+"\n")
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update after checking):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestScanDeterministic(t *testing.T) {
	db := mustDB(t)
	for _, format := range []string{"json", "sarif", "table"} {
		_, a, _ := run(t, "scan", "fs", "--db", db, "-f", format, exampleApp)
		_, b, _ := run(t, "scan", "fs", "--db", db, "-f", format, exampleApp)
		if a != b || a == "" {
			t.Errorf("%s: two scans differ or are empty", format)
		}
	}
}

func TestGate(t *testing.T) {
	db := mustDB(t)
	code, out, _ := run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "high", exampleApp)
	if code != ExitBlocked {
		t.Fatalf("--fail-on high: exit %d, want %d", code, ExitBlocked)
	}
	r := decode(t, out)
	if !r.Decision.Blocked || len(r.Decision.Reasons) == 0 {
		t.Errorf("decision = %+v", r.Decision)
	}

	// Excepting the two findings at or above high lets the build pass.
	dir := t.TempDir()
	ignore := filepath.Join(dir, "ignore.yaml")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	writeFile(t, ignore, fmt.Sprintf(`ignores:
  - id: RUSTSEC-2021-0003
    package: smallvec
    reason: only used with trusted input
    owner: alice@example.com
    expires: %s
  - id: CVE-2023-43804   # an alias of PYSEC-2023-192
    reason: redirects are disabled
    owner: bob@example.com
    expires: %s
`, tomorrow, tomorrow))
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "high", "--ignore-file", ignore, exampleApp)
	if code != ExitOK {
		t.Fatalf("with ignores: exit %d, want 0: %s", code, stderr)
	}
	if r := decode(t, out); len(r.Suppressed) != 2 || r.Decision.Blocked {
		t.Errorf("with ignores: %d suppressed, blocked=%v", len(r.Suppressed), r.Decision.Blocked)
	}

	// An expired exception no longer suppresses, and says so.
	writeFile(t, ignore, `ignores:
  - id: RUSTSEC-2021-0003
    reason: was fine last year
    owner: alice@example.com
    expires: 2020-01-01
`)
	code, out, _ = run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "critical", "--ignore-file", ignore, exampleApp)
	if code != ExitBlocked {
		t.Fatalf("expired ignore: exit %d, want %d", code, ExitBlocked)
	}
	r = decode(t, out)
	found := false
	for _, w := range r.Warnings {
		found = found || strings.Contains(w.Message, "expired")
	}
	if !found {
		t.Errorf("no expiry warning in %+v", r.Warnings)
	}
}

func TestDefaultIgnoreFileInScannedDir(t *testing.T) {
	db := mustDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "requirements.txt"), "urllib3==1.26.4\n")
	writeFile(t, filepath.Join(dir, ".redlineignore"), `ignores:
  - id: PYSEC-2023-192
    reason: test
    owner: ci
    expires: 2999-12-31
`)
	code, _, stderr := run(t, "scan", "fs", "--db", db, "--fail-on", "high", dir)
	if code != ExitOK {
		t.Errorf("exit %d, want 0 (the .redlineignore in the scanned dir applies): %s", code, stderr)
	}
}

func TestOutputFile(t *testing.T) {
	db := mustDB(t)
	out := filepath.Join(t.TempDir(), "report.sarif")
	code, stdout, stderr := run(t, "scan", "fs", "--db", db, "-f", "sarif", "-o", out, exampleApp)
	if code != ExitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Version != "2.1.0" || len(doc.Runs) != 1 || len(doc.Runs[0].Results) == 0 {
		t.Errorf("sarif file: version %q, %d runs, err %v", doc.Version, len(doc.Runs), err)
	}
}

func TestErrors(t *testing.T) {
	db := mustDB(t)
	missingDB := filepath.Join(t.TempDir(), "none.db")
	for _, c := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"missing path", []string{"scan", "fs", "--db", db, "/nonexistent/path"}, "no such file"},
		{"no path", []string{"scan", "fs", "--db", db}, "accepts 1 arg"},
		{"missing db", []string{"scan", "fs", "--db", missingDB, exampleApp}, "redline db update"},
		{"bad format", []string{"scan", "fs", "--db", db, "-f", "xml", exampleApp}, "unknown format"},
		{"bad fail-on", []string{"scan", "fs", "--db", db, "--fail-on", "severe", exampleApp}, "severe"},
		{"bad platform", []string{"scan", "fs", "--db", db, "--platform", "linux", exampleApp}, "os/arch"},
		{"missing ignore file", []string{"scan", "fs", "--db", db, "--ignore-file", "/nonexistent.yaml", exampleApp}, "nonexistent.yaml"},
		{"unknown flag", []string{"scan", "fs", "--bogus", exampleApp}, "unknown flag"},
		{"unknown command", []string{"scna"}, "unknown command"},
		{"quiet and debug", []string{"--quiet", "--debug", "version"}, "cannot be used together"},
		{"status without db", []string{"db", "status", "--db", missingDB}, "redline db update"},
		{"import nothing", []string{"db", "import", "--db", missingDB, "/nonexistent/osv"}, "nonexistent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, c.args...)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			if !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, c.stderr)
			}
		})
	}
}

func TestDBStatusAndVersion(t *testing.T) {
	db := mustDB(t)
	code, out, stderr := run(t, "db", "status", "--db", db, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var st struct {
		Ecosystems []struct {
			Name    string
			Records int
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range st.Ecosystems {
		got[e.Name] = e.Records
	}
	want := map[string]int{"Go": countJSON(t, "Go"), "PyPI": countJSON(t, "PyPI"), "crates.io": countJSON(t, "crates.io")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("status ecosystems = %v, want %v", got, want)
	}

	code, out, _ = run(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "redline ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	code, out, _ = run(t, "--help")
	if code != ExitOK || !strings.Contains(out, "Exit codes") {
		t.Errorf("help: exit %d", code)
	}
}

func countJSON(t *testing.T, eco string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(exampleOSV, eco, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
