package standard

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func TestBuiltin(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 1 {
		t.Fatal("no built-in standard")
	}
	found := false
	for _, s := range all {
		if s.Ref() == DefaultRef {
			found = true
			if len(s.ThreatRules()) < 45 {
				t.Errorf("%s runs %d rules", s.Ref(), len(s.ThreatRules()))
			}
			if !s.IsRedLine("RL-NET-002") {
				t.Error("RL-NET-002 is not a red line of the baseline")
			}
		}
	}
	if !found {
		t.Errorf("no built-in %s", DefaultRef)
	}
	s, err := Resolve(DefaultRef)
	if err != nil || s.Ref() != DefaultRef {
		t.Fatalf("Resolve: %v", err)
	}
	if _, err := Resolve("nope@1"); err == nil || !strings.Contains(err.Error(), DefaultRef) {
		t.Errorf("Resolve of an unknown standard: %v", err)
	}
}

func TestParse(t *testing.T) {
	s, err := Load("testdata/corp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Ref() != "corp-baseline@2026H1" || s.Params.MaxPatchSLADays != 14 {
		t.Errorf("ref %s params %+v", s.Ref(), s.Params)
	}
	rules := s.ThreatRules()
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
		switch r.ID {
		case "RL-GW-003":
			if r.Severity != finding.SeverityHigh {
				t.Errorf("severity override not applied: %s", r.Severity)
			}
		case "CORP-GW-001", "RL-NET-002":
			if !r.RedLine {
				t.Errorf("%s is not a red line", r.ID)
			}
		}
	}
	if got := strings.Join(ids, ","); got != "CORP-GW-001,RL-APP-002,RL-GW-003,RL-NET-002" {
		t.Errorf("rules %s", got)
	}
	if !s.InForce(time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC)) || s.InForce(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) ||
		s.InForce(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Error("InForce does not follow the effective dates")
	}
	w := s.Applicability("corp-baseline@2026H2", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if len(w) != 2 {
		t.Errorf("applicability warnings: %q", w)
	}
}

