package npm

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

var update = flag.Bool("update", false, "rewrite the .golden files in testdata")

// readTestdata reads a file under testdata, gunzipping *.gz.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			tb.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	return data
}

// render prints packages one a line for golden files and diffs.
func render(pkgs []inventory.Package) string {
	var b strings.Builder
	for _, p := range pkgs {
		line := 0
		if len(p.Locations) > 0 {
			line = p.Locations[0].Line
		}
		fmt.Fprintf(&b, "%d %s %s dev=%t %s", line, p.Name, p.Version, p.Dev, p.PURL)
		if len(p.Licenses) > 0 {
			fmt.Fprintf(&b, " licenses=%q", p.Licenses)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// checkGolden compares got with testdata/<name>.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", name, file, got, want)
	}
}

// checkInvariants asserts what must hold for any input: every package is a
// well-formed npm package located in path, within the file, and an error
// naming a line is a ParseError for path.
func checkInvariants(t *testing.T, path string, data []byte, pkgs []inventory.Package, err error) {
	t.Helper()
	// YAML also breaks lines at a lone "\r".
	lines := bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'}) + 1
	for _, p := range pkgs {
		if !validName(p.Name) || !validVersion(p.Version) {
			t.Fatalf("bad name or version %q %q", p.Name, p.Version)
		}
		if p.Ecosystem != inventory.EcosystemNPM || !strings.HasPrefix(p.PURL, "pkg:npm/") {
			t.Fatalf("bad ecosystem or purl: %+v", p)
		}
		if len(p.Locations) != 1 || p.Locations[0].Path != path {
			t.Fatalf("bad locations: %+v", p.Locations)
		}
		if l := p.Locations[0].Line; l < 0 || l > lines {
			t.Fatalf("line %d outside the file's %d lines", l, lines)
		}
		if len(p.Licenses) > inventory.MaxLicenses {
			t.Fatalf("%d licenses", len(p.Licenses))
		}
		for i, l := range p.Licenses {
			if l == "" || len(l) > inventory.MaxLicenseLen || l != strings.TrimSpace(l) || i > 0 && l <= p.Licenses[i-1] {
				t.Fatalf("licenses not clean, sorted and unique: %q", p.Licenses)
			}
		}
	}
	var pe *inventory.ParseError
	if errors.As(err, &pe) {
		if pe.Path != path {
			t.Fatalf("ParseError path %q, want %q", pe.Path, path)
		}
		if pe.Line < 0 || pe.Line > lines+1 {
			t.Fatalf("ParseError line %d outside the file's %d lines", pe.Line, lines)
		}
	}
}

// catalog runs c on data as if it were the file at path.
func catalog(c inventory.Cataloger, path string, data []byte) ([]inventory.Package, error) {
	return c.Catalog(context.Background(), walk.BytesFile(path, data))
}

// nameVersions returns "name@version" of each package, in order.
func nameVersions(pkgs []inventory.Package) []string {
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version)
	}
	return out
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file string
		c    inventory.Cataloger
		n    int
	}{
		{"npm-v1/package-lock.json", PackageLock{}, 46},
		{"npm-v2/package-lock.json", PackageLock{}, 46},
		{"npm-v3/package-lock.json", PackageLock{}, 46},
		{"yarn-classic/yarn.lock", YarnLock{}, 46},
		{"yarn-berry/yarn.lock", YarnLock{}, 47}, // resolve twice: npm: and its builtin patch:
		{"pnpm-v5/pnpm-lock.yaml", PNPMLock{}, 46},
		{"pnpm-v6/pnpm-lock.yaml", PNPMLock{}, 46},
		{"pnpm-v9/pnpm-lock.yaml", PNPMLock{}, 46},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if !tt.c.Wants(tt.file, nil) {
				t.Fatalf("%s does not want %s", tt.c.Name(), tt.file)
			}
			data := readTestdata(t, tt.file)
			pkgs, err := catalog(tt.c, tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != tt.n {
				t.Errorf("got %d packages, want %d", len(pkgs), tt.n)
			}
			checkInvariants(t, tt.file, data, pkgs, err)
			checkGolden(t, tt.file, render(pkgs))
		})
	}
}

