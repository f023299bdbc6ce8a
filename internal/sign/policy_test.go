package sign

import (
	"strings"
	"testing"
	"time"
)

func TestPolicy(t *testing.T) {
	vuln := readFixture(t, "raw/legacy-att/layer1-vuln.statement.json")
	finished := time.Date(2024, 1, 1, 0, 0, 5, 0, time.UTC)
	young := `timestamp(predicate.metadata.scanFinishedOn) > now - duration("168h")`
	for _, tc := range []struct {
		name, expr string
		now        time.Time
		wantErr    string // "" passes
	}{
		{"young, no results", young + ` && size(predicate.scanner.result.Results) == 0`, finished.Add(24 * time.Hour), ""},
		{"too old", young, finished.Add(8 * 24 * time.Hour), "is false"},
		{"predicate type", `predicateType == "https://cosign.sigstore.dev/attestation/vuln/v1"`, finished, ""},
		{"statement subject", `statement.subject[0].digest.sha256.startsWith("73ffdd")`, finished, ""},
		{"missing field", `predicate.nope == 1`, finished, "no such key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := CompilePolicy(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Eval(vuln, tc.now)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
	for _, bad := range []string{`predicate.`, `1 + 1`, strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100), strings.Repeat("a", MaxPolicyLen+1)} {
		if _, err := CompilePolicy(bad); err == nil {
			t.Errorf("%.40q compiled", bad)
		}
	}
}

func TestPredicateType(t *testing.T) {
	for in, want := range map[string]string{
		"vuln":                    "https://cosign.sigstore.dev/attestation/vuln/v1",
		"cyclonedx":               "https://cyclonedx.org/bom",
		"spdx":                    "https://spdx.dev/Document",
		"slsaprovenance":          "https://slsa.dev/provenance/v0.2",
		"openvex":                 "https://openvex.dev/ns",
		"https://example.com/p/1": "https://example.com/p/1",
	} {
		if got, err := PredicateType(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
	if _, err := PredicateType("nope"); err == nil {
		t.Error("unknown short type accepted")
	}
}
