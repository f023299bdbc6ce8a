package npm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
)

func TestPackageLockWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"package-lock.json", true},
		{"app/package-lock.json", true},
		{"app/npm-shrinkwrap.json", true},
		{"app/node_modules/.package-lock.json", false},
		{"node_modules/left-pad/package-lock.json", false},
		{"app/node_modules/x/npm-shrinkwrap.json", false},
		{"app/package.json", false},
		{"app/package-lock.json.bak", false},
	}
	for _, tt := range tests {
		if got := (PackageLock{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %t, want %t", tt.path, got, tt.want)
		}
	}
}

func TestPackageLockCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // render() output
	}{
		{
			name: "v3 aliases links workspaces flags",
			in: `{
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "root", "version": "1.0.0"},
    "node_modules/a": {"version": "1.0.0", "dev": true},
    "node_modules/b": {"version": "2.0.0", "devOptional": true},
    "node_modules/c": {"version": "3.0.0", "optional": true},
    "node_modules/alias": {"name": "@scope/real", "version": "4.0.0"},
    "node_modules/ws": {"resolved": "packages/ws", "link": true},
    "packages/ws": {"name": "ws", "version": "0.1.0"},
    "packages/ws/node_modules/@s/d": {"version": "5.0.0"},
    "node_modules/local": {"version": "6.0.0", "resolved": "file:../local"},
    "node_modules/git": {"version": "7.0.0", "resolved": "git+ssh://git@github.com/x/git.git#abc"},
    "node_modules/noversion": {},
    "node_modules/a/node_modules/a": {"version": "0.9.0", "inBundle": true}
  }
}`,
			want: `5 a 1.0.0 dev=true pkg:npm/a@1.0.0
6 b 2.0.0 dev=false pkg:npm/b@2.0.0
7 c 3.0.0 dev=false pkg:npm/c@3.0.0
8 @scope/real 4.0.0 dev=false pkg:npm/%40scope/real@4.0.0
11 @s/d 5.0.0 dev=false pkg:npm/%40s/d@5.0.0
13 git 7.0.0 dev=false pkg:npm/git@7.0.0
15 a 0.9.0 dev=false pkg:npm/a@0.9.0
`,
		},
		{
			name: "v1 nested aliases and urls",
			in: `{
  "lockfileVersion": 1,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dev": true,
      "dependencies": {
        "b": {"version": "2.0.0", "dev": true}
      }
    },
    "alias": {"version": "npm:@scope/real@3.0.0"},
    "local": {"version": "file:packages/local", "dependencies": {"c": {"version": "4.0.0"}}},
    "git": {"version": "github:x/git#abc"},
    "tar": {"version": "https://example.com/tar.tgz"}
  }
}`,
			want: `4 a 1.0.0 dev=true pkg:npm/a@1.0.0
8 b 2.0.0 dev=true pkg:npm/b@2.0.0
11 @scope/real 3.0.0 dev=false pkg:npm/%40scope/real@3.0.0
12 c 4.0.0 dev=false pkg:npm/c@4.0.0
`,
		},
		{
			name: "v2 prefers packages over dependencies",
			in: `{"lockfileVersion": 2,
"dependencies": {"old": {"version": "1.0.0"}},
"packages": {"node_modules/new": {"version": "2.0.0"}}}`,
			want: "3 new 2.0.0 dev=false pkg:npm/new@2.0.0\n",
		},
		{
			name: "v3 licenses of every shape",
			in: `{"lockfileVersion": 3, "packages": {
"": {"name": "root", "version": "1.0.0", "license": "UNLICENSED"},
"node_modules/a": {"version": "1.0.0", "license": "(MIT OR CC0-1.0)"},
"node_modules/b": {"version": "1.0.0", "license": {"type": "BSD-2-Clause", "url": "u"}},
"node_modules/c": {"version": "1.0.0", "license": ["MIT"]},
"node_modules/d": {"version": "1.0.0", "license": ""}}}`,
			want: `3 a 1.0.0 dev=false pkg:npm/a@1.0.0 licenses=["(MIT OR CC0-1.0)"]
4 b 1.0.0 dev=false pkg:npm/b@1.0.0 licenses=["BSD-2-Clause"]
5 c 1.0.0 dev=false pkg:npm/c@1.0.0
6 d 1.0.0 dev=false pkg:npm/d@1.0.0
`,
		},
		{
			name: "no lockfileVersion means version 1",
			in:   `{"dependencies": {"x": {"version": "1.0.0"}}}`,
			want: "1 x 1.0.0 dev=false pkg:npm/x@1.0.0\n",
		},
		{
			name: "empty",
			in:   `{"name": "x", "lockfileVersion": 3, "packages": {"": {}}}`,
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(PackageLock{}, "package-lock.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := render(pkgs); got != tt.want {
				t.Errorf("got\n%swant\n%s", got, tt.want)
			}
		})
	}
}

