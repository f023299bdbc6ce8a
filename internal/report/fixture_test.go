package report

import (
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/walk"
)

// rawSecret is AWS's documented example access key id. It stands for a
// secret a detector saw; no output may contain it.
const rawSecret = "AKIAIOSFODNN7EXAMPLE"

var fixtureTarget = finding.Target{Kind: "filesystem", Name: "testdata/shop"}

func pkg(eco, name, version, purl string, catalogers []string, paths ...string) inventory.Package {
	p := inventory.Package{Name: name, Version: version, Ecosystem: eco, PURL: purl, Catalogers: catalogers}
	for _, path := range paths {
		p.Locations = append(p.Locations, finding.Location{Path: path})
	}
	return p
}

type advisory struct {
	id, title, description string
	aliases, references    []string
	severity               finding.Severity
	cvss                   []finding.CVSS
}

func vuln(a advisory, p inventory.Package, path string, fixed []string, upgrade string) finding.Finding {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: a.id, Aliases: a.aliases, Title: a.title,
		Description: a.description, Severity: a.severity, CVSS: a.cvss, Target: fixtureTarget,
		Location: finding.Location{Path: path}, Package: p.Identity(), References: a.references,
		Fix: &finding.Fix{FixedVersions: fixed, Upgrade: upgrade},
	}
	f.SetFingerprint()
	return f
}

