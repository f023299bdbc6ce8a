package match

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/vulndb/version"
)

var update = flag.Bool("update", false, "rewrite golden files")

var target = finding.Target{Kind: "filesystem", Name: "/src/app"}

func pkg(ecosystem, name, version string) inventory.Package {
	return inventory.Package{
		Name: name, Version: version, Ecosystem: ecosystem,
		Locations: []finding.Location{{Path: "requirements.txt", Line: 3}, {Path: "z/other.txt"}},
	}
}

// logger returns a logger writing text to buf.
func logger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func match(t *testing.T, src Source, opts Options, pkgs ...inventory.Package) []finding.Finding {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	got, err := New(src, opts).Match(context.Background(), target, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// summary is the part of a finding most tests assert on.
type summary struct {
	RuleID  string
	Aliases []string
	Fixed   []string
	Upgrade string
}

func summarize(fs []finding.Finding) []summary {
	out := make([]summary, 0, len(fs))
	for _, f := range fs {
		s := summary{RuleID: f.RuleID, Aliases: f.Aliases}
		if f.Fix != nil {
			s.Fixed, s.Upgrade = f.Fix.FixedVersions, f.Fix.Upgrade
		}
		out = append(out, s)
	}
	return out
}

// checkSummaries compares findings by rule id: their order depends on
// severities, which the in-memory source does not derive from CVSS.
func checkSummaries(t *testing.T, got []finding.Finding, want []summary) {
	t.Helper()
	g := summarize(got)
	slices.SortFunc(g, func(a, b summary) int { return strings.Compare(a.RuleID, b.RuleID) })
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("findings:\n got %v\nwant %v", g, want)
	}
}

// TestAliasGrouping: records of one package that alias each other are one
// finding, named by the preferred id, with every other id as an alias. The
// groups, fixed versions and upgrades below were also computed by a separate
// throwaway implementation (Python, packaging 23.0 for PEP 440) over the
// same records, and agree.
func TestAliasGrouping(t *testing.T) {
	mem, db := loadSource(t, "PyPI", "crates.io"), importDB(t, "PyPI", "crates.io")
	for _, tc := range []struct {
		name string
		pkg  inventory.Package
		want []summary
	}{{
		// PYSEC-2021-104 and PYSEC-2021-88 share GHSA-5pr9-v234-jw36;
		// PYSEC-2021-368 and PYSEC-2021-875 share GHSA-qcx9-j53g-ccgf
		// although their CVEs differ (osv-scanner merges them too). All
		// ranges in these records are written out of order.
		name: "zope 4.2",
		pkg:  pkg(inventory.EcosystemPyPI, "zope", "4.2"),
		want: []summary{
			{"PYSEC-2021-104", []string{"CVE-2021-32633", "CVE-2021-32674", "GHSA-5pr9-v234-jw36", "GHSA-5vq5-pg3r-9ph3", "GHSA-962m-m8jw-8wrr", "GHSA-rpcg-f9q6-2mq6", "PYSEC-2021-88"}, []string{"4.6", "4.6.1"}, "4.8.11"},
			{"PYSEC-2021-368", []string{"CVE-2021-32807", "CVE-2021-32811", "GHSA-g4gq-j4p2-j8fr", "GHSA-qcx9-j53g-ccgf", "PYSEC-2021-875"}, []string{"4.3", "4.6.3"}, "4.8.11"},
			{"PYSEC-2023-193", []string{"CVE-2023-44389", "GHSA-m755-gxxg-r5qh"}, []string{"4.8.11"}, "4.8.11"},
		},
	}, {
		// At 4.5 PYSEC-2021-875 ([4.0, 4.3)) no longer matches, so
		// PYSEC-2021-368 stands alone.
		name: "zope 4.5",
		pkg:  pkg(inventory.EcosystemPyPI, "zope", "4.5"),
		want: []summary{
			{"PYSEC-2021-104", []string{"CVE-2021-32633", "CVE-2021-32674", "GHSA-5pr9-v234-jw36", "GHSA-5vq5-pg3r-9ph3", "GHSA-962m-m8jw-8wrr", "GHSA-rpcg-f9q6-2mq6", "PYSEC-2021-88"}, []string{"4.6", "4.6.1"}, "4.8.11"},
			{"PYSEC-2021-368", []string{"CVE-2021-32811", "GHSA-g4gq-j4p2-j8fr", "GHSA-qcx9-j53g-ccgf"}, []string{"4.6.3"}, "4.8.11"},
			{"PYSEC-2023-193", []string{"CVE-2023-44389", "GHSA-m755-gxxg-r5qh"}, []string{"4.8.11"}, "4.8.11"},
		},
	}, {
		// Two PYSEC records for one CVE.
		name: "distributed",
		pkg:  pkg(inventory.EcosystemPyPI, "distributed", "2021.9.1"),
		want: []summary{
			{"PYSEC-2021-871", []string{"CVE-2021-42343", "GHSA-hwqr-f3v9-hwxr", "GHSA-j8fq-86c5-5v2r", "PYSEC-2021-872"}, []string{"2021.10.0"}, "2021.10.0"},
		},
	}, {
		// RustSec published RUSTSEC-2022-0075/0098, 0076/0102 and
		// 0096/0101 twice with the same aliases (and for 0096/0101,
		// different fixes); each pair is one finding whose fixed versions
		// are both records' fixes. The upgrade must clear all 42 wasmtime
		// records, not only the 27 findings of 0.33.0.
		name: "wasmtime 0.33.0",
		pkg:  pkg(inventory.EcosystemCrates, "wasmtime", "0.33.0"),
		want: []summary{
			{"RUSTSEC-2022-0075", []string{"CVE-2022-39393", "GHSA-wh6w-3828-g9qf", "RUSTSEC-2022-0098"}, []string{"1.0.2"}, "36.0.13"},
			{"RUSTSEC-2022-0076", []string{"CVE-2022-39392", "GHSA-44mr-8vmm-wjhg", "RUSTSEC-2022-0102"}, []string{"1.0.2"}, "36.0.13"},
			{"RUSTSEC-2022-0096", []string{"CVE-2022-23636", "CVE-2022-31169", "GHSA-7f6x-jwh5-m9r4", "GHSA-88xq-w8cq-xfg7", "RUSTSEC-2022-0101"}, []string{"0.33.1", "0.38.2"}, "36.0.13"},
		},
	}} {
		for name, src := range map[string]Source{"mem": mem, "db": db} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				got := match(t, src, Options{}, tc.pkg)
				checkSummaries(t, filterRules(got, tc.want), tc.want)
			})
		}
	}
}

