package match

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
)

// benchPackages makes n packages from the source's own keys, each at a
// version taken from its records' events (introduced versions match,
// fixed ones mostly do not), cycling through the names.
func benchPackages(src *memSource, n int) []inventory.Package {
	keys := make([]queryKey, 0, len(src.affected))
	for k := range src.affected {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b queryKey) int {
		if a.ecosystem != b.ecosystem {
			return compareStrings(a.ecosystem, b.ecosystem)
		}
		return compareStrings(a.name, b.name)
	})
	var pkgs []inventory.Package
	for round := 0; len(pkgs) < n; round++ {
		added := false
		for _, k := range keys {
			vs := eventVersions(src.affected[k])
			if round >= len(vs) || len(pkgs) == n {
				continue
			}
			v := vs[round]
			if k.ecosystem == inventory.EcosystemGo && k.name != stdlib {
				v = "v" + v
			}
			pkgs = append(pkgs, inventory.Package{Name: k.name, Version: v, Ecosystem: k.ecosystem, GOOS: "linux", GOARCH: "amd64",
				Locations: []finding.Location{{Path: "lock"}}})
			added = true
		}
		if !added {
			break
		}
	}
	return pkgs
}

func eventVersions(affected []vulndb.Affected) []string {
	var out []string
	for _, a := range affected {
		for _, r := range a.Ranges {
			for _, e := range r.Events {
				for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected} {
					if v != "" && v != "0" {
						out = append(out, v)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return +1
	}
	return 0
}

// BenchmarkMatch matches 300 packages against every record in testdata
// (about 370 records, 60 package names).
func BenchmarkMatch(b *testing.B) {
	src := loadSource(b, "Go", "PyPI", "crates.io", "Alpine")
	pkgs := benchPackages(src, 300)
	if len(pkgs) != 300 {
		b.Fatalf("only %d packages", len(pkgs))
	}
	m := New(src, Options{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		got, err := m.Match(ctx, finding.Target{Kind: "image", Name: "bench"}, pkgs)
		if err != nil {
			b.Fatal(err)
		}
		n = len(got)
	}
	b.ReportMetric(float64(n), "findings/op")
}
