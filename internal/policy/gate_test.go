package policy

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func vuln(id string, aliases []string, eco, name, version, path string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: id, Aliases: aliases, Severity: sev,
		Target:   finding.Target{Kind: "filesystem", Name: "repo"},
		Location: finding.Location{Path: path},
		Package:  &finding.Package{Name: name, Version: version, Ecosystem: eco},
	}
	f.SetFingerprint()
	return f
}

// testFindings are real advisories (ids and aliases from the OSV corpus) in
// made-up places.
func testFindings() []finding.Finding {
	secret := finding.Finding{
		Kind: finding.KindSecret, RuleID: "aws-access-key", Severity: finding.SeverityHigh,
		Target: finding.Target{Kind: "filesystem", Name: "repo"}, Location: finding.Location{Path: "testdata/fixtures/prod.env", Line: 3},
		Evidence: "AKIA************MPLE",
	}
	misconfig := finding.Finding{
		Kind: finding.KindMisconfiguration, RuleID: "DS001", Severity: finding.SeverityMedium,
		Target: finding.Target{Kind: "filesystem", Name: "repo"}, Location: finding.Location{Path: "Dockerfile", Line: 1},
	}
	// The secret's fingerprint is left empty: Evaluate fills it in.
	misconfig.SetFingerprint()
	return []finding.Finding{
		vuln("GO-2022-0969", []string{"CVE-2022-27664", "GHSA-69cg-p879-7622"}, "Go", "golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b", "services/api/go.mod", finding.SeverityHigh),
		vuln("GO-2022-0969", []string{"CVE-2022-27664", "GHSA-69cg-p879-7622"}, "Go", "golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b", "go.mod", finding.SeverityHigh),
		vuln("GO-2022-0969", []string{"CVE-2022-27664", "GHSA-69cg-p879-7622"}, "Go", "stdlib", "1.18.1", "bin/app", finding.SeverityHigh),
		vuln("PYSEC-2023-192", []string{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f"}, "PyPI", "urllib3", "1.26.5", "requirements.txt", finding.SeverityHigh),
		vuln("RUSTSEC-2021-0003", []string{"CVE-2021-25900", "GHSA-43w2-9j62-hq99"}, "crates.io", "smallvec", "0.6.9", "Cargo.lock", finding.SeverityCritical),
		secret,
		misconfig,
	}
}

// where names a finding in test expectations.
func where(f *finding.Finding) string {
	pkg := ""
	if f.Package != nil {
		pkg = f.Package.Name + " "
	}
	return fmt.Sprintf("%s %s%s", f.RuleID, pkg, f.Location.Path)
}

func ignore(id, pkg, path, expires string, line int) Ignore {
	return Ignore{ID: id, Package: pkg, Path: path, Reason: "r", Owner: "alice", Expires: date(expires), File: ".redlineignore", Line: line}
}

func TestEvaluate(t *testing.T) {
	noon := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	allKept := []string{
		"RUSTSEC-2021-0003 smallvec Cargo.lock",
		"GO-2022-0969 golang.org/x/net go.mod",
		"GO-2022-0969 golang.org/x/net services/api/go.mod",
		"GO-2022-0969 stdlib bin/app",
		"PYSEC-2023-192 urllib3 requirements.txt",
		"aws-access-key testdata/fixtures/prod.env",
		"DS001 Dockerfile",
	}
	tests := []struct {
		name       string
		gate       Gate
		now        time.Time
		kept       []string
		suppressed []string // "finding <- ignore line"
		blocked    bool
		reasons    []string
		warnings   []string
		unused     []int // lines
	}{
		{
			name:    "no gate never blocks",
			now:     noon,
			kept:    allKept,
			reasons: []string{"fail-on is none: 7 findings never block"},
		},
		{
			name:    "fail on critical",
			gate:    Gate{FailOn: FailAt(finding.SeverityCritical)},
			now:     noon,
			kept:    allKept,
			blocked: true,
			reasons: []string{"1 finding at or above critical: RUSTSEC-2021-0003"},
		},
		{
			name:    "fail on high names each rule once",
			gate:    Gate{FailOn: FailAt(finding.SeverityHigh)},
			now:     noon,
			kept:    allKept,
			blocked: true,
			reasons: []string{"6 findings at or above high: RUSTSEC-2021-0003, GO-2022-0969, PYSEC-2023-192, aws-access-key"},
		},
		{
			name: "alias matches in any case and the package filter applies",
			gate: Gate{FailOn: FailAt(finding.SeverityHigh), Ignores: []Ignore{
				ignore("cve-2022-27664", "golang.org/x/net", "", "2027-03-31", 3),
				ignore("RUSTSEC-2021-0003", "", "", "2027-03-31", 9),
			}},
			now: noon,
			kept: []string{
				"GO-2022-0969 stdlib bin/app",
				"PYSEC-2023-192 urllib3 requirements.txt",
				"aws-access-key testdata/fixtures/prod.env",
				"DS001 Dockerfile",
			},
			suppressed: []string{
				"RUSTSEC-2021-0003 smallvec Cargo.lock <- 9",
				"GO-2022-0969 golang.org/x/net go.mod <- 3",
				"GO-2022-0969 golang.org/x/net services/api/go.mod <- 3",
			},
			blocked: true,
			reasons: []string{"3 findings at or above high: GO-2022-0969, PYSEC-2023-192, aws-access-key"},
		},
		{
			name: "path glob limits the ignore",
			gate: Gate{FailOn: FailAt(finding.SeverityCritical), Ignores: []Ignore{
				ignore("GO-2022-0969", "", "services/**/go.mod", "2027-03-31", 3),
				ignore("aws-access-key", "", "testdata/fixtures/*.env", "2027-03-31", 9),
				ignore("DS001", "", "**/Dockerfile", "2027-03-31", 15),
			}},
			now: noon,
			kept: []string{
				"RUSTSEC-2021-0003 smallvec Cargo.lock",
				"GO-2022-0969 golang.org/x/net go.mod",
				"GO-2022-0969 stdlib bin/app",
				"PYSEC-2023-192 urllib3 requirements.txt",
			},
			suppressed: []string{
				"GO-2022-0969 golang.org/x/net services/api/go.mod <- 3",
				"aws-access-key testdata/fixtures/prod.env <- 9",
				"DS001 Dockerfile <- 15",
			},
			blocked: true,
			reasons: []string{"1 finding at or above critical: RUSTSEC-2021-0003"},
		},
		{
			name: "PyPI package names are normalized; a package filter skips findings without a package",
			gate: Gate{FailOn: FailAt(finding.SeverityHigh), Ignores: []Ignore{
				ignore("PYSEC-2023-192", "URLLib3", "", "2027-03-31", 3),
				ignore("aws-access-key", "urllib3", "", "2027-03-31", 9),
			}},
			now:        time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			kept:       without(allKept, "PYSEC-2023-192 urllib3 requirements.txt"),
			suppressed: []string{"PYSEC-2023-192 urllib3 requirements.txt <- 3"},
			blocked:    true,
			reasons:    []string{"5 findings at or above high: RUSTSEC-2021-0003, GO-2022-0969, aws-access-key"},
			unused:     []int{9},
		},
		{
			name: "the first matching ignore is recorded; later ones still count as used",
			gate: Gate{FailOn: FailAt(finding.SeverityCritical), Ignores: []Ignore{
				ignore("RUSTSEC-2021-0003", "smallvec", "", "2027-03-31", 3),
				ignore("GHSA-43w2-9j62-hq99", "", "", "2027-03-31", 9),
			}},
			now:        noon,
			kept:       without(allKept, "RUSTSEC-2021-0003 smallvec Cargo.lock"),
			suppressed: []string{"RUSTSEC-2021-0003 smallvec Cargo.lock <- 3"},
			reasons:    []string{"no finding at or above critical (6 findings below it)"},
		},
		{
			name: "an ignore holds through the last second of its day",
			gate: Gate{FailOn: FailAt(finding.SeverityCritical), Ignores: []Ignore{
				ignore("RUSTSEC-2021-0003", "", "", "2026-01-31", 3),
			}},
			now:        time.Date(2026, 1, 31, 23, 59, 59, 999999999, time.UTC),
			kept:       without(allKept, "RUSTSEC-2021-0003 smallvec Cargo.lock"),
			suppressed: []string{"RUSTSEC-2021-0003 smallvec Cargo.lock <- 3"},
			reasons:    []string{"no finding at or above critical (6 findings below it)"},
		},
		{
			name: "an ignore expires at midnight UTC after its day",
			gate: Gate{FailOn: FailAt(finding.SeverityCritical), Ignores: []Ignore{
				ignore("RUSTSEC-2021-0003", "", "", "2026-01-31", 3),
			}},
			now:      time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			kept:     allKept,
			blocked:  true,
			reasons:  []string{"1 finding at or above critical: RUSTSEC-2021-0003"},
			warnings: []string{"ignore of RUSTSEC-2021-0003 (owner alice) expired on 2026-01-31; it no longer suppresses (.redlineignore:3)"},
		},
		{
			name: "expiry is judged in UTC whatever the clock's zone",
			gate: Gate{FailOn: FailAt(finding.SeverityCritical), Ignores: []Ignore{
				ignore("RUSTSEC-2021-0003", "", "", "2026-01-31", 3),
			}},
			// 20:30 on the 31st in New York is 01:30 on 1 February UTC.
			now:      time.Date(2026, 1, 31, 20, 30, 0, 0, time.FixedZone("EST", -5*3600)),
			kept:     allKept,
			blocked:  true,
			reasons:  []string{"1 finding at or above critical: RUSTSEC-2021-0003"},
			warnings: []string{"ignore of RUSTSEC-2021-0003 (owner alice) expired on 2026-01-31; it no longer suppresses (.redlineignore:3)"},
		},
		{
			name: "unknown severity blocks at fail-on unknown",
			gate: Gate{FailOn: FailAt(finding.SeverityUnknown), Ignores: []Ignore{
				ignore("no-such-rule", "", "", "2027-03-31", 3),
			}},
			now:     noon,
			kept:    allKept,
			blocked: true,
			reasons: []string{"7 findings at or above unknown: RUSTSEC-2021-0003, GO-2022-0969, PYSEC-2023-192, aws-access-key, DS001"},
			unused:  []int{3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testFindings()
			before := fmt.Sprint(in)
			g := tt.gate
			g.Now = func() time.Time { return tt.now }
			d := g.Evaluate(in)
			if fmt.Sprint(in) != before {
				t.Error("Evaluate modified its input")
			}
			var kept, supp []string
			for i := range d.Findings {
				kept = append(kept, where(&d.Findings[i]))
				if d.Findings[i].Fingerprint == "" {
					t.Errorf("%s has no fingerprint", where(&d.Findings[i]))
				}
			}
			for _, s := range d.Suppressed {
				supp = append(supp, fmt.Sprintf("%s <- %d", where(&s.Finding), s.Ignore.Line))
			}
			var unused []int
			for _, ig := range d.Unused {
				unused = append(unused, ig.Line)
			}
			check := func(what string, got, want any) {
				t.Helper()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\n got %q\nwant %q", what, got, want)
				}
			}
			check("kept", kept, tt.kept)
			check("suppressed", supp, tt.suppressed)
			check("blocked", d.Blocked, tt.blocked)
			check("reasons", d.Reasons, tt.reasons)
			check("warnings", d.Warnings, tt.warnings)
			check("unused", unused, tt.unused)
			check("fail on", d.FailOn, tt.gate.FailOn)
			var blocking []string
			for i := range d.Findings {
				if tt.gate.FailOn.Blocks(d.Findings[i].Severity) {
					blocking = append(blocking, d.Findings[i].Fingerprint)
				}
			}
			check("blocking", d.Blocking, blocking)
			wantCode := ExitPass
			if tt.blocked {
				wantCode = ExitBlocked
			}
			check("exit code", d.ExitCode(), wantCode)
		})
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func TestEvaluateNilGate(t *testing.T) {
	var g *Gate
	d := g.Evaluate(testFindings())
	if d.Blocked || len(d.Findings) != 7 {
		t.Errorf("nil gate: blocked %v, %d findings", d.Blocked, len(d.Findings))
	}
}

func TestEvaluateManyRules(t *testing.T) {
	var fs []finding.Finding
	for i := range 13 {
		fs = append(fs, vuln(fmt.Sprintf("GO-2024-%04d", i), nil, "Go", "m", "v1.0.0", "go.mod", finding.SeverityHigh))
	}
	d := (&Gate{FailOn: FailAt(finding.SeverityLow)}).Evaluate(fs)
	want := "13 findings at or above low: GO-2024-0000, GO-2024-0001, GO-2024-0002, GO-2024-0003, GO-2024-0004, " +
		"GO-2024-0005, GO-2024-0006, GO-2024-0007, GO-2024-0008, GO-2024-0009 and 3 more"
	if len(d.Reasons) != 1 || d.Reasons[0] != want {
		t.Errorf("reasons %q\nwant %q", d.Reasons, want)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	// 10,000 findings against 1,000 ignores, a tenth of which match by path.
	var fs []finding.Finding
	for i := range 10000 {
		fs = append(fs, vuln(fmt.Sprintf("GO-2024-%04d", i%2000), []string{fmt.Sprintf("CVE-2024-%05d", i%2000)},
			"Go", fmt.Sprintf("example.com/m%d", i%300), "v1.0.0", fmt.Sprintf("services/s%d/go.mod", i%50), finding.Severity(i%5)))
	}
	var igs []Ignore
	for i := range 1000 {
		igs = append(igs, ignore(fmt.Sprintf("cve-2024-%05d", i*2), "", "services/**/go.mod", "2027-03-31", i+1))
	}
	g := &Gate{FailOn: FailAt(finding.SeverityHigh), Ignores: igs, Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	b.ReportAllocs()
	for b.Loop() {
		g.Evaluate(fs)
	}
}