// filterRules keeps the findings whose rule the expectations name, so a
// test about a few records is not broken by unrelated ones in the data.
func filterRules(fs []finding.Finding, want []summary) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if slices.ContainsFunc(want, func(s summary) bool { return s.RuleID == f.RuleID }) {
			out = append(out, f)
		}
	}
	return out
}

func TestGroupTransitiveAndPreferred(t *testing.T) {
	// A chain: PYSEC-b aliases GHSA-a, GHSA-a aliases CVE-1, OSV-c names
	// CVE-1 as upstream. In every input order that is one group, named by
	// the lexicographically first native id (OSV-c < PYSEC-b), then GHSA,
	// then CVE.
	vulns := []*vulndb.Vuln{
		{ID: "CVE-1"},
		{ID: "PYSEC-b", Aliases: []string{"GHSA-a"}},
		{ID: "GHSA-a", Aliases: []string{"CVE-1"}},
		{ID: "OSV-c", Upstream: []string{"CVE-1"}},
		{ID: "GHSA-z", Related: []string{"CVE-1"}}, // related is not an alias
	}
	for i := range 5 {
		perm := append(slices.Clone(vulns[i:]), vulns[:i]...)
		groups := group(perm)
		var ids [][]string
		for _, g := range groups {
			var gi []string
			for _, v := range g {
				gi = append(gi, v.ID)
			}
			ids = append(ids, gi)
		}
		want := [][]string{{"OSV-c", "PYSEC-b", "GHSA-a", "CVE-1"}, {"GHSA-z"}}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("rotation %d: groups %v, want %v", i, ids, want)
		}
		if got := aliases(groups[0], "OSV-c"); fmt.Sprint(got) != "[CVE-1 GHSA-a PYSEC-b]" {
			t.Errorf("aliases = %v", got)
		}
	}
}