// fixture is a scan of a small polyglot repository. The advisories are real
// OSV records (ids, aliases, summaries, CVSS vectors, fixed versions and first
// references from /work/shared/corpus/osv; see testdata/README.md); the
// packages, paths, secret, misconfigurations, ignores and warnings are made up.
func fixture() *Report {
	xnet := pkg("Go", "golang.org/x/net", "v0.7.0", "pkg:golang/golang.org/x/net@v0.7.0", []string{"go-mod"}, "go.mod", "services/api/go.mod")
	cobra := pkg("Go", "github.com/spf13/cobra", "v1.8.0", "pkg:golang/github.com/spf13/cobra@v1.8.0", []string{"go-mod"}, "go.mod")
	urllib3 := pkg("PyPI", "urllib3", "1.26.5", "pkg:pypi/urllib3@1.26.5", []string{"requirements"}, "requirements.txt")
	requests := pkg("PyPI", "requests", "2.31.0", "pkg:pypi/requests@2.31.0", []string{"requirements"}, "requirements.txt")
	smallvec := pkg("crates.io", "smallvec", "0.6.9", "pkg:cargo/smallvec@0.6.9", []string{"cargo-lock"}, "Cargo.lock")
	timeCrate := pkg("crates.io", "time", "0.1.45", "pkg:cargo/time@0.1.45", []string{"cargo-lock"}, "Cargo.lock")
	portaudio := pkg("crates.io", "portaudio", "0.7.0", "pkg:cargo/portaudio@0.7.0", []string{"cargo-lock"}, "Cargo.lock")
	serde := pkg("crates.io", "serde", "1.0.200", "pkg:cargo/serde@1.0.200", []string{"cargo-lock"}, "Cargo.lock")

	rapidReset := advisory{
		id: "GO-2023-2102", title: "HTTP/2 rapid reset can cause excessive work in net/http",
		description: "A malicious HTTP/2 client which rapidly creates requests and immediately resets them can cause excessive server resource consumption.",
		aliases:     []string{"CVE-2023-39325", "GHSA-4374-p667-p6c8"},
		references:  []string{"https://go.dev/issue/63417", "https://go.dev/cl/534215"},
	}
	continuation := advisory{
		id: "GO-2024-2687", title: "HTTP/2 CONTINUATION flood in net/http",
		description: "An attacker may cause an HTTP/2 endpoint to read arbitrary amounts of header data by sending an excessive number of CONTINUATION frames.",
		aliases:     []string{"CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"},
		references:  []string{"https://go.dev/issue/65051"},
	}
	cookie := advisory{
		id: "PYSEC-2023-192", title: "urllib3 doesn't treat the `Cookie` HTTP header special",
		aliases:    []string{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f"},
		references: []string{"https://github.com/urllib3/urllib3/commit/644124ecd0b6e417c527191f866daa05a5a2056d"},
		severity:   finding.SeverityHigh,
		cvss:       []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", Score: 8.1}},
	}
	body := advisory{
		id: "PYSEC-2023-212", title: "urllib3 previously wouldn't remove the HTTP request body when an HTTP redirect response using status 301, 302, or 303 after the request had its method changed",
		aliases:    []string{"CVE-2023-45803", "GHSA-g4mx-q9vg-27p4"},
		references: []string{"https://github.com/urllib3/urllib3/security/advisories/GHSA-g4mx-q9vg-27p4"},
		severity:   finding.SeverityMedium,
		cvss:       []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", Score: 4.2}},
	}
	critical := []finding.CVSS{{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}}
	grow := advisory{
		id: "RUSTSEC-2019-0009", title: "Double-free and use-after-free in SmallVec::grow()",
		aliases: []string{"CVE-2019-15551", "GHSA-mm7v-vpv8-xfc3"}, references: []string{"https://crates.io/crates/smallvec"},
		severity: finding.SeverityCritical, cvss: critical,
	}
	grow2 := advisory{
		id: "RUSTSEC-2019-0012", title: "Memory corruption in SmallVec::grow()",
		aliases: []string{"CVE-2019-15554", "GHSA-69gw-hgj3-45m7"}, references: []string{"https://crates.io/crates/smallvec"},
		severity: finding.SeverityCritical, cvss: critical,
	}
	insertMany := advisory{
		id: "RUSTSEC-2021-0003", title: "Buffer overflow in SmallVec::insert_many",
		aliases: []string{"CVE-2021-25900", "GHSA-43w2-9j62-hq99"}, references: []string{"https://crates.io/crates/smallvec"},
		severity: finding.SeverityCritical,
		cvss:     []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
	}
	segfault := advisory{
		id: "RUSTSEC-2020-0071", title: "Potential segfault in the time crate",
		aliases: []string{"CVE-2020-26235", "GHSA-wcg3-cvx6-7396"}, references: []string{"https://crates.io/crates/time"},
		severity: finding.SeverityMedium,
		cvss:     []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 6.2}},
	}
	mitm := advisory{
		id: "RUSTSEC-2016-0003", title: "HTTP download and execution allows MitM RCE",
		aliases: []string{"CVE-2016-10933", "GHSA-pq6v-x7gp-7776"}, references: []string{"https://crates.io/crates/portaudio"},
		severity: finding.SeverityMedium,
		cvss:     []finding.CVSS{{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", Score: 5.9}},
	}

	secret := finding.Finding{
		Kind: finding.KindSecret, RuleID: "aws-access-key", Title: "AWS access key ID", Severity: finding.SeverityHigh,
		Description: "matched " + rawSecret + " in prod.env", // a careless detector; must not be printed
		Target:      fixtureTarget, Location: finding.Location{Path: "config/prod.env", Line: 3},
		Mappings: map[string][]string{"cwe": {"CWE-798"}},
		Evidence: "AKIA************MPLE",
		Fix:      &finding.Fix{Remediation: "Rotate the key and load it from a secret store.", FixedVersions: []string{rawSecret}},
	}
	secret.SetFingerprint()
	root := finding.Finding{
		Kind: finding.KindMisconfiguration, RuleID: "DS002", Title: "Image user should not be 'root'", Severity: finding.SeverityMedium,
		Target: fixtureTarget, Location: finding.Location{Path: "Dockerfile", Line: 1},
		Fix: &finding.Fix{Remediation: "Add a USER instruction with a non-root user."},
	}
	root.SetFingerprint()
	health := finding.Finding{
		Kind: finding.KindMisconfiguration, RuleID: "DS026", Title: "No HEALTHCHECK defined", Severity: finding.SeverityLow,
		Target: fixtureTarget, Location: finding.Location{Path: "Dockerfile"},
	}
	health.SetFingerprint()

	findings := []finding.Finding{
		vuln(rapidReset, xnet, "go.mod", []string{"v0.17.0"}, "v0.23.0"),
		vuln(rapidReset, xnet, "services/api/go.mod", []string{"v0.17.0"}, "v0.23.0"),
		vuln(continuation, xnet, "go.mod", []string{"v0.23.0"}, "v0.23.0"),
		vuln(continuation, xnet, "services/api/go.mod", []string{"v0.23.0"}, "v0.23.0"),
		vuln(cookie, urllib3, "requirements.txt", []string{"1.26.17", "2.0.6"}, "1.26.18"),
		vuln(body, urllib3, "requirements.txt", []string{"1.26.18", "2.0.7"}, "1.26.18"),
		vuln(grow, smallvec, "Cargo.lock", []string{"0.6.10"}, "0.6.14"),
		vuln(grow2, smallvec, "Cargo.lock", []string{"0.6.10"}, "0.6.14"),
		vuln(insertMany, smallvec, "Cargo.lock", []string{"0.6.14", "1.6.1"}, "0.6.14"),
		vuln(segfault, timeCrate, "Cargo.lock", []string{"0.2.23"}, "0.2.23"),
		vuln(mitm, portaudio, "Cargo.lock", nil, ""),
		secret, root, health,
	}

	day := func(s string) time.Time {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			panic(err)
		}
		return t
	}
	gate := policy.Gate{
		FailOn: policy.FailAt(finding.SeverityHigh),
		Ignores: []policy.Ignore{
			{ID: "CVE-2023-39325", Path: "services/**/go.mod", Reason: "the API service runs no HTTP/2 server",
				Owner: "alice@example.com", Expires: day("2027-03-31"), File: ".redlineignore", Line: 2},
			{ID: "PYSEC-2023-207", Package: "urllib3", Reason: "fixed upstream long ago",
				Owner: "bob@example.com", Expires: day("2027-01-01"), File: ".redlineignore", Line: 8},
			{ID: "RUSTSEC-2020-0071", Reason: "we never set environment variables at run time",
				Owner: "carol@example.com", Expires: day("2026-01-31"), File: ".redlineignore", Line: 13},
		},
		Now: func() time.Time { return time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC) },
	}

	r := &Report{
		Tool:   Tool{Name: "redline", Version: "v0.1.0", Commit: "7cd8573"},
		Target: fixtureTarget,
		Database: &DatabaseInfo{
			Built: time.Date(2026, 8, 21, 6, 0, 0, 0, time.UTC),
			Ecosystems: []EcosystemCount{
				{Name: "Go", Records: 4291}, {Name: "PyPI", Records: 2668}, {Name: "crates.io", Records: 1206},
			},
		},
		Packages: []inventory.Package{xnet, cobra, urllib3, requests, smallvec, timeCrate, portaudio, serde},
	}
	r.SetDecision(gate.Evaluate(findings))
	r.AddWalkWarnings([]walk.Warning{
		{Path: "vendor/legacy/package-lock.json", Analyzer: "package-lock", Message: "parse: unexpected end of JSON input"},
		{Path: "data/big.tar", Message: "open: file is larger than 512 MiB"},
	})
	return r
}
