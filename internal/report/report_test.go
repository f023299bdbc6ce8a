package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func render(t testing.TB, format string, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, r); err != nil {
		t.Fatalf("Write %s: %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, fixture())
			golden := filepath.Join("testdata", "report."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (run go test -update after checking the change):\n%s", format, golden, got)
			}
		})
	}
}

// shuffled returns the fixture with every list a writer sorts in a new order.
func shuffled(seed uint64) *Report {
	r := fixture()
	rng := rand.New(rand.NewPCG(seed, seed))
	rng.Shuffle(len(r.Findings), func(i, j int) { r.Findings[i], r.Findings[j] = r.Findings[j], r.Findings[i] })
	rng.Shuffle(len(r.Packages), func(i, j int) { r.Packages[i], r.Packages[j] = r.Packages[j], r.Packages[i] })
	rng.Shuffle(len(r.Warnings), func(i, j int) { r.Warnings[i], r.Warnings[j] = r.Warnings[j], r.Warnings[i] })
	rng.Shuffle(len(r.Gate.Blocking), func(i, j int) {
		r.Gate.Blocking[i], r.Gate.Blocking[j] = r.Gate.Blocking[j], r.Gate.Blocking[i]
	})
	rng.Shuffle(len(r.Database.Ecosystems), func(i, j int) {
		r.Database.Ecosystems[i], r.Database.Ecosystems[j] = r.Database.Ecosystems[j], r.Database.Ecosystems[i]
	})
	return r
}

func TestDeterministic(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			want := render(t, format, fixture())
			if again := render(t, format, fixture()); !bytes.Equal(again, want) {
				t.Fatal("two writes of the same report differ")
			}
			for seed := range uint64(20) {
				if got := render(t, format, shuffled(seed)); !bytes.Equal(got, want) {
					t.Fatalf("shuffled input (seed %d) changed the output:\n%s", seed, got)
				}
			}
		})
	}
}