// TestRanges covers the OSV evaluation rules on real records.
func TestRanges(t *testing.T) {
	src := loadSource(t, "PyPI")
	for _, tc := range []struct {
		name string
		pkg  inventory.Package
		want []summary
	}{{
		// PYSEC-2022-42969: introduced 0, last_affected 1.11.0 (inclusive,
		// and no fixed version to report or upgrade to).
		name: "last_affected is inclusive",
		pkg:  pkg(inventory.EcosystemPyPI, "py", "1.11.0"),
		want: []summary{{"PYSEC-2022-42969", []string{"CVE-2022-42969", "GHSA-w596-4wvx-j9j6"}, nil, ""}},
	}, {
		// 1.10.0 fixes PYSEC-2020-92 but is inside PYSEC-2022-42969's
		// range, so no upgrade fixes both.
		name: "upgrade blocked by last_affected",
		pkg:  pkg(inventory.EcosystemPyPI, "py", "1.9.0"),
		want: []summary{
			{"PYSEC-2020-92", []string{"CVE-2020-29651", "GHSA-hj5v-574p-mj7c"}, []string{"1.10.0"}, ""},
			{"PYSEC-2022-42969", []string{"CVE-2022-42969", "GHSA-w596-4wvx-j9j6"}, nil, ""},
		},
	}, {
		name: "past last_affected",
		pkg:  pkg(inventory.EcosystemPyPI, "py", "1.11.1"),
		want: nil,
	}, {
		// PYSEC-2018-19 lists [1.18.0, 1.18.5) after [2.3.0, 2.3.2): the
		// events must be sorted before the walk, and the fix is the one
		// that closes 1.18.2's interval, not the first in the record.
		name: "unsorted events",
		pkg:  pkg(inventory.EcosystemPyPI, "paramiko", "1.18.2"),
		want: []summary{
			{"PYSEC-2018-19", []string{"CVE-2018-7750", "GHSA-232r-66cg-79px"}, []string{"1.18.5"}, "2.9.3"},
			{"PYSEC-2018-69", []string{"CVE-2018-1000805", "GHSA-f2j6-wrhh-v25m"}, []string{"2.0.9"}, "2.9.3"},
			{"PYSEC-2022-166", []string{"CVE-2022-24302", "GHSA-f8q4-jwww-x3wv"}, []string{"2.9.3"}, "2.9.3"},
		},
	}, {
		// Between two intervals of PYSEC-2018-19 ([1.18.0,1.18.5) and
		// [2.0.0,2.0.8)): not affected by it.
		name: "between intervals",
		pkg:  pkg(inventory.EcosystemPyPI, "paramiko", "1.18.5"),
		want: []summary{
			{"PYSEC-2018-69", []string{"CVE-2018-1000805", "GHSA-f2j6-wrhh-v25m"}, []string{"2.0.9"}, "2.9.3"},
			{"PYSEC-2022-166", []string{"CVE-2022-24302", "GHSA-f8q4-jwww-x3wv"}, []string{"2.9.3"}, "2.9.3"},
		},
	}, {
		// "fixed" is exclusive.
		name: "at the fix",
		pkg:  pkg(inventory.EcosystemPyPI, "paramiko", "2.10.1"),
		want: nil,
	}, {
		// PEP 440 normalisation: 2.10.0 is 2.10, and 2.10 is not 2.1.
		name: "normalised version",
		pkg:  pkg(inventory.EcosystemPyPI, "paramiko", "2.10"),
		want: []summary{{"PYSEC-2022-166", []string{"CVE-2022-24302", "GHSA-f8q4-jwww-x3wv"}, []string{"2.10.1"}, "2.10.1"}},
	}, {
		// "0.9-doduo" is not PEP 440, so ranges cannot place it, but three
		// records list it verbatim in "versions".
		name: "exact versions entry",
		pkg:  pkg(inventory.EcosystemPyPI, "paramiko", "0.9-doduo"),
		want: []summary{
			{"PYSEC-2008-8", []string{"CVE-2008-0299"}, nil, ""},
			{"PYSEC-2018-19", []string{"CVE-2018-7750", "GHSA-232r-66cg-79px"}, nil, ""},
			{"PYSEC-2022-166", []string{"CVE-2022-24302", "GHSA-f8q4-jwww-x3wv"}, nil, ""},
		},
	}, {
		name: "unparseable and unlisted",
		pkg:  pkg(inventory.EcosystemPyPI, "paramiko", "0.9-zubat"),
		want: nil,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			checkSummaries(t, match(t, src, Options{}, tc.pkg), tc.want)
		})
	}
}

