package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/redline-sec/redline/internal/finding"
)

// FuzzWrite feeds hostile strings (as advisories and scanned paths may hold)
// through every writer: none may fail, JSON and SARIF must stay valid JSON,
// and the table must carry no control character but newlines.
func FuzzWrite(f *testing.F) {
	f.Add("GO-2022-0969", "Denial of service in net/http", "go.mod", "v0.7.0", "https://go.dev/issue/54658")
	f.Add("x\x1b[2J", "\u202eevil\ttitle\n", "a b/../c:d", "\xff\xfe", "javascript:alert(1)")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, id, title, path, version, ref string) {
		r := &Report{Findings: []finding.Finding{
			{Kind: finding.KindVulnerability, RuleID: id, Title: title, Severity: finding.SeverityHigh,
				Location:   finding.Location{Path: path, Line: 2},
				Package:    &finding.Package{Name: title, Version: version, Ecosystem: "Go"},
				Fix:        &finding.Fix{FixedVersions: []string{version}, Upgrade: version},
				References: []string{ref}},
			{Kind: finding.KindSecret, RuleID: id, Title: title, Evidence: version, Location: finding.Location{Path: path}},
		}}
		for _, format := range Formats() {
			var buf bytes.Buffer
			if err := Write(&buf, format, r); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			switch format {
			case FormatTable:
				if strings.ContainsFunc(buf.String(), func(r rune) bool {
					return r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
				}) {
					t.Fatalf("table holds a control character: %q", buf.String())
				}
			default:
				if !json.Valid(buf.Bytes()) {
					t.Fatalf("%s output is not valid JSON", format)
				}
			}
		}
	})
}
