package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

const testDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func withPURL(f finding.Finding, purl string) finding.Finding {
	p := *f.Package
	p.PURL = purl
	f.Package = &p
	return f
}

func TestLoadVEX(t *testing.T) {
	sts, err := LoadVEX(filepath.Join("testdata", "vex-example.json"), filepath.Join("testdata", "vex-v001.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sts {
		got = append(got, s.Vulnerability+" "+string(s.Status)+" "+s.Timestamp.Format(time.RFC3339)+" "+s.Where())
	}
	want := []string{
		"CVE-2022-27664 not_affected 2026-05-01T10:00:00Z testdata/vex-example.json: statements[0]",
		"CVE-2023-43804 fixed 2026-05-01T10:00:00Z testdata/vex-example.json: statements[1]",
		"CVE-2021-25900 affected 2026-05-01T10:00:00Z testdata/vex-example.json: statements[2]",
		"GO-2022-0969 under_investigation 2026-05-01T10:00:00Z testdata/vex-example.json: statements[3]",
		"CVE-2022-27664 affected 2023-01-01T00:00:00Z testdata/vex-v001.json: statements[0]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("statements:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := sts[0].Explain(); e != "VEX not_affected (vulnerable_code_not_in_execute_path): we never start an HTTP/2 server [testdata/vex-example.json: statements[0]]" {
		t.Errorf("Explain = %q", e)
	}
}

func TestParseVEXErrors(t *testing.T) {
	tests := []struct{ name, src, err string }{
		{"not openvex", `{"@context": "https://cyclonedx.org"}`, `v.json: not an OpenVEX document (@context "https://cyclonedx.org", want https://openvex.dev/ns/…)`},
		{"syntax", readTestdata(t, "bad-vex-syntax.json"), "v.json: line 4: invalid character ',' looking for beginning of object key string"},
		{"no justification", readTestdata(t, "bad-vex-status.json"), "v.json: statements[0]: not_affected needs a justification or an impact_statement"},
		{"bad status", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":"CVE-1","products":["x"],"status":"fine"}]}`,
			`v.json: statements[0]: unknown status "fine" (want not_affected, affected, fixed or under_investigation)`},
		{"no products", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":"CVE-1","status":"affected"}]}`,
			"v.json: statements[0]: no products"},
		{"no vuln", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"products":["x"],"status":"affected"}]}`,
			"v.json: statements[0]: missing vulnerability"},
		{"type", `{"@context":"https://openvex.dev/ns/v0.2.0",` + "\n" + `"statements":[{"vulnerability":"CVE-1","products":[{"@id":7}],"status":"affected"}]}`,
			"v.json: statements[0]: products[0]: line 1: json: cannot unmarshal number into Go struct field vexComponentJSON.@id of type string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVEX("v.json", []byte(tt.src))
			if err == nil || err.Error() != tt.err {
				t.Errorf("error:\n got %v\nwant %s", err, tt.err)
			}
		})
	}
	big := make([]byte, MaxVEXFileSize+1)
	if _, err := ParseVEX("big.json", big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized document: %v", err)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVEXApplies(t *testing.T) {
	net := withPURL(vuln("GO-2022-0969", []string{"CVE-2022-27664"}, "Go", "golang.org/x/net", "v0.1.0", "go.mod", finding.SeverityHigh),
		"pkg:golang/golang.org/x/net@v0.1.0?type=module")
	img := withPURL(vuln("PYSEC-2023-192", []string{"CVE-2023-43804"}, "PyPI", "urllib3", "1.26.5", "usr/lib/python3/site-packages", finding.SeverityHigh),
		"pkg:pypi/urllib3@1.26.5")
	img.Target = finding.Target{Kind: "image", Name: "registry.example.com/app:1.0", Digest: testDigest}
	other := img
	other.Target.Digest = "sha256:2222"
	product := func(id string, subs ...string) VEXStatement {
		return VEXStatement{Vulnerability: "CVE-X", Aliases: []string{"CVE-2022-27664", "cve-2023-43804"}, Status: VEXNotAffected,
			Products: []VEXProduct{{ID: id, Subcomponents: subs}}}
	}
	tests := []struct {
		name string
		st   VEXStatement
		f    finding.Finding
		want bool
	}{
		{"package purl without version", product("pkg:golang/golang.org/x/net"), net, true},
		{"package purl, same version, qualifiers ignored", product("pkg:golang/golang.org/x/net@v0.1.0"), net, true},
		{"package purl, other version", product("pkg:golang/golang.org/x/net@v0.2.0"), net, false},
		{"other package", product("pkg:golang/golang.org/x/text"), net, false},
		{"pypi name normalized", product("pkg:pypi/URLLib3"), img, true},
		{"image digest with subcomponent", product("registry.example.com/app@"+testDigest, "pkg:pypi/urllib3"), img, true},
		{"image digest, other image", product("registry.example.com/app@"+testDigest, "pkg:pypi/urllib3"), other, false},
		{"image digest, other subcomponent", product(testDigest, "pkg:pypi/requests"), img, false},
		{"oci purl", product("pkg:oci/app@"+strings.Replace(testDigest, ":", "%3A", 1), "pkg:pypi/urllib3@1.26.5"), img, true},
		{"target name", product("registry.example.com/app:1.0"), img, true},
		{"alias in any case", product("pkg:pypi/urllib3"), img, true},
		{"vulnerability not named", VEXStatement{Vulnerability: "CVE-2000-1", Products: []VEXProduct{{ID: "pkg:pypi/urllib3"}}}, img, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.Applies(&tt.f); got != tt.want {
				t.Errorf("Applies = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGateVEX(t *testing.T) {
	sts, err := LoadVEX(filepath.Join("testdata", "vex-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	net := withPURL(vuln("GO-2022-0969", []string{"CVE-2022-27664", "GHSA-69cg-p879-7622"}, "Go", "golang.org/x/net", "v0.1.0", "go.mod", finding.SeverityHigh),
		"pkg:golang/golang.org/x/net@v0.1.0")
	std := withPURL(vuln("GO-2022-0969", []string{"CVE-2022-27664"}, "Go", "stdlib", "1.18.1", "bin/app", finding.SeverityHigh), "pkg:golang/stdlib@1.18.1")
	small := withPURL(vuln("RUSTSEC-2021-0003", []string{"CVE-2021-25900"}, "crates.io", "smallvec", "0.6.9", "Cargo.lock", finding.SeverityCritical),
		"pkg:cargo/smallvec@0.6.9")
	d := (&Gate{FailOn: FailAt(finding.SeverityHigh), VEX: sts}).Evaluate([]finding.Finding{net, std, small})
	if len(d.VEXSuppressed) != 1 || d.VEXSuppressed[0].Finding.Package.Name != "golang.org/x/net" || d.VEXSuppressed[0].Statement.Index != 0 {
		t.Fatalf("VEXSuppressed = %+v", d.VEXSuppressed)
	}
	// affected (smallvec) and under_investigation (stdlib) do not suppress.
	var kept []string
	for _, f := range d.Findings {
		kept = append(kept, where(&f))
	}
	if want := "RUSTSEC-2021-0003 smallvec Cargo.lock|GO-2022-0969 stdlib bin/app"; strings.Join(kept, "|") != want {
		t.Errorf("kept %q, want %q", strings.Join(kept, "|"), want)
	}
	if !d.Blocked || d.Reasons[0] != "2 findings at or above high: RUSTSEC-2021-0003, GO-2022-0969" {
		t.Errorf("blocked %v, reasons %q", d.Blocked, d.Reasons)
	}

	// A later affected statement overrides an earlier not_affected one.
	later := sts[0]
	later.Status, later.Justification, later.Timestamp = VEXAffected, "", later.Timestamp.Add(time.Hour)
	d = (&Gate{FailOn: FailAt(finding.SeverityHigh), VEX: []VEXStatement{sts[0], later}}).Evaluate([]finding.Finding{net})
	if len(d.VEXSuppressed) != 0 || !d.Blocked {
		t.Errorf("later affected statement: suppressed %d, blocked %v", len(d.VEXSuppressed), d.Blocked)
	}
	// An earlier one does not.
	later.Timestamp = later.Timestamp.Add(-2 * time.Hour)
	d = (&Gate{FailOn: FailAt(finding.SeverityHigh), VEX: []VEXStatement{sts[0], later}}).Evaluate([]finding.Finding{net})
	if len(d.VEXSuppressed) != 1 || d.Blocked {
		t.Errorf("earlier affected statement: suppressed %d, blocked %v", len(d.VEXSuppressed), d.Blocked)
	}
}

func FuzzParseVEX(f *testing.F) {
	for _, name := range []string{"vex-example.json", "vex-v001.json", "bad-vex-status.json", "bad-vex-syntax.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sts, err := ParseVEX("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		fs := testFindings()
		for i := range sts {
			s := &sts[i]
			if s.Vulnerability == "" && len(s.Aliases) == 0 || len(s.Products) == 0 || s.File != "fuzz.json" {
				t.Fatalf("invalid statement accepted: %+v", s)
			}
			if s.Status == VEXNotAffected && s.Justification == "" && s.ImpactStatement == "" {
				t.Fatal("not_affected without justification accepted")
			}
			for j := range fs {
				_ = s.Applies(&fs[j])
			}
		}
		d := (&Gate{VEX: sts}).Evaluate(fs)
		if len(d.Findings)+len(d.VEXSuppressed) != len(fs) {
			t.Fatal("findings lost")
		}
	})
}