// TestVersionsLists: OSS-Fuzz records carry only GIT ranges (never
// matched by version) and an explicit versions list, with the severity on
// the affected entry.
func TestVersionsLists(t *testing.T) {
	src := loadSource(t, "PyPI")
	got := match(t, src, Options{}, pkg(inventory.EcosystemPyPI, "ujson", "5.1.0"))
	checkSummaries(t, got, []summary{{"OSV-2021-1809", nil, nil, ""}, {"OSV-2021-955", nil, nil, ""}})
	for _, f := range got {
		if f.Severity != finding.SeverityHigh || f.Fix != nil {
			t.Errorf("%s: severity %v, fix %+v; want high from the affected entry, no fix", f.RuleID, f.Severity, f.Fix)
		}
	}
	// "v1.35" in OSV-2021-955's list is PEP 440 for 1.35.
	checkSummaries(t, match(t, src, Options{}, pkg(inventory.EcosystemPyPI, "ujson", "1.35")), []summary{{"OSV-2021-955", nil, nil, ""}})
	// 5.1.0 fixes PYSEC-2022-25 but is listed by both OSS-Fuzz records: no upgrade.
	checkSummaries(t, match(t, src, Options{}, pkg(inventory.EcosystemPyPI, "ujson", "5.0.0")), []summary{
		{"OSV-2021-955", nil, nil, ""},
		{"PYSEC-2022-25", []string{"CVE-2021-45958", "GHSA-fh56-85cw-5pq6"}, []string{"5.1.0"}, ""},
	})
}

// TestMergedFields: how a group's records combine into one finding.
func TestMergedFields(t *testing.T) {
	src := newMemSource()
	src.vulns["GHSA-aaaa"] = &vulndb.Vuln{
		ID: "GHSA-aaaa", Summary: "from the GHSA", Details: "GHSA details", Aliases: []string{"CVE-2024-1", "PYSEC-2024-1"},
		Severity: finding.SeverityCritical, CVSS: []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
		References: []string{"https://a", "https://b"}, CWEs: []string{"CWE-79", "CWE-20"},
	}
	src.vulns["PYSEC-2024-1"] = &vulndb.Vuln{
		ID: "PYSEC-2024-1", Details: "\n  PYSEC details, first line\nmore", Aliases: []string{"CVE-2024-1"},
		Severity: finding.SeverityMedium, References: []string{"https://b", "https://c"}, CWEs: []string{"CWE-79"},
	}
	for _, id := range []string{"GHSA-aaaa", "PYSEC-2024-1"} {
		k := queryKey{"PyPI", "demo"}
		src.affected[k] = append(src.affected[k], vulndb.Affected{ID: id, Ecosystem: "PyPI", Package: "demo",
			Ranges: []vulndb.Range{{Type: vulndb.RangeEcosystem, Events: []vulndb.Event{{Introduced: "0"}, {Fixed: "1.0.1"}}}}})
	}
	got := match(t, src, Options{}, pkg(inventory.EcosystemPyPI, "demo", "1.0"))
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1", len(got))
	}
	f := got[0]
	want := finding.Finding{
		Fingerprint: f.ComputeFingerprint(),
		Kind:        finding.KindVulnerability,
		RuleID:      "PYSEC-2024-1",
		Aliases:     []string{"CVE-2024-1", "GHSA-aaaa"},
		Title:       "PYSEC details, first line",
		Description: "PYSEC details, first line\nmore",
		Severity:    finding.SeverityCritical,
		CVSS:        src.vulns["GHSA-aaaa"].CVSS,
		Target:      target,
		Location:    finding.Location{Path: "requirements.txt", Line: 3},
		Package:     &finding.Package{Name: "demo", Version: "1.0", Ecosystem: "PyPI"},
		Fix:         &finding.Fix{FixedVersions: []string{"1.0.1"}, Upgrade: "1.0.1"},
		Mappings:    map[string][]string{"cwe": {"CWE-20", "CWE-79"}},
		References:  []string{"https://b", "https://c", "https://a"}, // preferred record's first
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("finding:\n got %+v\nwant %+v", f, want)
	}
}