func TestCanonicalHash(t *testing.T) {
	a, err := Load("testdata/corp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load("testdata/corp-reordered.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Errorf("same content, different hashes:\n%s\n%s", a.Canonical(), b.Canonical())
	}
	data, _ := os.ReadFile("testdata/corp.yaml")
	changed := strings.Replace(string(data), "{RL-GW-003: high}", "{RL-GW-003: critical}", 1)
	c, err := Parse("changed.yaml", []byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() == a.Hash() {
		t.Error("a severity change kept the hash")
	}
}

func TestLock(t *testing.T) {
	a, _ := Load("testdata/corp.yaml")
	l := &Lock{}
	if err := l.Verify(a); !errors.Is(err, ErrUnpublished) {
		t.Errorf("verify before publish: %v", err)
	}
	if err := l.Publish(a); err != nil {
		t.Fatal(err)
	}
	if err := l.Publish(a); err != nil {
		t.Errorf("republishing the same content: %v", err)
	}
	data, _ := os.ReadFile("testdata/corp.yaml")
	changed, err := Parse("changed.yaml", []byte(strings.Replace(string(data), "maxPatchSlaDays: 14", "maxPatchSlaDays: 60", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(changed); !errors.Is(err, ErrModified) {
		t.Errorf("modified content verified: %v", err)
	}
	if err := l.Publish(changed); !errors.Is(err, ErrModified) {
		t.Errorf("modified content published: %v", err)
	}
	back, err := ParseLock("lock", l.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(a); err != nil {
		t.Errorf("round trip: %v", err)
	}
	for _, bad := range []string{
		"apiVersion: redline.dev/v1\nkind: StandardLock\npublished: {x: sha256:00}\n",
		"apiVersion: redline.dev/v1\nkind: StandardLock\nextra: 1\n",
		"apiVersion: v0\nkind: StandardLock\n",
	} {
		if _, err := ParseLock("lock", []byte(bad)); err == nil {
			t.Errorf("ParseLock(%q): want error", bad)
		}
	}
}

// The built-in standards may only change by a new version: this test fails
// when a shipped file changes without its lock entry changing too.
func TestBuiltinLocked(t *testing.T) {
	lockData, _ := builtinFS.ReadFile("builtin/standards.lock")
	lock, err := ParseLock("lock", lockData)
	if err != nil {
		t.Fatal(err)
	}
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(lock.Published) {
		t.Errorf("%d built-in standards, %d lock entries", len(all), len(lock.Published))
	}
}

func TestParseErrors(t *testing.T) {
	valid, _ := os.ReadFile("testdata/corp.yaml")
	for _, tc := range []struct{ name, data, want string }{
		{"unknown key", strings.Replace(string(valid), "severity:", "severty:", 1), "x.yaml:9: field severty not found"},
		{"unknown rule", strings.Replace(string(valid), "RL-APP-002]", "RL-APP-999]", 1), "unknown built-in rule \"RL-APP-999\""},
		{"red line not enabled", strings.Replace(string(valid), "redLines: [RL-NET-002", "redLines: [RL-HOST-001", 1), "RL-HOST-001 is not an enabled"},
		{"bad severity", strings.Replace(string(valid), "{RL-GW-003: high}", "{RL-GW-003: severe}", 1), "want low, medium, high or critical"},
		{"bad date", strings.Replace(string(valid), "until: 2026-06-30", "until: 2025-06-30", 1), "is before from"},
		{"bad layer", strings.Replace(string(valid), "layer: gateway", "layer: firewall", 1), "x.yaml:13: customRules[0] CORP-GW-001: unknown layer"},
		{"duplicate custom", strings.Replace(string(valid), "id: CORP-GW-001", "id: RL-NET-002", 1), "is a built-in rule"},
		{"api version", strings.Replace(string(valid), "redline.dev/v1", "redline.dev/v2", 1), "apiVersion"},
		{"two documents", string(valid) + "---\na: 1\n", "one YAML document"},
		{"empty", "", "empty standard"},
		{"not yaml", "\t:", "x.yaml"},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "x.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := Parse("big.yaml", make([]byte, MaxFileSize+1)); err == nil {
		t.Error("oversized standard accepted")
	}
}

func TestCELErrorLine(t *testing.T) {
	_, err := Load("testdata/bad-cel.yaml")
	if err == nil || !strings.Contains(err.Error(), "testdata/bad-cel.yaml:19: customRules[0] CORP-GW-001: CEL:") ||
		!strings.Contains(err.Error(), "wafs") {
		t.Errorf("err = %v", err)
	}
}

func TestCompare(t *testing.T) {
	h1, err := Resolve("redline-baseline@2026H1")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := Resolve("redline-baseline@2026H2")
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(h1, h2)
	has := func(list []string, id string) bool {
		for _, x := range list {
			if x == id {
				return true
			}
		}
		return false
	}
	if !has(d.Added, "RL-TEN-008") || !has(d.Added, "BASE-LOG-001") || len(d.Removed) != 0 {
		t.Errorf("added %v removed %v", d.Added, d.Removed)
	}
	if !has(d.RedLinesAdded, "RL-TEN-001") || len(d.RedLinesRemoved) != 0 {
		t.Errorf("red lines +%v -%v", d.RedLinesAdded, d.RedLinesRemoved)
	}
	var sev []string
	for _, c := range d.Severity {
		sev = append(sev, c.Rule+":"+c.From.String()+">"+c.To.String())
	}
	if got := strings.Join(sev, " "); got != "RL-APP-009:medium>high RL-HOST-005:medium>low RL-NET-003:high>critical" {
		t.Errorf("severity changes: %s", got)
	}
	if len(d.Parameters) != 1 || len(d.Effective) != 1 {
		t.Errorf("parameters %v effective %v", d.Parameters, d.Effective)
	}
	if !Compare(h2, h2).Empty() {
		t.Error("a standard differs from itself")
	}
	back := Compare(h2, h1)
	if !has(back.Removed, "RL-TEN-008") || !has(back.RedLinesRemoved, "RL-TEN-001") {
		t.Errorf("reverse diff: %+v", back)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/corp.yaml", "testdata/corp-reordered.yaml", "testdata/bad-cel.yaml", "testdata/corp-checklist.yaml",
		"builtin/redline-baseline@2026H2.yaml", "default-checklist.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		// A standard that loads has a stable canonical form, and its
		// canonical content loads as the same standard.
		h := s.Hash()
		if again := s.Hash(); again != h || len(s.Canonical()) == 0 {
			t.Fatal("unstable hash")
		}
		// Every standard has a checklist: its own, or the default one.
		if len(s.ChecklistItems()) == 0 || (s.Checklist != nil && len(s.ChecklistItems()) != len(s.Checklist)) {
			t.Fatalf("%d checklist items for %d declared", len(s.ChecklistItems()), len(s.Checklist))
		}
		if len(s.ThreatRules()) != len(s.Rules)+len(s.Custom) {
			t.Fatalf("%d rules compiled for %d enabled and %d custom", len(s.ThreatRules()), len(s.Rules), len(s.Custom))
		}
	})
}

func FuzzParseLock(f *testing.F) {
	data, _ := builtinFS.ReadFile("builtin/standards.lock")
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLock("fuzz.lock", data)
		if err != nil {
			return
		}
		if _, err := ParseLock("again", l.Marshal()); err != nil {
			t.Fatalf("marshalled lock does not parse: %v", err)
		}
	})
}
