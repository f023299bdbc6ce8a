package match

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
)

// blobBin is the body of a govulncheck "extract" blob: what govulncheck
// reads from a Go binary. The test blobs were written by hand to describe
// one binary built for four platforms.
type blobBin struct {
	Modules []struct {
		Path    string `json:"Path"`
		Version string `json:"Version"`
	} `json:"modules"`
	GoVersion string `json:"goVersion"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
}

// readBlob turns a blob into the packages a Go binary cataloger would
// report: its modules and the standard library at the toolchain version.
func readBlob(t *testing.T, path string) []inventory.Package {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var header map[string]string
	var bin blobBin
	if err := dec.Decode(&header); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&bin); err != nil {
		t.Fatal(err)
	}
	loc := []finding.Location{{Path: "usr/bin/app"}}
	pkgs := []inventory.Package{{
		Name: "stdlib", Version: bin.GoVersion, Ecosystem: inventory.EcosystemGo,
		GOOS: bin.GOOS, GOARCH: bin.GOARCH, Locations: loc,
	}}
	for _, m := range bin.Modules {
		pkgs = append(pkgs, inventory.Package{
			Name: m.Path, Version: m.Version, Ecosystem: inventory.EcosystemGo,
			GOOS: bin.GOOS, GOARCH: bin.GOARCH, Locations: loc,
		})
	}
	return pkgs
}

// TestGovulncheckParity matches the binary govulncheck v1.9.0 scanned in
// "-mode binary -scan module" against the same records, on four platforms,
// and expects the same (module, vulnerability, fixed version) rows.
// govulncheck reports one fixed version per vulnerability (its earliest
// fix that the record does not itself negate); for these records that is
// the one fixed version Redline finds.
//
// It runs against the in-memory source and against a real vulndb.DB built
// from the same files with vulndb.Import, so the store's conversion of the
// records is checked end to end too.
func TestGovulncheckParity(t *testing.T) {
	sources := map[string]Source{"mem": loadSource(t, "Go"), "db": importDB(t, "Go")}
	for _, name := range []string{"mem", "db"} {
		for _, platform := range []string{"linux-amd64", "windows-amd64", "linux-386", "darwin-arm64"} {
			t.Run(name+"/"+platform, func(t *testing.T) { checkParity(t, sources[name], platform) })
		}
	}
}

// importDB builds a vulnerability database file from testdata/osv/<dir>.
func importDB(t *testing.T, dirs ...string) *vulndb.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vuln.db")
	var paths []string
	for _, d := range dirs {
		paths = append(paths, filepath.Join("testdata", "osv", d))
	}
	if _, err := vulndb.Import(context.Background(), path, paths, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func checkParity(t *testing.T, src Source, platform string) {
	t.Helper()
	pkgs := readBlob(t, filepath.Join("testdata", "govulncheck", platform+".blob"))
	// Options name a platform the packages override: it must not leak in.
	m := New(src, Options{GOOS: "plan9", GOARCH: "mips"})
	got, err := m.Match(context.Background(), finding.Target{Kind: "image", Name: "app"}, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, f := range got {
		if len(f.Aliases) > 0 && strings.HasPrefix(f.Aliases[0], "GO-") {
			t.Errorf("%s: Go records should not group, got aliases %v", f.RuleID, f.Aliases)
		}
		fixed := "-"
		if f.Fix != nil && len(f.Fix.FixedVersions) > 0 {
			if len(f.Fix.FixedVersions) != 1 {
				t.Errorf("%s %s: fixed versions %v, want one", f.Package.Name, f.RuleID, f.Fix.FixedVersions)
			}
			fixed = f.Fix.FixedVersions[0]
		}
		if f.Package.Name == "stdlib" {
			fixed = canonicalGo(fixed) // govulncheck writes v1.20.11
		}
		rows = append(rows, strings.Join([]string{f.Package.Name, f.RuleID, fixed}, "\t"))
	}
	slices.Sort(rows)
	want := readTSV(t, filepath.Join("testdata", "govulncheck", platform+".tsv"))
	if !slices.Equal(rows, want) {
		for _, r := range rows {
			if !slices.Contains(want, r) {
				t.Errorf("extra: %s", r)
			}
		}
		for _, r := range want {
			if !slices.Contains(rows, r) {
				t.Errorf("missing: %s", r)
			}
		}
	}
}

func canonicalGo(v string) string {
	if v == "-" || strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

// readTSV reads govulncheck's rows as "module \t osv \t fixed".
func readTSV(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 4 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		rows = append(rows, strings.Join([]string{fields[0], fields[2], fields[3]}, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(rows)
	return rows
}
