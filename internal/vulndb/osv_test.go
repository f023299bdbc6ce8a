package vulndb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func readTestRecord(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "osv", rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t *testing.T, rel string) *record {
	t.Helper()
	rec, err := parseRecord(readTestRecord(t, rel))
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	return rec
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseRecordVuln(t *testing.T) {
	tests := []struct {
		file      string
		withdrawn bool
		want      Vuln
	}{
		{
			file: "Go/GO-2022-0969.json",
			want: Vuln{
				ID:         "GO-2022-0969",
				Summary:    "Denial of service in net/http and golang.org/x/net/http2",
				Aliases:    []string{"CVE-2022-27664", "GHSA-69cg-p879-7622"},
				Published:  date("2022-09-12T20:23:06Z"),
				Modified:   time.Time{}, // 0001-01-01T00:00:00Z in the record
				Severity:   finding.SeverityUnknown,
				References: []string{"https://groups.google.com/g/golang-announce/c/x49AQzIVX-s", "https://go.dev/issue/54658", "https://go.dev/cl/428735"},
				Ecosystems: []string{"Go"},
			},
		},
		{
			file:      "Go/GO-2022-0617.json",
			withdrawn: true,
			want: Vuln{
				ID:         "GO-2022-0617",
				Summary:    "WITHDRAWN: Potential proxy IP restriction bypass in Kubernetes in k8s.io/kubernetes",
				Aliases:    []string{"CVE-2020-8562", "GHSA-qh36-44jv-c8xj"},
				Ecosystems: []string{"Go"},
			},
		},
		{
			file: "crates.io/RUSTSEC-2016-0001.json",
			want: Vuln{
				ID:         "RUSTSEC-2016-0001",
				Summary:    "SSL/TLS MitM vulnerability due to insecure defaults",
				Aliases:    []string{"CVE-2016-10931", "GHSA-34p9-f4q3-c4r7"},
				Published:  date("2016-11-05T12:00:00Z"),
				Modified:   date("2023-06-13T13:10:24Z"),
				Severity:   finding.SeverityHigh,
				CVSS:       []finding.CVSS{{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 8.1}},
				Ecosystems: []string{"crates.io"},
			},
		},
		{
			file: "crates.io/RUSTSEC-2018-0020.json",
			want: Vuln{
				ID:         "RUSTSEC-2018-0020",
				Summary:    "Possible use-after-free with `proplist::Iterator`",
				Aliases:    []string{"CVE-2018-25001", "GHSA-6gvc-4jvj-pwq4", "GHSA-f56g-chqp-22m9"},
				Published:  date("2018-12-22T12:00:00Z"),
				Modified:   date("2024-02-10T15:57:43Z"),
				Severity:   finding.SeverityMedium,
				CVSS:       []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", Score: 6.5}},
				Ecosystems: []string{"crates.io"},
			},
		},
		{
			file: "crates.io/RUSTSEC-2024-0445.json",
			want: Vuln{
				ID:         "RUSTSEC-2024-0445",
				Summary:    "cap-primitives doesn't fully sandbox all the Windows device filenames",
				Aliases:    []string{"CVE-2024-51756", "GHSA-hxf5-99xg-86hw"},
				Published:  date("2024-11-05T12:00:00Z"),
				Modified:   date("2025-12-19T21:01:24Z"),
				Severity:   finding.SeverityLow,
				CVSS:       []finding.CVSS{{Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", Score: 2.3}},
				Ecosystems: []string{"crates.io"},
			},
		},
		{
			file: "crates.io/RUSTSEC-2025-0168.json",
			want: Vuln{
				ID:         "RUSTSEC-2025-0168",
				Summary:    "Incorrect path canonicalization during Archive Extraction Leading to Arbitrary File Write",
				Aliases:    []string{"CVE-2025-29787", "GHSA-94vh-gphv-8pm8"},
				Published:  date("2025-03-16T12:00:00Z"),
				Modified:   date("2026-08-11T10:24:59Z"),
				Severity:   finding.SeverityHigh,
				CVSS:       []finding.CVSS{{Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:L/VI:H/VA:N/SC:H/SI:H/SA:H", Score: 7.3}},
				Ecosystems: []string{"crates.io"},
			},
		},
		{
			file: "RubyGems/GHSA-229r-pqp6-8w6g.json",
			want: Vuln{
				ID:        "GHSA-229r-pqp6-8w6g",
				Summary:   "High severity vulnerability that affects sprout",
				Aliases:   []string{"CVE-2013-6421"},
				Published: date("2017-10-24T18:33:36Z"),
				Modified:  date("2020-06-16T20:50:49Z"),
				// No CVSS: database_specific.severity decides.
				Severity:   finding.SeverityHigh,
				CWEs:       []string{"CWE-94"},
				Ecosystems: []string{"RubyGems"},
			},
		},
		{
			file: "Alpine/ALPINE-CVE-2012-6706.json",
			want: Vuln{
				ID:         "ALPINE-CVE-2012-6706",
				Upstream:   []string{"CVE-2012-6706"},
				Modified:   date("2020-06-08T13:44:53Z"),
				References: []string{"https://security.alpinelinux.org/vuln/CVE-2012-6706"},
				Ecosystems: []string{"Alpine"},
			},
		},
		{
			file: "PyPI/OSV-2021-955.json",
			want: Vuln{
				ID:        "OSV-2021-955",
				Summary:   "Stack-buffer-overflow in Buffer_AppendIndentUnchecked",
				Published: date("2021-07-11T00:01:05.153778Z"),
				Modified:  date("2022-05-19T00:45:08.957102Z"),
				// Only the affected entry has a severity (OSS-Fuzz style).
				Severity:   finding.SeverityHigh,
				References: []string{"https://bugs.chromium.org/p/oss-fuzz/issues/detail?id=36009"},
				Ecosystems: []string{"PyPI"},
			},
		},
		{
			file: "handwritten/TEST-SU-2024_0001-1.json",
			want: Vuln{
				ID:        "TEST-SU-2024:0001-1",
				Summary:   "Hand-written: an id with a colon, a mixed-case Packagist name and a limit event",
				Aliases:   []string{"CVE-0000-0001"},
				Published: date("2024-02-28T09:30:00.123Z"),
				Modified:  date("2024-03-01T10:00:00Z"),
				// v4 (2.3, low) is preferred over v3 (10.0, critical).
				Severity: finding.SeverityLow,
				CVSS: []finding.CVSS{
					{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10},
					{Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", Score: 2.3},
					{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", Score: 6.5},
				},
				References: []string{"https://example.invalid/TEST-SU-2024:0001-1"},
				CWEs:       []string{"CWE-79", "CWE-80"},
				Ecosystems: []string{"Packagist"},
			},
		},
		{
			file: "handwritten/TEST-GIT-0001.json",
			want: Vuln{
				ID:       "TEST-GIT-0001",
				Summary:  "Hand-written: affected entries without a package (GIT ranges only)",
				Upstream: []string{"CVE-0000-0002"},
				Modified: date("2024-01-02T03:04:05Z"),
				Severity: finding.SeverityMedium, // MODERATE
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := mustParse(t, tt.file)
			if rec.withdrawn != tt.withdrawn {
				t.Errorf("withdrawn = %v, want %v", rec.withdrawn, tt.withdrawn)
			}
			got := *rec.vuln
			// Details are long; reference lists are compared where the
			// case lists them.
			got.Details = ""
			if tt.want.References == nil {
				got.References = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("vuln mismatch\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRecordAffected(t *testing.T) {
	tests := []struct {
		file string
		want []Affected
	}{
		{
			file: "Go/GO-2021-0051.json",
			want: []Affected{{
				ID: "GO-2021-0051", Ecosystem: "Go", Package: "github.com/labstack/echo/v4",
				Ranges: []Range{{Type: RangeSemver, Events: []Event{
					{Introduced: "0"}, {Fixed: "4.1.18-0.20201215153152-4422e3b66b9f"},
				}}},
				Imports: []GoImport{{
					Path:    "github.com/labstack/echo/v4",
					GOOS:    []string{"windows"},
					Symbols: []string{"Echo.Static", "Group.Static", "common.static"},
				}},
			}},
		},
		{
			file: "Go/GO-2022-0247.json",
			want: []Affected{{
				ID: "GO-2022-0247", Ecosystem: "Go", Package: "toolchain",
				Ranges: []Range{{Type: RangeSemver, Events: []Event{
					{Introduced: "0"}, {Fixed: "1.16.9"}, {Introduced: "1.17.0-0"}, {Fixed: "1.17.2"},
				}}},
				Imports: []GoImport{{Path: "cmd/link", GOOS: []string{"js"}, GOARCH: []string{"wasm"}, Symbols: []string{"Link.address"}}},
			}},
		},
		{
			file: "RubyGems/GHSA-229r-pqp6-8w6g.json",
			want: []Affected{{
				ID: "GHSA-229r-pqp6-8w6g", Ecosystem: "RubyGems", Package: "sprout",
				Ranges: []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {LastAffected: "0.7.246"}}}},
			}},
		},
		{
			file: "PyPI/OSV-2021-955.json",
			want: []Affected{{
				ID: "OSV-2021-955", Ecosystem: "PyPI", Package: "ujson",
				Ranges: []Range{{Type: RangeGit, Repo: "https://github.com/ultrajson/ultrajson.git", Events: []Event{
					{Introduced: "0c52200eb4e2d97e548a765d5f089858c41967b0"},
					{Fixed: "f6860f1f3d8d4e92b9be0e5815355a8976c6e75b"},
					{Fixed: "5525f8c9ef8bb879dadd0eb942d524827d1b0362"},
				}}},
				Versions: []string{"2.0.0", "2.0.1", "2.0.2", "2.0.3", "3.0.0", "3.1.0", "3.2.0", "4.0.0", "4.0.1", "4.0.2", "4.1.0", "4.2.0", "4.3.0", "5.0.0", "5.1.0", "v1.34", "v1.35"},
				Severity: "high",
			}},
		},
		{
			file: "handwritten/TEST-SU-2024_0001-1.json",
			want: []Affected{{
				ID: "TEST-SU-2024:0001-1", Ecosystem: "Packagist", Package: "Acme/Widget-Bundle",
				Ranges: []Range{{Type: RangeEcosystem, Events: []Event{
					{Introduced: "1.0.0"}, {Fixed: "1.4.2"}, {Limit: "2.0.0"},
				}}},
				Severity: "medium", // its own CVSS v3.1 6.5
			}},
		},
		{
			file: "handwritten/TEST-GIT-0001.json",
			want: nil, // no package: nothing to index
		},
		{
			file: "crates.io/RUSTSEC-2016-0001.json",
			want: []Affected{{
				ID: "RUSTSEC-2016-0001", Ecosystem: "crates.io", Package: "openssl",
				Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: "0.0.0-0"}, {Fixed: "0.9.0"}}}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := mustParse(t, tt.file).affected
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("affected mismatch\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRecordAlpineReleases(t *testing.T) {
	rec := mustParse(t, "Alpine/ALPINE-CVE-2012-6706.json")
	var ecos []string
	for _, a := range rec.affected {
		ecos = append(ecos, a.Ecosystem+" "+a.Package+" "+a.Ranges[0].Events[1].Fixed)
	}
	want := []string{
		"Alpine:v3.10 clamav 0.99.4-r0", "Alpine:v3.11 clamav 0.99.4-r0",
		"Alpine:v3.8 clamav 0.99.4-r0", "Alpine:v3.9 clamav 0.99.4-r0",
	}
	if !reflect.DeepEqual(ecos, want) {
		t.Errorf("got %q, want %q", ecos, want)
	}
}

func TestParseRecordLastAffectedAndVersions(t *testing.T) {
	rec := mustParse(t, "PyPI/PYSEC-2022-42969.json")
	a := rec.affected[0]
	if got := a.Ranges[0].Events; !reflect.DeepEqual(got, []Event{{Introduced: "0"}, {LastAffected: "1.11.0"}}) {
		t.Errorf("events = %+v", got)
	}
	if len(a.Versions) != 65 || a.Versions[0] != "0.8.0-alpha2" || a.Versions[64] != "1.11.0" {
		t.Errorf("versions: %d, first %q, last %q", len(a.Versions), a.Versions[0], a.Versions[len(a.Versions)-1])
	}
}

func TestParseRecordMalformed(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{"malformed/truncated.json", "decode OSV JSON"},
		{"malformed/array.json", "decode OSV JSON"},
		{"malformed/no-id.json", "record has no id"},
		{"malformed/two-kinds-in-one-event.json", "events[0] has 2 of introduced"},
		{"malformed/bad-time.json", "modified: parsing time"},
		{"malformed/wrong-type.json", "decode OSV JSON"},
		{"malformed/control-char-name.json", "contains a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := parseRecord(readTestRecord(t, tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseRecordEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string // "" for success
	}{
		{"colon id", `{"id":"RHSA-2024:0001"}`, ""},
		{"trailing data", `{"id":"A"} {"id":"B"}`, "after top-level value"},
		{"empty event", `{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{}]}]}]}`, "has 0 of"},
		{"empty version", `{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"fixed":""}]}]}]}`, "empty version"},
		{"semver without events", `{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[]}]}]}`, "without events"},
		{"range without type", `{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"events":[{"introduced":"0"}]}]}]}`, "without a type"},
		{"empty base ecosystem", `{"id":"A","affected":[{"package":{"ecosystem":":12","name":"x"}}]}`, "no name before"},
		{"pypi name that normalizes to nothing", `{"id":"A","affected":[{"package":{"ecosystem":"PyPI","name":"._-"}}]}`, "empty once normalized"},
		{"bad imports", `{"id":"A","affected":[{"package":{"ecosystem":"Go","name":"x"},"ecosystem_specific":{"imports":"net/http"}}]}`, "ecosystem_specific.imports"},
		{"odd ecosystem_specific is ignored", `{"id":"A","affected":[{"package":{"ecosystem":"Go","name":"x"},"ecosystem_specific":[1,2]}]}`, ""},
		{"odd database_specific is ignored", `{"id":"A","database_specific":{"severity":{"x":1},"cwe_ids":"CWE-1"}}`, ""},
		{"bad CVSS vector is ignored", `{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:X"}]}`, ""},
		{"zero withdrawn is not withdrawn", `{"id":"A","withdrawn":"0001-01-01T00:00:00Z"}`, ""},
		{"id too long", `{"id":"` + strings.Repeat("A", maxIDBytes+1) + `"}`, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := parseRecord([]byte(tt.json))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if rec.withdrawn {
					t.Error("record is withdrawn")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzParseRecord checks that the parser never panics and that whatever it
// accepts can be stored and read back unchanged.
func FuzzParseRecord(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "osv", "*", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := parseRecord(data)
		if err != nil {
			if rec != nil {
				t.Fatal("record returned with an error")
			}
			return
		}
		if err := checkID(rec.vuln.ID); err != nil {
			t.Fatalf("accepted bad id: %v", err)
		}
		for _, a := range rec.affected {
			if a.ID != rec.vuln.ID || a.Ecosystem == "" || a.Package == "" {
				t.Fatalf("bad affected entry %+v", a)
			}
			back, err := decodeAffected(encodeAffected(nil, []Affected{a}))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			back[0].ID, back[0].Ecosystem = a.ID, a.Ecosystem
			if !reflect.DeepEqual(back[0], a) {
				t.Fatalf("round trip changed entry\n got %+v\nwant %+v", back[0], a)
			}
		}
		for _, c := range rec.vuln.CVSS {
			if c.Score < 0 || c.Score > 10 {
				t.Fatalf("score %v out of range", c.Score)
			}
		}
		p, err := prepare(rec, "")
		if err != nil {
			t.Fatalf("prepare: %v", err)
		}
		if !rec.withdrawn {
			var v Vuln
			if err := json.Unmarshal(p.vuln, &v); err != nil {
				t.Fatalf("stored vuln does not decode: %v", err)
			}
			if v.ID != rec.vuln.ID {
				t.Fatalf("stored id %q, want %q", v.ID, rec.vuln.ID)
			}
		}
		if len(p.bases) == 0 {
			t.Fatal("record goes to no ecosystem")
		}
	})
}
