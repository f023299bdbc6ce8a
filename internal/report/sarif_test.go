package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/redline-sec/redline/internal/finding"
)

// sarifSchemas are the SARIF 2.1.0 JSON schemas the output must satisfy;
// testdata/README.md names where each file comes from.
var sarifSchemas = []string{
	"sarif-schema-2.1.0.json",       // Microsoft SARIF SDK's 2.1.0 schema (draft 2020-12)
	"sarif-schema-2.1.0-rtm.5.json", // 2.1.0-rtm.5, the final draft (draft-04)
}

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	loc := "https://redline.invalid/schemas/" + name
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return sch
}

func TestSARIFSchema(t *testing.T) {
	reports := map[string]*Report{
		"fixture": fixture(),
		"empty":   {},
		"odd paths": {Findings: []finding.Finding{
			{Kind: finding.KindMisconfiguration, RuleID: "X1", Location: finding.Location{Path: "/abs/with space/a:b%.yaml", Line: 7}},
			{Kind: finding.KindVulnerability, RuleID: "GHSA-xxxx", Package: &finding.Package{Name: "n", Version: "1", Ecosystem: "npm"},
				References: []string{"not a url", "ftp://x/y"}},
		}},
	}
	schemas := make(map[string]*jsonschema.Schema)
	for _, name := range sarifSchemas {
		schemas[name] = compileSchema(t, name)
	}
	for rname, r := range reports {
		out := render(t, FormatSARIF, r)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range sarifSchemas {
			if err := schemas[name].Validate(inst); err != nil {
				t.Errorf("%s report is not valid against %s: %v", rname, name, err)
			}
		}
		checkGitHubRules(t, rname, out)
	}

	// The schemas must be able to fail: a wrong level and a line of 0.
	bad := bytes.Replace(render(t, FormatSARIF, fixture()), []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	bad = bytes.Replace(bad, []byte(`"startLine": 1`), []byte(`"startLine": 0`), 1)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range sarifSchemas {
		if err := schemas[name].Validate(inst); err == nil {
			t.Errorf("%s accepts a result with level \"fatal\" and startLine 0", name)
		}
	}
}

// checkGitHubRules asserts what GitHub code scanning needs beyond the
// schema: a relative location with a line for every result, a rule for every
// ruleIndex, security-severity as a number from 0 to 10, at most 20 tags, and
// Redline's fingerprint.
func checkGitHubRules(t *testing.T, name string, out []byte) {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%s: %d runs", name, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "redline" {
		t.Errorf("%s: driver name %q", name, run.Tool.Driver.Name)
	}
	for _, rule := range run.Tool.Driver.Rules {
		if s := rule.Properties.SecuritySeverity; s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || v > 10 {
				t.Errorf("%s: rule %s security-severity %q", name, rule.ID, s)
			}
		}
		if n := len(rule.Properties.Tags); n > maxSARIFTags || n < 2 {
			t.Errorf("%s: rule %s has %d tags", name, rule.ID, n)
		}
	}
	for i, res := range run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("%s: result %d: ruleIndex %d does not point at %s", name, i, res.RuleIndex, res.RuleID)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("%s: result %d has %d locations", name, i, len(res.Locations))
		}
		loc := res.Locations[0].PhysicalLocation
		u, err := url.Parse(loc.ArtifactLocation.URI)
		if err != nil || u.IsAbs() || u.Host != "" || loc.ArtifactLocation.URI[0] == '/' {
			t.Errorf("%s: result %d: uri %q is not a relative reference", name, i, loc.ArtifactLocation.URI)
		}
		if loc.Region.StartLine < 1 {
			t.Errorf("%s: result %d: startLine %d", name, i, loc.Region.StartLine)
		}
		if len(res.PartialFingerprints[FingerprintKey]) != 32 {
			t.Errorf("%s: result %d: fingerprint %q", name, i, res.PartialFingerprints[FingerprintKey])
		}
	}
}

func TestSARIFLevelsAndScores(t *testing.T) {
	tests := []struct {
		sev   finding.Severity
		cvss  []finding.CVSS
		level string
		score string
	}{
		{finding.SeverityCritical, nil, "error", "9.5"},
		{finding.SeverityHigh, nil, "error", "8.0"},
		{finding.SeverityMedium, nil, "warning", "5.5"},
		{finding.SeverityLow, nil, "note", "2.0"},
		{finding.SeverityUnknown, nil, "note", ""},
		{finding.SeverityHigh, []finding.CVSS{{Score: 7.5}, {Score: 8.8}}, "error", "8.8"},
		{finding.SeverityMedium, []finding.CVSS{{Score: 0}}, "warning", "5.5"},
		{finding.SeverityCritical, []finding.CVSS{{Score: 42}}, "error", "9.5"},
	}
	for _, tt := range tests {
		f := &finding.Finding{Severity: tt.sev, CVSS: tt.cvss}
		if got := sarifLevel(tt.sev); got != tt.level {
			t.Errorf("sarifLevel(%s) = %q, want %q", tt.sev, got, tt.level)
		}
		if got := securitySeverity([]*finding.Finding{f}); got != tt.score {
			t.Errorf("securitySeverity(%s, %v) = %q, want %q", tt.sev, tt.cvss, got, tt.score)
		}
	}
}

func TestSARIFURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"go.mod", "go.mod"},
		{"services/api/go.mod", "services/api/go.mod"},
		{"/usr/lib/python3/dist-packages/x.dist-info/METADATA", "usr/lib/python3/dist-packages/x.dist-info/METADATA"},
		{"with space/a#b?.txt", "with%20space/a%23b%3F.txt"},
		{"c:/x", "./c:/x"},
		{"", "."},
	}
	for _, tt := range tests {
		if got := sarifURI(tt.in); got != tt.want {
			t.Errorf("sarifURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSemanticVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"v0.1.0", "0.1.0"},
		{"1.2.3-rc.1+abc", "1.2.3-rc.1+abc"},
		{"1.2", ""},
		{"dev", ""},
		{"01.2.3", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := semanticVersion(tt.in); got != tt.want {
			t.Errorf("semanticVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHelpURI(t *testing.T) {
	tests := []struct {
		f    finding.Finding
		want string
	}{
		{finding.Finding{Kind: finding.KindVulnerability, RuleID: "GO-2022-0969", References: []string{"https://go.dev/issue/54658"}}, "https://go.dev/issue/54658"},
		{finding.Finding{Kind: finding.KindVulnerability, RuleID: "GO-2022-0969"}, "https://osv.dev/vulnerability/GO-2022-0969"},
		{finding.Finding{Kind: finding.KindVulnerability, RuleID: "a/b c", References: []string{"javascript:alert(1)"}}, "https://osv.dev/vulnerability/a%2Fb%20c"},
		{finding.Finding{Kind: finding.KindSecret, RuleID: "aws-access-key"}, ""},
	}
	for _, tt := range tests {
		if got := helpURI(&tt.f); got != tt.want {
			t.Errorf("helpURI(%s) = %q, want %q", tt.f.RuleID, got, tt.want)
		}
	}
}