func TestWriteDoesNotModifyReport(t *testing.T) {
	r := shuffled(7)
	before := fmt.Sprintf("%+v", *r)
	for _, format := range Formats() {
		render(t, format, r)
	}
	if after := fmt.Sprintf("%+v", *r); after != before {
		t.Error("Write modified the report")
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", fixture())
	want := `unknown report format "xml" (want table, json, sarif)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteError(t *testing.T) {
	for _, format := range Formats() {
		err := Write(failWriter{}, format, fixture())
		if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.HasPrefix(err.Error(), "write "+format) {
			t.Errorf("%s: got %v", format, err)
		}
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	for _, format := range Formats() {
		out := string(render(t, format, fixture()))
		if strings.Contains(out, rawSecret) {
			t.Errorf("%s output contains the raw secret", format)
		}
		if !strings.Contains(out, "AKIA************MPLE") {
			t.Errorf("%s output lacks the redacted evidence", format)
		}
	}
}

func TestEmptyReport(t *testing.T) {
	for _, format := range Formats() {
		if out := render(t, format, nil); len(out) == 0 {
			t.Errorf("%s: no output for an empty report", format)
		}
	}
	want := `{
  "schema_version": "1",
  "tool": {
    "name": "",
    "version": ""
  },
  "target": {
    "kind": "",
    "name": ""
  },
  "summary": {
    "packages": 0,
    "vulnerable_packages": 0,
    "findings": 0,
    "suppressed": 0,
    "by_severity": {
      "critical": 0,
      "high": 0,
      "medium": 0,
      "low": 0,
      "unknown": 0
    }
  },
  "packages": [],
  "findings": [],
  "suppressed": [],
  "warnings": []
}
`
	if got := string(render(t, FormatJSON, &Report{})); got != want {
		t.Errorf("empty JSON report:\n%s", got)
	}
	wantTable := "Target: \n\n0 packages scanned, 0 vulnerable; 0 findings (critical 0, high 0, medium 0, low 0, unknown 0); 0 suppressed\n"
	if got := string(render(t, FormatTable, &Report{})); got != wantTable {
		t.Errorf("empty table:\n%q", got)
	}
}

// TestJSONFields pins the top-level keys and the keys of each nested object
// that docs/output.md describes, so that a change to the schema shows up here.
func TestJSONFields(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(render(t, FormatJSON, fixture()), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v is not an object", v)
		}
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	first := func(v any) any { return v.([]any)[0] }
	tests := []struct {
		what string
		obj  any
		want []string
	}{
		{"top level", doc, []string{"database", "decision", "findings", "packages", "schema_version", "summary", "suppressed", "target", "tool", "warnings"}},
		{"tool", doc["tool"], []string{"commit", "name", "version"}},
		{"database", doc["database"], []string{"built", "ecosystems"}},
		{"decision", doc["decision"], []string{"blocked", "blocking", "fail_on", "reasons"}},
		{"summary", doc["summary"], []string{"by_severity", "findings", "packages", "suppressed", "vulnerable_packages"}},
		{"package", first(doc["packages"]), []string{"catalogers", "ecosystem", "locations", "name", "purl", "version"}},
		{"finding", first(doc["findings"]), []string{"aliases", "cvss", "fingerprint", "fix", "kind", "location", "package", "references", "rule_id", "severity", "target", "title"}},
		{"suppressed", first(doc["suppressed"]), []string{"finding", "ignore"}},
		{"ignore", first(doc["suppressed"]).(map[string]any)["ignore"], []string{"expires", "file", "id", "line", "owner", "path", "reason"}},
		{"warning", first(doc["warnings"]), []string{"level", "message", "path", "source"}},
	}
	for _, tt := range tests {
		if got := keys(tt.obj); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s keys:\n got %q\nwant %q", tt.what, got, tt.want)
		}
	}
	if doc["schema_version"] != SchemaVersion {
		t.Errorf("schema_version %v", doc["schema_version"])
	}
}

func TestTableCleansTerminalEscapes(t *testing.T) {
	f := finding.Finding{
		Kind: finding.KindMisconfiguration, RuleID: "X1", Severity: finding.SeverityLow,
		Title:    "evil \x1b]0;pwned\x07title\u202e",
		Location: finding.Location{Path: "a\nb\x1b[2J.yaml"},
	}
	r := &Report{Findings: []finding.Finding{f}, Packages: []inventory.Package{{Name: "p\x1b[31m", Version: "1"}}}
	out := string(render(t, FormatTable, r))
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("table passes control characters through:\n%q", out)
	}
	if !strings.Contains(out, "low       X1    a b?[2J.yaml  evil ?]0;pwned?title?") {
		t.Errorf("unexpected cleaning:\n%s", out)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\there", "tab here"},
		{"\x1b[31mred", "?[31mred"},
		{"bad \xff utf8", "bad ? utf8"},
		{"rtl \u202e override", "rtl ? override"},
		{"日本語", "日本語"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", maxTitle+5)
	if got := short(long); len([]rune(got)) != maxTitle || !strings.HasSuffix(got, "…") {
		t.Errorf("short cut to %d runes: %q", len([]rune(got)), got)
	}
}

func TestGroupByPackageOrder(t *testing.T) {
	r := normalize(fixture())
	groups, other := groupByPackage(r.Findings)
	var got []string
	for _, g := range groups {
		got = append(got, fmt.Sprintf("%s %s %d %q", g.pkg.Name, g.worst(), len(g.findings), g.upgrade()))
	}
	want := []string{
		`smallvec critical 3 "0.6.14"`,
		`urllib3 high 2 "1.26.18"`,
		`portaudio medium 1 ""`,
		`time medium 1 "0.2.23"`,
		`golang.org/x/net unknown 3 "v0.23.0"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups:\n got %q\nwant %q", got, want)
	}
	var rules []string
	for _, f := range other {
		rules = append(rules, f.RuleID)
	}
	if want := []string{"aws-access-key", "DS002", "DS026"}; !slices.Equal(rules, want) {
		t.Errorf("other findings %q, want %q", rules, want)
	}
}

func BenchmarkWrite(b *testing.B) {
	// 5,000 findings over 1,000 packages.
	base := fixture()
	r := &Report{Tool: base.Tool, Target: base.Target, Database: base.Database, Gate: base.Gate}
	for i := range 5000 {
		f := base.Findings[i%len(base.Findings)]
		if f.Package != nil {
			p := *f.Package
			p.Name = fmt.Sprintf("%s-%d", p.Name, i%1000)
			f.Package = &p
		}
		f.Location.Path = fmt.Sprintf("svc%d/%s", i%50, f.Location.Path)
		f.SetFingerprint()
		r.Findings = append(r.Findings, f)
	}
	for i := range 1000 {
		p := base.Packages[i%len(base.Packages)]
		p.Name = fmt.Sprintf("%s-%d", p.Name, i)
		r.Packages = append(r.Packages, p)
	}
	for _, format := range Formats() {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := Write(&buf, format, r); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}
