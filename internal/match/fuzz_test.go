package match

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/vulndb/version"
)

var fuzzEcosystems = []string{"PyPI", "Go", "crates.io", "npm", "Maven", "Debian:12", "Alpine:v3.11", "Red Hat", "RubyGems", "Packagist", "NuGet", "opam"}

// parseEvents reads the fuzz target's compact range syntax: events
// separated by ";", each "i:", "f:", "l:" or "x:" (introduced, fixed,
// last_affected, limit) and a version; ranges separated by "|".
func parseEvents(s string) []vulndb.Range {
	var ranges []vulndb.Range
	for _, rs := range strings.Split(s, "|") {
		r := vulndb.Range{Type: vulndb.RangeEcosystem}
		for _, es := range strings.Split(rs, ";") {
			kind, v, ok := strings.Cut(es, ":")
			if !ok || v == "" {
				continue
			}
			switch kind {
			case "i":
				r.Events = append(r.Events, vulndb.Event{Introduced: v})
			case "f":
				r.Events = append(r.Events, vulndb.Event{Fixed: v})
			case "l":
				r.Events = append(r.Events, vulndb.Event{LastAffected: v})
			case "x":
				r.Events = append(r.Events, vulndb.Event{Limit: v})
			}
		}
		ranges = append(ranges, r)
	}
	return ranges
}

// FuzzMatch matches one installed version against two records built from
// fuzzed ranges and version lists, and checks what must hold whatever the
// input: no panic or error, one finding per record at most, fixed versions
// above the installed one and sorted, and an upgrade that, installed,
// leaves the package with no finding at all.
func FuzzMatch(f *testing.F) {
	// Seeds are event lists of real records: PYSEC-2018-19 (paramiko),
	// PYSEC-2022-42969 (py), GO-2023-2185 (stdlib), RUSTSEC-2022-0096
	// (wasmtime), ALPINE-CVE-2019-1547, PYSEC-2008-8's versions list.
	f.Add(uint8(0), "i:0;f:1.17.6;i:2.0.0;f:2.0.8;i:2.1.0;f:2.1.5;i:2.3.0;f:2.3.2;i:1.18.0;f:1.18.5", "i:1.5.1;f:2.0.9", "", "1.18.2")
	f.Add(uint8(0), "i:0;l:1.11.0", "i:0;f:1.10.0", "0.8.0-alpha2,1.9.0", "1.9.0")
	f.Add(uint8(0), "i:0;f:1.7.2", "", "0.9-doduo,1.0,1.7.1", "0.9-doduo")
	f.Add(uint8(1), "i:0;f:1.20.11;i:1.21.0-0;f:1.21.4", "i:1.20.11;f:1.20.12;i:1.21.4;f:1.21.5", "", "go1.21.4")
	f.Add(uint8(2), "i:0.0.0-0;f:0.33.1;i:0.34.0;f:0.34.1", "i:0.0.0-0;f:0.38.2", "", "0.34.0")
	f.Add(uint8(6), "i:0;f:1.1.1d-r1", "i:0;f:1.1.1d-r3", "", "1.1.1d-r0")
	f.Add(uint8(0), "i:1.0;x:1.5;x:2.5", "i:0;f:*", "", "2.0")
	f.Fuzz(func(t *testing.T, e uint8, r1, r2, listed, installed string) {
		eco := fuzzEcosystems[int(e)%len(fuzzEcosystems)]
		src := newMemSource()
		for i, rs := range []string{r1, r2} {
			id := []string{"OSV-A", "OSV-B"}[i]
			src.vulns[id] = &vulndb.Vuln{ID: id}
			a := vulndb.Affected{ID: id, Ecosystem: eco, Package: "p", Ranges: parseEvents(rs)}
			if i == 0 && listed != "" {
				a.Versions = strings.Split(listed, ",")
			}
			k := queryKey{eco, "p"}
			src.affected[k] = append(src.affected[k], a)
		}
		m := New(src, Options{GOOS: "linux", GOARCH: "amd64", Logger: slog.New(slog.DiscardHandler)})
		p := inventory.Package{Name: "p", Version: installed, Ecosystem: eco}
		got, err := m.Match(context.Background(), finding.Target{}, []inventory.Package{p})
		if err != nil {
			t.Fatalf("Match: %v", err)
		}
		if len(got) > 2 || (len(got) == 2 && got[0].RuleID == got[1].RuleID) {
			t.Fatalf("findings %v", summarize(got))
		}
		var upgrade string
		for i, f := range got {
			if f.Fix == nil {
				continue
			}
			if i > 0 && f.Fix.Upgrade != upgrade {
				t.Fatalf("findings of one package disagree on the upgrade: %v", summarize(got))
			}
			upgrade = f.Fix.Upgrade
			checkFixed(t, eco, installed, f.Fix.FixedVersions)
		}
		if upgrade != "" {
			p.Version = upgrade
			after, err := m.Match(context.Background(), finding.Target{}, []inventory.Package{p})
			if err != nil || len(after) != 0 {
				t.Fatalf("upgrade %q still has findings %v (%v)", upgrade, summarize(after), err)
			}
		}
	})
}

func checkFixed(t *testing.T, eco, installed string, fixed []string) {
	t.Helper()
	if len(fixed) == 0 {
		return
	}
	iv, err := version.Parse(eco, installed)
	if err != nil {
		t.Fatalf("fixed versions %v for unparseable %q", fixed, installed)
	}
	var prev version.Version
	for i, s := range fixed {
		v, err := version.Parse(eco, s)
		if err != nil || v.Compare(iv) <= 0 || (i > 0 && v.Compare(prev) <= 0) {
			t.Fatalf("fixed versions %v: not parseable, above %q and ascending (%v)", fixed, installed, err)
		}
		prev = v
	}
}
