package policy

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func mustPolicy(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := ParsePolicy("redline-policy.yaml", []byte("apiVersion: redline.dev/v1\n"+src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGatePolicy(t *testing.T) {
	example, err := LoadPolicy(filepath.Join("testdata", "example-policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fixed := testFindings()
	for i := range fixed {
		if fixed[i].Package != nil && fixed[i].Package.Name == "golang.org/x/net" {
			fixed[i].Fix = &finding.Fix{FixedVersions: []string{"0.0.0-20220906165146-f3363e06e74c"}}
		}
	}
	redLineVEX := VEXStatement{Vulnerability: "CVE-2021-25900", Status: VEXNotAffected, Justification: "component_not_present",
		Products: []VEXProduct{{ID: "pkg:cargo/smallvec"}}, File: "v.json", Index: 2}
	withPURLs := testFindings()
	for i := range withPURLs {
		if withPURLs[i].RuleID == "RUSTSEC-2021-0003" {
			withPURLs[i] = withPURL(withPURLs[i], "pkg:cargo/smallvec@0.6.9")
		}
	}
	tests := []struct {
		name       string
		gate       Gate
		findings   []finding.Finding
		now        time.Time
		blockers   []string // "rule|finding"
		suppressed []string
		vex        []string
		warned     []string
		reasons    []string
		warnings   []string
	}{
		{
			name:     "example policy: red line beats a live exception, threshold per kind, expired exception warns",
			gate:     Gate{Policy: example},
			findings: fixed,
			now:      time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
			blockers: []string{
				"threshold critical|RUSTSEC-2021-0003 smallvec Cargo.lock",
				"fixable-high|GO-2022-0969 golang.org/x/net go.mod",
				"fixable-high|GO-2022-0969 golang.org/x/net services/api/go.mod",
				"no-aws-keys|aws-access-key testdata/fixtures/prod.env",
			},
			reasons: []string{
				"red line no-aws-keys (AWS keys never ship) blocked 1 finding: aws-access-key",
				"rule fixable-high (High and critical vulnerabilities that have a fix must be fixed) blocked 2 findings: GO-2022-0969",
				"vulnerability threshold critical blocked 1 finding: RUSTSEC-2021-0003",
			},
			warnings: []string{
				"ignore of RUSTSEC-2021-0003 (owner bob@example.com) expired on 2026-01-31; it no longer suppresses (testdata/example-policy.yaml:30)",
				"ignore of aws-access-key (owner security@example.com, testdata/example-policy.yaml:25) does not apply to aws-access-key at testdata/fixtures/prod.env:3: red line no-aws-keys cannot be excepted",
			},
		},
		{
			name: "warn rules warn, CEL errors fail closed",
			gate: Gate{Policy: mustPolicy(t, `rules:
- id: cwe
  description: needs a cwe
  expression: '"CWE-79" in f.mappings["cwe"]'
- id: any-secret
  description: look at secrets
  expression: f.kind == "secret"
  action: warn
thresholds: {default: none}
`)},
			findings: testFindings()[5:],
			blockers: []string{
				"cwe|aws-access-key testdata/fixtures/prod.env",
				"cwe|DS001 Dockerfile",
			},
			warned:  []string{"any-secret|aws-access-key testdata/fixtures/prod.env"},
			reasons: []string{"rule cwe (needs a cwe) blocked 2 findings: aws-access-key, DS001"},
			warnings: []string{
				"rule cwe (needs a cwe) could not be evaluated on aws-access-key at testdata/fixtures/prod.env:3, so it counts as matching: rule cwe: no such key: cwe",
				"rule any-secret (look at secrets) matched aws-access-key at testdata/fixtures/prod.env:3",
				"rule cwe (needs a cwe) could not be evaluated on DS001 at Dockerfile:1, so it counts as matching: rule cwe: no such key: cwe",
			},
		},
		{
			name: "an exception suppresses what only a block rule matches",
			gate: Gate{Policy: mustPolicy(t, `rules:
- {id: crit, description: no criticals, expression: f.severity == CRITICAL}
thresholds: {default: none}
exceptions:
- {id: CVE-2021-25900, reason: r, owner: o, expires: 2027-01-01}
`)},
			findings:   testFindings(),
			suppressed: []string{"RUSTSEC-2021-0003 smallvec Cargo.lock"},
			reasons:    []string{"no policy rule or threshold blocked (6 findings kept)"},
		},
		{
			name: "a red line ignores VEX too",
			gate: Gate{Policy: mustPolicy(t, `rules:
- {id: crit, description: no criticals, expression: f.severity == CRITICAL, redline: true}
thresholds: {default: none}
`), VEX: []VEXStatement{redLineVEX}},
			findings: withPURLs,
			blockers: []string{"crit|RUSTSEC-2021-0003 smallvec Cargo.lock"},
			reasons:  []string{"red line crit (no criticals) blocked 1 finding: RUSTSEC-2021-0003"},
			warnings: []string{"VEX not_affected (component_not_present) [v.json: statements[2]] does not apply to RUSTSEC-2021-0003 in smallvec@0.6.9 at Cargo.lock: red line crit cannot be excepted"},
		},
		{
			name: "without the red line the VEX statement suppresses",
			gate: Gate{Policy: mustPolicy(t, `rules:
- {id: crit, description: no criticals, expression: f.severity == CRITICAL}
thresholds: {default: none}
`), VEX: []VEXStatement{redLineVEX}},
			findings: withPURLs,
			vex:      []string{"RUSTSEC-2021-0003 smallvec Cargo.lock"},
			reasons:  []string{"no policy rule or threshold blocked (6 findings kept)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			}
			tt.gate.Now = func() time.Time { return now }
			d := tt.gate.Evaluate(tt.findings)
			var blockers, warned, supp, vex []string
			for _, m := range d.Blockers {
				id := m.RuleID
				if id == "" {
					id = "threshold " + m.Threshold.String()
				}
				blockers = append(blockers, id+"|"+where(&m.Finding))
			}
			for _, m := range d.Warned {
				warned = append(warned, m.RuleID+"|"+where(&m.Finding))
			}
			for _, s := range d.Suppressed {
				supp = append(supp, where(&s.Finding))
			}
			for _, s := range d.VEXSuppressed {
				vex = append(vex, where(&s.Finding))
			}
			check := func(what string, got, want []string) {
				t.Helper()
				if len(got) == 0 && len(want) == 0 {
					return
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\n got %q\nwant %q", what, got, want)
				}
			}
			check("blockers", blockers, tt.blockers)
			check("warned", warned, tt.warned)
			check("suppressed", supp, tt.suppressed)
			check("vex", vex, tt.vex)
			check("reasons", d.Reasons, tt.reasons)
			check("warnings", d.Warnings, tt.warnings)
			if d.Blocked != (len(tt.blockers) > 0) || d.ExitCode() != map[bool]int{true: ExitBlocked, false: ExitPass}[d.Blocked] {
				t.Errorf("blocked = %v, exit %d", d.Blocked, d.ExitCode())
			}
			if len(d.Blocking) != len(d.Blockers) {
				t.Errorf("%d blocking fingerprints, %d blockers", len(d.Blocking), len(d.Blockers))
			}
			for i := range d.Blockers {
				if d.Blocking[i] != d.Blockers[i].Fingerprint || !strings.Contains(d.Blockers[i].Reason, d.Blockers[i].Finding.RuleID) {
					t.Errorf("blocker %d: %+v", i, d.Blockers[i])
				}
			}
		})
	}
}

func BenchmarkEvaluatePolicy(b *testing.B) {
	p, err := LoadPolicy(filepath.Join("testdata", "example-policy.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	base := testFindings()
	fs := make([]finding.Finding, 0, 1000*len(base))
	for i := 0; i < 1000; i++ {
		fs = append(fs, base...)
	}
	g := Gate{Policy: p, Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	b.ReportAllocs()
	for b.Loop() {
		g.Evaluate(fs)
	}
}
