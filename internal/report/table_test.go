package report

import (
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

// An image finding names the history entry of the layer that added the
// package: the Dockerfile line to change.
func TestTableAddedBy(t *testing.T) {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: "GO-2022-0969", Severity: finding.SeverityHigh,
		Location: finding.Location{Path: "usr/local/bin/app", Layer: "sha256:ab", CreatedBy: "COPY app /usr/local/bin/"},
		Package:  &finding.Package{Name: "golang.org/x/net", Version: "v0.0.1", Ecosystem: "Go"},
	}
	var b strings.Builder
	if err := Write(&b, FormatTable, &Report{Findings: []finding.Finding{f}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "  added by COPY app /usr/local/bin/\n") {
		t.Errorf("table does not name the layer's history entry:\n%s", b.String())
	}
}
