package npm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/inventory"
)

func TestPNPMLockWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"pnpm-lock.yaml", true},
		{"repo/pnpm-lock.yaml", true},
		{"repo/node_modules/.pnpm/lock.yaml", false},
		{"repo/node_modules/x/pnpm-lock.yaml", false},
		{"repo/pnpm-workspace.yaml", false},
	}
	for _, tt := range tests {
		if got := (PNPMLock{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %t, want %t", tt.path, got, tt.want)
		}
	}
}

func TestPNPMLockCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "v5",
			in: `lockfileVersion: 5.3
packages:
  /@scope/name/1.2.3_peer@1.0.0+other@2.0.0:
    resolution: {integrity: sha512-x}
    dev: true
  /plain/0.1.0:
    dev: false
  /opt/1.0.0:
    optional: true
  github.com/user/repo/abc123:
    resolution: {tarball: https://codeload.github.com/user/repo/tar.gz/abc123}
    name: repo
    version: 4.5.6
    dev: false
  file:packages/local:
    resolution: {directory: packages/local, type: directory}
    name: local
    version: 0.0.1
`,
			want: `3 @scope/name 1.2.3 dev=true pkg:npm/%40scope/name@1.2.3
6 plain 0.1.0 dev=false pkg:npm/plain@0.1.0
8 opt 1.0.0 dev=false pkg:npm/opt@1.0.0
10 repo 4.5.6 dev=false pkg:npm/repo@4.5.6
`,
		},
		{
			name: "v6",
			in: `lockfileVersion: '6.0'
packages:
  /@s/n@1.0.0(react@18.2.0)(@types/react@18.0.0):
    dev: true
  /x@2.0.0:
    dev: false
  /y@3.0.0-rc.1+build:
    resolution: {integrity: sha512-x}
  '@github.com/u/r/abc':
    name: r
    version: 1.1.1
  file:local:
    name: local
    version: 1.0.0
`,
			want: `3 @s/n 1.0.0 dev=true pkg:npm/%40s/n@1.0.0
5 x 2.0.0 dev=false pkg:npm/x@2.0.0
7 y 3.0.0-rc.1+build dev=false pkg:npm/y@3.0.0-rc.1%2Bbuild
9 r 1.1.1 dev=false pkg:npm/r@1.1.1
`,
		},
		{
			name: "v9 with an environment document and dev inference",
			in: `---
lockfileVersion: '9.0'
importers:
  .:
    configDependencies: {}
packageManagerDependencies:
  pnpm:
    specifier: 10.0.0
    version: 10.0.0
packages:
  pnpm@10.0.0:
    resolution: {integrity: sha512-x}
snapshots:
  pnpm@10.0.0: {}
---
lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      app:
        specifier: ^1
        version: 1.0.0(peer@1.0.0)
      ws:
        specifier: workspace:*
        version: link:packages/ws
    devDependencies:
      tool:
        specifier: ^2
        version: 2.0.0
      al:
        specifier: npm:@s/real@3
        version: '@s/real@3.0.0'
  packages/ws:
    optionalDependencies:
      shared:
        specifier: ^4
        version: 4.0.0
packages:
  app@1.0.0:
    resolution: {integrity: sha512-x}
  peer@1.0.0:
    resolution: {integrity: sha512-x}
  tool@2.0.0:
    resolution: {integrity: sha512-x}
  '@s/real@3.0.0':
    resolution: {integrity: sha512-x}
  devdep@5.0.0:
    resolution: {integrity: sha512-x}
  shared@4.0.0:
    resolution: {integrity: sha512-x}
  tar@https://example.com/tar-6.0.0.tgz:
    resolution: {tarball: https://example.com/tar-6.0.0.tgz}
    version: 6.0.0
  local@file:packages/local:
    resolution: {directory: packages/local, type: directory}
    version: 0.0.1
  orphan@7.0.0:
    resolution: {integrity: sha512-x}
snapshots:
  app@1.0.0(peer@1.0.0):
    dependencies:
      peer: 1.0.0
  peer@1.0.0: {}
  tool@2.0.0:
    dependencies:
      devdep: 5.0.0
      shared: 4.0.0
      app: 1.0.0(peer@1.0.0)
  '@s/real@3.0.0': {}
  devdep@5.0.0: {}
  shared@4.0.0: {}
`,
			want: `11 pnpm 10.0.0 dev=false pkg:npm/pnpm@10.0.0
39 app 1.0.0 dev=false pkg:npm/app@1.0.0
41 peer 1.0.0 dev=false pkg:npm/peer@1.0.0
43 tool 2.0.0 dev=true pkg:npm/tool@2.0.0
45 @s/real 3.0.0 dev=true pkg:npm/%40s/real@3.0.0
47 devdep 5.0.0 dev=true pkg:npm/devdep@5.0.0
49 shared 4.0.0 dev=false pkg:npm/shared@4.0.0
51 tar 6.0.0 dev=false pkg:npm/tar@6.0.0
57 orphan 7.0.0 dev=false pkg:npm/orphan@7.0.0
`,
		},
		{
			name: "aliases and anchors are not followed",
			in: `lockfileVersion: '9.0'
packages:
  a@1.0.0: &x
    resolution: {integrity: sha512-x}
  b@2.0.0: *x
  *x : {}
`,
			want: `3 a 1.0.0 dev=false pkg:npm/a@1.0.0
5 b 2.0.0 dev=false pkg:npm/b@2.0.0
`,
		},
		{
			name: "no packages",
			in:   "lockfileVersion: '9.0'\nimporters:\n  .: {}\n",
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(PNPMLock{}, "pnpm-lock.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := render(pkgs); got != tt.want {
				t.Errorf("got\n%swant\n%s", got, tt.want)
			}
		})
	}
}

