package store

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

// TestSearchIndex checks that indexed search returns exactly what the
// plain match (case-insensitive substring of rule id, title or package
// name, or the fingerprint) returns, also after titles change and
// findings are fixed.
func TestSearchIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		if ok, err := d.SearchIndexed(ctx); err != nil || !ok {
			t.Fatalf("search not indexed: %v", err)
		}
		fs := []finding.Finding{
			vuln("CVE-2026-1234", "openssl", finding.SeverityCritical),
			vuln("GHSA-abcd-ef01", "lodash", finding.SeverityHigh),
			vuln("GO-2026-0042", "golang.org/x/net", finding.SeverityMedium),
			vuln("RUSTSEC-2026-0007", "Straße-crate", finding.SeverityLow),
			vuln(`quote"rule`, "pkg_under%score", finding.SeverityLow),
		}
		fs[1].Title = "Prototype Pollution in lodash"
		mustIngest(t, d, scanOf("s1", fs...))
		// A changed title replaces the indexed one.
		fs[1].Title = "Command Injection in lodash"
		mustIngest(t, d, scanOf("s2", fs...))
		texts := []string{"cve-2026", "CVE-2026-1234", "openssl", "OpenSSL", "pollution", "injection", "x/net",
			"straße", "2026", "go", "ss", "e", `quote"`, `"rule`, "under%s", "%score", "nothing-like-this",
			fs[2].Fingerprint, strings.ToUpper(fs[2].Fingerprint), fs[2].Fingerprint[:10]}
		all, err := d.Findings(ctx, FindingQuery{Limit: MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			page, err := d.Findings(ctx, FindingQuery{Text: text, Limit: MaxPageSize})
			if err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			var got, want []int64
			for _, f := range page.Findings {
				got = append(got, f.ID)
			}
			low := strings.ToLower(text)
			for _, f := range all.Findings {
				pkg := ""
				if f.Package != nil {
					pkg = f.Package.Name
				}
				if asciiLower(f.RuleID, low) || asciiLower(f.Title, low) || asciiLower(pkg, low) || f.Fingerprint == low {
					want = append(want, f.ID)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%q: got %v, want %v", text, got, want)
			}
		}
		if page, err := d.Findings(ctx, FindingQuery{Text: "pollution"}); err != nil || len(page.Findings) != 0 {
			t.Errorf("old title still found: %+v %v", page.Findings, err)
		}
	})
}

// asciiLower is the plain match: s lower-cased contains sub, where the
// engines fold ASCII letters at least (PostgreSQL folds the rest too).
func asciiLower(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}