func TestPackageLockErrors(t *testing.T) {
	real := string(readTestdata(t, "npm-v3/package-lock.json"))
	cut := strings.Index(real, `"node_modules/lodash"`) // line 388
	tests := []struct {
		name     string
		in       string
		line     int
		msg      string
		wantPkgs int
	}{
		{"truncated real file", real[:cut+30], 388, "unexpected EOF", 30},
		{"syntax error", "{\n\"packages\": {\n\"node_modules/a\": {\"version\": \"1\"},\n\"node_modules/b\": {\"version\" \"2\"}}}", 4, "invalid character", 1},
		{"not an object", "[1, 2]", 1, "expected", 0},
		{"empty file", "", 1, "unexpected EOF", 0},
		{"wrong type", "{\"packages\": {\n\"node_modules/a\": {\"version\": 1},\n\"node_modules/b\": {\"version\": \"2\"}}}", 2, "cannot unmarshal", 1},
		{"v1 wrong type", "{\"dependencies\": {\n\"a\": {\"version\": [1]},\n\"b\": {\"version\": \"2\"}}}", 2, "cannot unmarshal", 1},
		{"too deep", "{\"dependencies\": " + strings.Repeat(`{"a": {"dependencies": `, maxDepth+1), 1, "nested more than", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(PackageLock{}, "app/package-lock.json", []byte(tt.in))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a ParseError", err, err)
			}
			if pe.Path != "app/package-lock.json" || pe.Line != tt.line || !strings.Contains(pe.Err.Error(), tt.msg) {
				t.Errorf("error %q at line %d, want %q at line %d", err, pe.Line, tt.msg, tt.line)
			}
			if len(pkgs) != tt.wantPkgs {
				t.Errorf("got %d packages before the error, want %d", len(pkgs), tt.wantPkgs)
			}
		})
	}
}

// TestPackageLockBig reads a real lockfile of 1,288 installed paths
// (react-scripts 5.0.1).
func TestPackageLockBig(t *testing.T) {
	data := readTestdata(t, "big/package-lock.json.gz")
	pkgs, err := parsePackageLock(context.Background(), "package-lock.json", data)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, "package-lock.json", data, pkgs, err)
	if len(pkgs) != 1288 {
		t.Errorf("got %d packages, want 1288", len(pkgs))
	}
	if got := len(inventory.Merge(pkgs)); got != 1213 {
		t.Errorf("got %d distinct packages, want 1213", got)
	}
}

func BenchmarkPackageLock(b *testing.B) {
	data := readTestdata(b, "big/package-lock.json.gz")
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePackageLock(ctx, "package-lock.json", data); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzPackageLock(f *testing.F) {
	for _, name := range []string{"npm-v1/package-lock.json", "npm-v2/package-lock.json", "npm-v3/package-lock.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"dependencies": {"a": {"version": "npm:@s/b@1", "dependencies": {"c": {"version": "2"}}}}}`))
	f.Add([]byte(`{"lockfileVersion": 3, "packages": {"node_modules/a": {"name": "@s/b", "version": "1", "dev": true}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(PackageLock{}, "package-lock.json", data)
		checkInvariants(t, "package-lock.json", data, pkgs, err)
	})
}