func TestPNPMLockErrors(t *testing.T) {
	v9 := string(readTestdata(t, "pnpm-v9/pnpm-lock.yaml"))
	v5 := string(readTestdata(t, "pnpm-v5/pnpm-lock.yaml"))
	v9Cut := strings.Index(v9, "  lodash@4.17.15:")          // line 186
	v5Cut := strings.Index(v5, "  /lodash/4.17.15:")         // line 270
	v9SnapCut := strings.Index(v9, "  node-fetch@2.6.0: {}") // line 388, in snapshots
	tests := []struct {
		name     string
		in       string
		line     int
		msg      string
		wantPkgs int
	}{
		{"v9 truncated in packages", v9[:v9Cut+12], 186, "could not find expected ':'", 31},
		{"v5 truncated in a flow mapping", v5[:v5Cut+40], 270, "did not find expected ',' or '}'", 31},
		{"v9 truncated in snapshots", v9[:v9SnapCut+8], 388, "could not find expected ':'", 46},
		{"tab indentation", "lockfileVersion: '9.0'\npackages:\n\ta@1.0.0: {}\n", 3, "found character that cannot start any token", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(PNPMLock{}, "repo/pnpm-lock.yaml", []byte(tt.in))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a ParseError", err, err)
			}
			if pe.Path != "repo/pnpm-lock.yaml" || pe.Line != tt.line || !strings.Contains(pe.Err.Error(), tt.msg) {
				t.Errorf("error %q at line %d, want %q at line %d", err, pe.Line, tt.msg, tt.line)
			}
			if len(pkgs) != tt.wantPkgs {
				t.Errorf("got %d packages before the error, want %d", len(pkgs), tt.wantPkgs)
			}
		})
	}
}

// TestPNPMLockAliasBomb checks that a billion-laughs document costs no
// more than its size: aliases are never expanded.
func TestPNPMLockAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("lockfileVersion: '9.0'\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("x" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 9 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("packages: *a9\nimporters:\n  .:\n    dependencies: *a9\nsnapshots: *a9\n")
	start := time.Now()
	pkgs, err := catalog(PNPMLock{}, "pnpm-lock.yaml", []byte(b.String()))
	if err != nil || len(pkgs) != 0 {
		t.Errorf("got %d packages, %v; want none", len(pkgs), err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestPNPMLockTokenLimit checks that a file of tiny nodes is refused before
// decoding: 1.5 million nodes would cost some 360 MiB.
func TestPNPMLockTokenLimit(t *testing.T) {
	data := []byte("x: [" + strings.Repeat("a,", maxYAMLTokens) + "a]\n")
	_, err := catalog(PNPMLock{}, "pnpm-lock.yaml", data)
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("err = %v, want a ParseError over the limit", err)
	}
}

func BenchmarkPNPMLock(b *testing.B) {
	data := readTestdata(b, "pnpm-v9/pnpm-lock.yaml")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := catalog(PNPMLock{}, "pnpm-lock.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzPNPMLock(f *testing.F) {
	for _, name := range []string{"pnpm-v5/pnpm-lock.yaml", "pnpm-v6/pnpm-lock.yaml", "pnpm-v9/pnpm-lock.yaml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("lockfileVersion: '9.0'\nimporters:\n  .:\n    devDependencies:\n      a:\n        version: b@1.0.0(c@2)\npackages:\n  b@1.0.0: {}\nsnapshots:\n  b@1.0.0(c@2):\n    dependencies:\n      c: '2'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(PNPMLock{}, "pnpm-lock.yaml", data)
		checkInvariants(t, "pnpm-lock.yaml", data, pkgs, err)
	})
}