func TestBoundsAffects(t *testing.T) {
	// Real event lists (PYSEC-2018-19, PYSEC-2022-42969) plus limit
	// events, which no record in the corpus uses; the limit cases follow the
	// OSV pseudocode (BeforeLimits).
	paramiko := []vulndb.Event{
		{Introduced: "0"}, {Fixed: "1.17.6"}, {Introduced: "2.0.0"}, {Fixed: "2.0.8"}, {Introduced: "2.1.0"}, {Fixed: "2.1.5"},
		{Introduced: "2.2.0"}, {Fixed: "2.2.3"}, {Introduced: "2.3.0"}, {Fixed: "2.3.2"}, {Introduced: "1.18.0"}, {Fixed: "1.18.5"},
	}
	py := []vulndb.Event{{Introduced: "0"}, {LastAffected: "1.11.0"}}
	limited := []vulndb.Event{{Introduced: "1.0"}, {Limit: "1.5"}, {Limit: "2.5"}}
	star := []vulndb.Event{{Introduced: "1.0"}, {Limit: "*"}}
	for _, tc := range []struct {
		events []vulndb.Event
		v      string
		in     bool
		fix    string
	}{
		{paramiko, "0.1", true, "1.17.6"},
		{paramiko, "1.17.6", false, ""},
		{paramiko, "1.18.0", true, "1.18.5"},
		{paramiko, "1.18.4.post1", true, "1.18.5"},
		{paramiko, "2.0.7", true, "2.0.8"},
		{paramiko, "2.3.1", true, "2.3.2"},
		{paramiko, "2.3.2", false, ""},
		{paramiko, "2.4.0rc1", false, ""},
		{py, "1.11.0", true, ""},
		{py, "1.11.0+local", false, ""},
		{py, "0.1.dev1", true, ""},
		{limited, "0.9", false, ""},
		{limited, "1.0", true, ""},
		{limited, "2.4", true, ""},
		{limited, "2.5", false, ""},
		{star, "99", true, ""},
	} {
		b, bad := parseRange("PyPI", tc.events)
		if bad != "" {
			t.Fatalf("parse %v: bad %q", tc.events, bad)
		}
		v := mustParse(t, "PyPI", tc.v)
		in, fix := b.affects(v)
		gotFix := ""
		if fix != nil {
			gotFix = fix.text
		}
		if in != tc.in || gotFix != tc.fix {
			t.Errorf("%v at %s = %v %q, want %v %q", tc.events, tc.v, in, gotFix, tc.in, tc.fix)
		}
	}
	if _, bad := parseRange("PyPI", []vulndb.Event{{Introduced: "0"}, {Fixed: "2013-01-21T20:33:09+0100"}}); bad == "" {
		t.Error("a range with an unparseable fixed version must be unusable")
	}
}