// TestSameTree checks that every lockfile of the fixture project, written
// by seven package manager versions, yields the same packages, and that
// the formats that know development packages agree on them.
func TestSameTree(t *testing.T) {
	files := []struct {
		file   string
		c      inventory.Cataloger
		hasDev bool
	}{
		{"npm-v1/package-lock.json", PackageLock{}, true},
		{"npm-v2/package-lock.json", PackageLock{}, true},
		{"npm-v3/package-lock.json", PackageLock{}, true},
		{"yarn-classic/yarn.lock", YarnLock{}, false},
		{"yarn-berry/yarn.lock", YarnLock{}, false},
		{"pnpm-v5/pnpm-lock.yaml", PNPMLock{}, true},
		{"pnpm-v6/pnpm-lock.yaml", PNPMLock{}, true},
		{"pnpm-v9/pnpm-lock.yaml", PNPMLock{}, true},
	}
	wantDev := "minimist@0.0.8 minimist@1.2.0 mkdirp@0.5.1"
	var first string
	for _, f := range files {
		pkgs, err := catalog(f.c, f.file, readTestdata(t, f.file))
		if err != nil {
			t.Fatal(err)
		}
		merged := inventory.Merge(pkgs)
		var all, dev []string
		for _, p := range merged {
			all = append(all, p.Name+"@"+p.Version)
			if p.Dev {
				dev = append(dev, p.Name+"@"+p.Version)
			}
		}
		got := strings.Join(all, " ")
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s lists\n%s\nwant\n%s", f.file, got, first)
		}
		if d := strings.Join(dev, " "); f.hasDev && d != wantDev {
			t.Errorf("%s: dev packages %q, want %q", f.file, d, wantDev)
		}
	}
	for _, want := range []string{"lodash@4.17.11", "lodash@4.17.15", "minimist@1.2.0", "axios@0.21.0", "@babel/traverse@7.22.0", "node-fetch@2.6.0", "ms@2.0.0"} {
		if !strings.Contains(" "+first+" ", " "+want+" ") {
			t.Errorf("tree lacks %s", want)
		}
	}
	if strings.Contains(first, "local-lib") || strings.Contains(first, "old-lodash") || strings.Contains(first, "redline-npm-fixture") {
		t.Errorf("tree has local packages or alias names: %s", first)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		c    inventory.Cataloger
		file string
	}{
		{PackageLock{}, "npm-v1/package-lock.json"},
		{PackageLock{}, "npm-v3/package-lock.json"},
		{YarnLock{}, "yarn-classic/yarn.lock"},
		{YarnLock{}, "yarn-berry/yarn.lock"},
		{PNPMLock{}, "pnpm-v9/pnpm-lock.yaml"},
	} {
		_, err := tt.c.Catalog(ctx, walk.BytesFile(tt.file, readTestdata(t, tt.file)))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", tt.file, err)
		}
	}
}

func TestPURL(t *testing.T) {
	tests := []struct{ name, version, want string }{
		{"lodash", "4.17.15", "pkg:npm/lodash@4.17.15"},
		{"@babel/traverse", "7.22.0", "pkg:npm/%40babel/traverse@7.22.0"},
		{"@types/node", "20.1.0-beta.1+build.5", "pkg:npm/%40types/node@20.1.0-beta.1%2Bbuild.5"},
	}
	for _, tt := range tests {
		if got := purl(tt.name, tt.version); got != tt.want {
			t.Errorf("purl(%q, %q) = %q, want %q", tt.name, tt.version, got, tt.want)
		}
	}
}

func TestCatalogers(t *testing.T) {
	var names []string
	for _, c := range Catalogers() {
		names = append(names, c.Name())
	}
	if got, want := strings.Join(names, " "), "package-lock yarn-lock pnpm-lock node-modules"; got != want {
		t.Errorf("Catalogers() = %s, want %s", got, want)
	}
}

// hugeFile is a file claiming a size over every limit; reading it fails
// before any byte is read.
func hugeFile(path string) *walk.File {
	return walk.NewFile(path, nil, bytes.NewReader(nil), maxLockfileSize+1)
}

func TestSizeLimits(t *testing.T) {
	for _, tt := range []struct {
		c    inventory.Cataloger
		path string
	}{
		{PackageLock{}, "package-lock.json"},
		{YarnLock{}, "yarn.lock"},
		{PNPMLock{}, "pnpm-lock.yaml"},
		{NodeModules{}, "node_modules/x/package.json"},
	} {
		pkgs, err := tt.c.Catalog(context.Background(), hugeFile(tt.path))
		if err == nil || len(pkgs) != 0 || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: got %d packages, %v; want a size-limit error", tt.c.Name(), len(pkgs), err)
		}
	}
}
