package finding

import (
	"encoding/json"
	"testing"
)

func TestFingerprintStableAndDistinct(t *testing.T) {
	base := Finding{
		Kind:     KindVulnerability,
		RuleID:   "GO-2022-0969",
		Target:   Target{Kind: "filesystem", Name: "app"},
		Location: Location{Path: "go.mod", Line: 7},
		Package:  &Package{Name: "golang.org/x/net", Version: "v0.0.1", Ecosystem: "Go"},
	}
	fp := base.ComputeFingerprint()
	if len(fp) != 32 {
		t.Fatalf("fingerprint %q: want 32 hex chars", fp)
	}

	same := base
	same.Location.Line = 9                                                                // lines move when files are edited
	same.Package = &Package{Name: "golang.org/x/net", Version: "v0.0.2", Ecosystem: "Go"} // upgrade that did not fix it
	same.Title = "changed"
	if got := same.ComputeFingerprint(); got != fp {
		t.Errorf("fingerprint changed with line/version/title: %s != %s", got, fp)
	}

	for name, mutate := range map[string]func(*Finding){
		"rule":    func(f *Finding) { f.RuleID = "GO-2022-0970" },
		"kind":    func(f *Finding) { f.Kind = KindSecret },
		"target":  func(f *Finding) { f.Target.Name = "other" },
		"path":    func(f *Finding) { f.Location.Path = "sub/go.mod" },
		"package": func(f *Finding) { f.Package = &Package{Name: "golang.org/x/text", Ecosystem: "Go"} },
		"no-pkg":  func(f *Finding) { f.Package = nil },
		"object":  func(f *Finding) { f.Location.Object = "Deployment/prod/web/containers/app" },
	} {
		f := base
		mutate(&f)
		if f.ComputeFingerprint() == fp {
			t.Errorf("%s: fingerprint did not change", name)
		}
	}

	// Length prefixes keep part boundaries apart.
	a := Finding{Kind: "ab", RuleID: "c"}
	b := Finding{Kind: "a", RuleID: "bc"}
	if a.ComputeFingerprint() == b.ComputeFingerprint() {
		t.Error("part boundaries collide")
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]Severity{
		"CRITICAL": SeverityCritical, "high": SeverityHigh, "MODERATE": SeverityMedium,
		"medium": SeverityMedium, "Low": SeverityLow, "": SeverityUnknown, "none": SeverityUnknown,
	} {
		got, err := ParseSeverity(in)
		if err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe): want error")
	}
	if !(SeverityCritical > SeverityHigh && SeverityHigh > SeverityMedium && SeverityMedium > SeverityLow && SeverityLow > SeverityUnknown) {
		t.Error("severities are not ordered")
	}
	for score, want := range map[float64]Severity{0: SeverityUnknown, 0.1: SeverityLow, 3.9: SeverityLow, 4.0: SeverityMedium, 6.9: SeverityMedium, 7.0: SeverityHigh, 8.9: SeverityHigh, 9.0: SeverityCritical, 10: SeverityCritical} {
		if got := SeverityFromScore(score); got != want {
			t.Errorf("SeverityFromScore(%v) = %v, want %v", score, got, want)
		}
	}
	b, err := json.Marshal(struct{ S Severity }{SeverityHigh})
	if err != nil || string(b) != `{"S":"high"}` {
		t.Errorf("marshal: %s %v", b, err)
	}
	var v struct{ S Severity }
	if err := json.Unmarshal([]byte(`{"S":"critical"}`), &v); err != nil || v.S != SeverityCritical {
		t.Errorf("unmarshal: %v %v", v.S, err)
	}
	if err := json.Unmarshal([]byte(`{"S":"bogus"}`), &v); err == nil {
		t.Error("unmarshal bogus: want error")
	}
}

func TestLess(t *testing.T) {
	hi := &Finding{Severity: SeverityHigh, RuleID: "B"}
	lo := &Finding{Severity: SeverityLow, RuleID: "A"}
	if !Less(hi, lo) || Less(lo, hi) {
		t.Error("higher severity must sort first")
	}
	a := &Finding{Severity: SeverityHigh, RuleID: "A"}
	if !Less(a, hi) {
		t.Error("same severity sorts by rule id")
	}
}

// The fingerprint is stored by the server and compared across versions of
// Redline: it must never change for the same finding.
func TestFingerprintPinned(t *testing.T) {
	f := Finding{
		Kind: KindVulnerability, RuleID: "GO-2022-0969",
		Target:   Target{Kind: "filesystem", Name: "app"},
		Location: Location{Path: "go.mod"},
		Package:  &Package{Name: "golang.org/x/net", Ecosystem: "Go"},
	}
	if got, want := f.ComputeFingerprint(), "52e912dfe2c6d454c2c00b72c91a763d"; got != want {
		t.Errorf("fingerprint = %s, want %s", got, want)
	}
}

func TestCollector(t *testing.T) {
	var c Collector
	done := make(chan bool)
	for i := range 4 {
		go func() {
			c.Add(Finding{RuleID: string(rune('a' + i)), Severity: Severity(i % 3)})
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	got := c.Findings()
	if len(got) != 4 {
		t.Fatalf("%d findings", len(got))
	}
	for i := 1; i < len(got); i++ {
		if Compare(&got[i-1], &got[i]) > 0 {
			t.Errorf("not sorted: %v before %v", got[i-1].RuleID, got[i].RuleID)
		}
	}
}