// TestGoVersions: the standard library accepts the spellings the
// inventory and build info use, and reports fixes the way each spells them.
func TestGoVersions(t *testing.T) {
	src := loadSource(t, "Go")
	var first []summary
	for _, v := range []string{"1.20.10", "go1.20.10", "v1.20.10"} {
		p := pkg(inventory.EcosystemGo, "stdlib", v)
		got := summarize(match(t, src, Options{GOOS: "linux", GOARCH: "amd64"}, p))
		if first == nil {
			first = got
			// 67 is govulncheck's count for go1.20.10 on linux/amd64
			// (testdata/govulncheck/linux-amd64.tsv); it confirmed 1.25.13
			// has no finding.
			if len(got) != 67 || got[0].Upgrade != "1.25.13" || got[0].Fixed[0] != "1.20.11" {
				t.Fatalf("stdlib %s: %d findings, first %v", v, len(got), got[0])
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(first) {
			t.Errorf("stdlib %s differs from 1.20.10:\n%v\n%v", v, got, first)
		}
	}
	// A module: "v" added to OSV's bare versions.
	got := match(t, src, Options{GOOS: "linux", GOARCH: "amd64"}, pkg(inventory.EcosystemGo, "golang.org/x/crypto", "v0.0.0-20190308221718-c2843e01d9a2"))
	f := findRule(t, got, "GO-2022-0209")
	if f.Fix == nil || fmt.Sprint(f.Fix.FixedVersions) != "[v0.0.0-20190320223903-b7391e95e576]" || f.Fix.Upgrade != "" {
		t.Errorf("GO-2022-0209 fix = %+v", f.Fix)
	}
	// No version, or the main module's "(devel)": nothing, and no warning.
	var buf bytes.Buffer
	got = match(t, src, Options{Logger: logger(&buf)},
		pkg(inventory.EcosystemGo, "golang.org/x/net", ""),
		pkg(inventory.EcosystemGo, "golang.org/x/net", "(devel)"))
	if len(got) != 0 || buf.Len() != 0 {
		t.Errorf("got %d findings and log %q, want none", len(got), buf.String())
	}
}

func findRule(t *testing.T, fs []finding.Finding, id string) *finding.Finding {
	t.Helper()
	for i := range fs {
		if fs[i].RuleID == id {
			return &fs[i]
		}
	}
	t.Fatalf("no finding %s among %d", id, len(fs))
	return nil
}

// TestGoPlatform: the package's platform wins, then Options.
func TestGoPlatform(t *testing.T) {
	src := loadSource(t, "Go")
	has := func(fs []finding.Finding, id string) bool {
		return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.RuleID == id })
	}
	std := pkg(inventory.EcosystemGo, "stdlib", "1.20.10")
	winStd := std
	winStd.GOOS, winStd.GOARCH = "windows", "amd64"
	old := pkg(inventory.EcosystemGo, "stdlib", "1.8.1")
	for _, tc := range []struct {
		name string
		p    inventory.Package
		opts Options
		id   string // GO-2023-2185 is windows-only, GO-2026-4864 linux-only, GO-2022-0187 amd64-only
		want bool
	}{
		{"options windows", std, Options{GOOS: "windows", GOARCH: "amd64"}, "GO-2023-2185", true},
		{"options linux", std, Options{GOOS: "linux", GOARCH: "amd64"}, "GO-2023-2185", false},
		{"package beats options", winStd, Options{GOOS: "linux", GOARCH: "amd64"}, "GO-2023-2185", true},
		{"linux only on linux", std, Options{GOOS: "linux", GOARCH: "arm64"}, "GO-2026-4864", true},
		{"linux only on darwin", std, Options{GOOS: "darwin", GOARCH: "arm64"}, "GO-2026-4864", false},
		{"goarch match", old, Options{GOOS: "linux", GOARCH: "amd64"}, "GO-2022-0187", true},
		{"goarch mismatch", old, Options{GOOS: "linux", GOARCH: "arm64"}, "GO-2022-0187", false},
		// A go.mod names no platform: with none given, every platform's
		// vulnerabilities apply (govulncheck source mode at module level).
		{"no platform: windows-only kept", std, Options{}, "GO-2023-2185", true},
		{"no platform: linux-only kept", std, Options{}, "GO-2026-4864", true},
		{"package platform without options", winStd, Options{}, "GO-2026-4864", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := has(match(t, src, tc.opts, tc.p), tc.id); got != tc.want {
				t.Errorf("%s found = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
	imports := []vulndb.GoImport{{Path: "a", GOOS: []string{"windows"}, GOARCH: []string{"amd64"}}, {Path: "b", GOARCH: []string{"386"}}}
	for _, tc := range []struct {
		goos, goarch string
		want         bool
	}{{"windows", "amd64", true}, {"linux", "amd64", false}, {"windows", "arm64", false}, {"linux", "386", true}, {"", "", true}} {
		if got := platformApplies(imports, tc.goos, tc.goarch); got != tc.want {
			t.Errorf("platformApplies(%s/%s) = %v, want %v", tc.goos, tc.goarch, got, tc.want)
		}
	}
}

// TestAlpineReleases: a record scoped to one Alpine release applies only
// to packages of that release.
func TestAlpineReleases(t *testing.T) {
	for name, src := range map[string]Source{"mem": loadSource(t, "Alpine"), "db": importDB(t, "Alpine")} {
		t.Run(name, func(t *testing.T) { checkAlpine(t, src) })
	}
	for _, tc := range []struct {
		pkg, rec string
		want     bool
	}{
		{"Alpine:v3.11", "Alpine:v3.11", true},
		{"Alpine:v3.11", "Alpine:v3.10", false},
		{"Alpine:v3.11", "Alpine", true},
		{"Alpine", "Alpine:v3.11", false},
		{"Debian:12", "Ubuntu:12", false},
		{"Go", "Go", true},
	} {
		if got := ecosystemApplies(tc.pkg, tc.rec); got != tc.want {
			t.Errorf("ecosystemApplies(%q, %q) = %v", tc.pkg, tc.rec, got)
		}
	}
}

func checkAlpine(t *testing.T, src Source) {
	v310 := match(t, src, Options{}, pkg("Alpine:v3.10", "openssl", "1.1.1d-r0"))
	if len(v310) != 0 {
		t.Errorf("Alpine:v3.10 openssl 1.1.1d-r0: %v, want none", summarize(v310))
	}
	checkSummaries(t, match(t, src, Options{}, pkg("Alpine:v3.11", "openssl", "1.1.1d-r0")), []summary{
		{"ALPINE-CVE-2019-1547", []string{"CVE-2019-1547"}, []string{"1.1.1d-r1"}, "1.1.1d-r3"},
		{"ALPINE-CVE-2019-1549", []string{"CVE-2019-1549"}, []string{"1.1.1d-r1"}, "1.1.1d-r3"},
		{"ALPINE-CVE-2019-1551", []string{"CVE-2019-1551"}, []string{"1.1.1d-r3"}, "1.1.1d-r3"},
		{"ALPINE-CVE-2019-1563", []string{"CVE-2019-1563"}, []string{"1.1.1d-r1"}, "1.1.1d-r3"},
	})
	if got := match(t, src, Options{}, pkg("Alpine", "openssl", "1.1.1d-r0")); len(got) != 0 {
		t.Errorf("Alpine without a release: %v, want none", summarize(got))
	}
}

// TestQueriesOnce: one query per (ecosystem, name) and one fetch per
// record, however many packages share them.
func TestQueriesOnce(t *testing.T) {
	src := loadSource(t, "PyPI")
	pkgs := []inventory.Package{
		pkg(inventory.EcosystemPyPI, "zope", "4.2"),
		pkg(inventory.EcosystemPyPI, "zope", "4.5"),
		pkg(inventory.EcosystemPyPI, "zope", "4.2"),
		pkg(inventory.EcosystemPyPI, "paramiko", "1.18.2"),
		pkg(inventory.EcosystemPyPI, "not-in-db", "1.0"),
	}
	got := match(t, src, Options{}, pkgs...)
	if len(got) != 12 {
		t.Errorf("%d findings, want 12 (3 for each zope, 3 for paramiko)", len(got))
	}
	for k, n := range src.queries {
		if n != 1 {
			t.Errorf("%v queried %d times", k, n)
		}
	}
	if len(src.queries) != 3 {
		t.Errorf("queries = %v", src.queries)
	}
	for id, n := range src.fetches {
		if n != 1 {
			t.Errorf("%s fetched %d times", id, n)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b finding.Finding) int {
		if finding.Less(&a, &b) {
			return -1
		}
		if finding.Less(&b, &a) {
			return 1
		}
		return 0
	}) {
		t.Error("findings not sorted by finding.Less")
	}
}

func TestWarnings(t *testing.T) {
	src := loadSource(t, "PyPI")
	var buf bytes.Buffer
	match(t, src, Options{Logger: logger(&buf)},
		pkg(inventory.EcosystemPyPI, "paramiko", "0.9-zubat"),
		pkg(inventory.EcosystemPyPI, "paramiko", "0.9-zubat"),
		pkg(inventory.EcosystemPyPI, "paramiko", "0.9-doduo"))
	if n := strings.Count(buf.String(), "version does not parse"); n != 2 {
		t.Errorf("%d warnings, want one per distinct version:\n%s", n, buf.String())
	}

	// A record whose range has a version its ecosystem cannot parse: the
	// range is skipped with one warning, the rest of the record still counts.
	bad := newMemSource()
	addJSON(t, bad, `{"id": "PYSEC-X", "affected": [{
		"package": {"ecosystem": "PyPI", "name": "limnoria"},
		"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2013-01-21T20:33:09+0100"}]}],
		"versions": ["2013-01-21T20:33:09+0100"]}]}`)
	buf.Reset()
	got := match(t, bad, Options{Logger: logger(&buf)},
		pkg(inventory.EcosystemPyPI, "limnoria", "2013-01-21T20:33:09+0100"),
		pkg(inventory.EcosystemPyPI, "limnoria", "2020.1.1"))
	checkSummaries(t, got, []summary{{"PYSEC-X", nil, nil, ""}})
	if n := strings.Count(buf.String(), "skipping an OSV range"); n != 1 {
		t.Errorf("%d range warnings, want 1:\n%s", n, buf.String())
	}

	// An ecosystem without an ordering (opam is not in semantic): ranges
	// are unusable, the versions list still matches, one warning.
	opam := newMemSource()
	addJSON(t, opam, `{"id": "OSV-OPAM", "affected": [{
		"package": {"ecosystem": "opam", "name": "tls"},
		"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.17.0"}]}],
		"versions": ["0.16.0"]}]}`)
	buf.Reset()
	got = match(t, opam, Options{Logger: logger(&buf)},
		pkg("opam", "tls", "0.16.0"), pkg("opam", "tls", "0.15.0"))
	checkSummaries(t, got, []summary{{"OSV-OPAM", nil, nil, ""}})
	if n := strings.Count(buf.String(), "no version ordering"); n != 1 {
		t.Errorf("%d ecosystem warnings, want 1:\n%s", n, buf.String())
	}
}

type failingSource struct {
	memSource
	err error
}

func (s *failingSource) Affected(context.Context, string, string) ([]vulndb.Affected, error) {
	return nil, s.err
}

func TestSourceErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := New(&failingSource{err: boom}, Options{}).Match(context.Background(), target, []inventory.Package{pkg("npm", "x", "1.0.0")})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "npm package x") {
		t.Errorf("err = %v", err)
	}

	// A record the index names but the store lacks: bare finding, warning.
	src := loadSource(t, "PyPI")
	delete(src.vulns, "PYSEC-2022-42969")
	var buf bytes.Buffer
	got := match(t, src, Options{Logger: logger(&buf)}, pkg(inventory.EcosystemPyPI, "py", "1.11.0"))
	if len(got) != 1 || got[0].RuleID != "PYSEC-2022-42969" || got[0].Title != "PYSEC-2022-42969" {
		t.Errorf("got %+v", got)
	}
	if !strings.Contains(buf.String(), "missing from the database") {
		t.Errorf("no warning: %q", buf.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(loadSource(t, "PyPI"), Options{}).Match(ctx, target, []inventory.Package{pkg(inventory.EcosystemPyPI, "py", "1.0")}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func addJSON(t *testing.T, s *memSource, record string) {
	t.Helper()
	var r osvRecord
	if err := json.Unmarshal([]byte(record), &r); err != nil {
		t.Fatal(err)
	}
	s.add(&r)
}

func mustParse(t *testing.T, ecosystem, v string) version.Version {
	t.Helper()
	p, err := version.Parse(ecosystem, v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTitleAndTruncate(t *testing.T) {
	for _, tc := range []struct {
		g    []*vulndb.Vuln
		want string
	}{
		{[]*vulndb.Vuln{{ID: "A", Summary: " S ", Details: "D"}}, "S"},
		{[]*vulndb.Vuln{{ID: "A", Details: "\nfirst line\nsecond"}}, "first line"},
		{[]*vulndb.Vuln{{ID: "A"}, {ID: "B", Summary: "from B"}}, "from B"},
		{[]*vulndb.Vuln{{ID: "A"}}, "A"},
	} {
		if got := title(tc.g); got != tc.want {
			t.Errorf("title = %q, want %q", got, tc.want)
		}
	}
	if got := truncate("héllo wörld", 9); got != "héllo…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 9); got != "short" {
		t.Errorf("truncate = %q", got)
	}
}

// TestGolden pins every field of the findings for a small mixed inventory.
// Run with -update to rewrite testdata/golden/mixed.json after a reviewed
// change.
func TestGolden(t *testing.T) {
	src := loadSource(t, "Go", "PyPI", "crates.io", "Alpine")
	goBin := pkg(inventory.EcosystemGo, "golang.org/x/net", "v0.0.0-20220906165146-f3363e06e74c")
	goBin.GOOS, goBin.GOARCH = "linux", "amd64"
	goBin.Locations = []finding.Location{{Path: "usr/bin/app", Layer: "sha256:0a1b"}}
	pkgs := []inventory.Package{
		goBin,
		pkg(inventory.EcosystemPyPI, "distributed", "2021.9.1"),
		pkg(inventory.EcosystemCrates, "wasmtime", "2.0.1"),
		pkg("Alpine:v3.11", "openssl", "1.1.1d-r2"),
		pkg(inventory.EcosystemPyPI, "py", "1.11.0"),
		pkg(inventory.EcosystemPyPI, "ujson", "5.1.0"),
	}
	got := match(t, src, Options{}, pkgs...)
	for _, f := range got {
		if f.Fingerprint != f.ComputeFingerprint() || f.Kind != finding.KindVulnerability || f.Target != target {
			t.Errorf("%s: bad fingerprint/kind/target", f.RuleID)
		}
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", "mixed.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("findings differ from %s (run with -update after checking the diff):\n%s", path, b)
	}
}

// Debian and Alpine advisories name source packages: a binary package is
// matched by its source name and version and reported as itself.
func TestMatchBySourcePackage(t *testing.T) {
	src := loadSource(t, "Alpine")
	libssl := inventory.Package{
		Name: "libssl1.1", Version: "1.1.1d-r0", Ecosystem: "Alpine:v3.11",
		SourceName: "openssl", SourceVersion: "1.1.1d-r0",
		Locations: []finding.Location{{Path: "lib/apk/db/installed", Line: 40}},
	}
	got := match(t, src, Options{}, libssl)
	if len(got) == 0 {
		t.Fatal("no findings for libssl1.1 from source openssl 1.1.1d-r0")
	}
	for _, f := range got {
		if f.Package.Name != "libssl1.1" || f.Package.Version != "1.1.1d-r0" {
			t.Errorf("%s reported for %s %s, want the binary package", f.RuleID, f.Package.Name, f.Package.Version)
		}
		if f.Fingerprint != f.ComputeFingerprint() {
			t.Errorf("%s: stale fingerprint", f.RuleID)
		}
	}
	// Without a source name, the binary name is looked up (and has no records).
	noSource := libssl
	noSource.SourceName = ""
	if got := match(t, src, Options{}, noSource); len(got) != 0 {
		t.Errorf("binary name matched %d records", len(got))
	}
}
