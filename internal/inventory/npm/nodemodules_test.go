package npm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
)

func TestNodeModulesWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"node_modules/lodash/package.json", true},
		{"app/node_modules/@babel/traverse/package.json", true},
		{"app/node_modules/mkdirp/node_modules/minimist/package.json", true},
		{"app/node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json", true},
		{"usr/lib/node_modules/npm/package.json", true},
		{"package.json", false},
		{"app/package.json", false},
		{"app/node_modules/@babel/traverse/lib/package.json", false},
		{"app/node_modules/@babel/package.json", false},
		{"app/node_modules/@/x/package.json", false},
		{"app/node_modules/.bin/package.json", false},
		{"app/node_modules/_x/package.json", false},
		{"app/node_modules/package.json", false},
		{"app/node_modules/lodash/package.json.orig", false},
		{"app/my_node_modules/lodash/package.json", false},
	}
	for _, tt := range tests {
		if got := (NodeModules{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %t, want %t", tt.path, got, tt.want)
		}
	}
}

// TestNodeModulesTree catalogs the real package.json files copied from an
// npm ci of the fixture project, as the walk would hand them over.
func TestNodeModulesTree(t *testing.T) {
	var got []string
	c := NodeModules{}
	err := filepath.WalkDir("testdata/node_modules", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, "testdata/"))
		if !c.Wants(rel, nil) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pkgs, err := catalog(c, rel, data)
		if err != nil {
			return err
		}
		for _, pkg := range pkgs {
			got = append(got, fmt.Sprintf("%s %s@%s %s %q", pkg.Locations[0].Path, pkg.Name, pkg.Version, pkg.PURL, pkg.Licenses))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`node_modules/@babel/traverse/package.json @babel/traverse@7.22.0 pkg:npm/%40babel/traverse@7.22.0 ["MIT"]`,
		`node_modules/is-number/package.json is-number@7.0.0 pkg:npm/is-number@7.0.0 ["MIT"]`,
		`node_modules/lodash/package.json lodash@4.17.15 pkg:npm/lodash@4.17.15 ["MIT"]`,
		`node_modules/mkdirp/node_modules/minimist/package.json minimist@0.0.8 pkg:npm/minimist@0.0.8 ["MIT"]`,
		`node_modules/old-lodash/package.json lodash@4.17.11 pkg:npm/lodash@4.17.11 ["MIT"]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNodeModulesCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"private", `{"name": "x", "version": "1.0.0", "private": true}`, "x@1.0.0"},
		{"no version", `{"name": "x"}`, ""},
		{"no name", `{"version": "1.0.0"}`, ""},
		{"name not a string", `{"name": {"x": 1}, "version": "1.0.0"}`, ""},
		{"version not a string", `{"name": "x", "version": 1}`, ""},
		{"bad name", `{"name": "a b", "version": "1.0.0"}`, ""},
		{"not an object", `[1]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(NodeModules{}, "node_modules/x/package.json", []byte(tt.in))
			if err != nil && tt.name != "not an object" {
				t.Fatal(err)
			}
			if got := strings.Join(nameVersions(pkgs), " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNodeModulesLicenses(t *testing.T) {
	long := strings.Repeat("x", inventory.MaxLicenseLen+1)
	many := make([]string, 0, inventory.MaxLicenses+5)
	for i := range inventory.MaxLicenses + 5 {
		many = append(many, fmt.Sprintf("%q", fmt.Sprintf("L%02d", i)))
	}
	tests := []struct {
		name   string
		fields string
		want   []string
	}{
		{"spdx expression", `"license": "(MIT OR Apache-2.0)"`, []string{"(MIT OR Apache-2.0)"}},
		{"as written", `"license": "SEE LICENSE IN LICENSE.md"`, []string{"SEE LICENSE IN LICENSE.md"}},
		{"legacy object", `"license": {"type": "BSD-3-Clause", "url": "https://example.com/l"}`, []string{"BSD-3-Clause"}},
		{"legacy list", `"licenses": [{"type": "MIT", "url": "u"}, {"type": "Apache-2.0"}, "GPL-2.0", {"type": "MIT"}]`, []string{"Apache-2.0", "GPL-2.0", "MIT"}},
		{"both", `"license": "ISC", "licenses": [{"type": "MIT"}]`, []string{"ISC", "MIT"}},
		{"trimmed", `"license": "  MIT  "`, []string{"MIT"}},
		{"none", ``, nil},
		{"wrong shapes ignored", `"license": 1, "licenses": {"type": "MIT"}`, nil},
		{"type not a string", `"license": {"type": ["MIT"]}, "licenses": [null, 2, {}]`, nil},
		{"empty, control and over-long dropped", `"licenses": ["", "a\u0000b", "` + long + `", "MIT"]`, []string{"MIT"}},
		{"at most inventory.MaxLicenses", `"licenses": [` + strings.Join(many, ",") + `]`, func() []string {
			var w []string
			for i := range inventory.MaxLicenses {
				w = append(w, fmt.Sprintf("L%02d", i))
			}
			return w
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"name": "x", "version": "1.0.0"`
			if tt.fields != "" {
				in += ", " + tt.fields
			}
			pkgs, err := catalog(NodeModules{}, "node_modules/x/package.json", []byte(in+"}"))
			if err != nil || len(pkgs) != 1 {
				t.Fatalf("got %d packages, %v", len(pkgs), err)
			}
			if !slices.Equal(pkgs[0].Licenses, tt.want) {
				t.Errorf("licenses %q, want %q", pkgs[0].Licenses, tt.want)
			}
		})
	}
}

func TestNodeModulesErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
	}{
		{"{\n  \"name\": \"x\",\n  \"version\": \"1\"", 3},
		{"{\n  \"name\": \"x\",\n  \"version\" 1}", 3},
		{"", 1},
	}
	for _, tt := range tests {
		_, err := catalog(NodeModules{}, "node_modules/x/package.json", []byte(tt.in))
		var pe *inventory.ParseError
		if !errors.As(err, &pe) || pe.Path != "node_modules/x/package.json" || pe.Line != tt.line {
			t.Errorf("%q: error %v, want a ParseError at line %d", tt.in, err, tt.line)
		}
	}
}

func FuzzNodeModules(f *testing.F) {
	for _, name := range []string{"node_modules/lodash/package.json", "node_modules/@babel/traverse/package.json", "node_modules/old-lodash/package.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(NodeModules{}, "node_modules/x/package.json", data)
		checkInvariants(t, "node_modules/x/package.json", data, pkgs, err)
		if len(pkgs) > 1 {
			t.Fatalf("%d packages from one package.json", len(pkgs))
		}
	})
}
