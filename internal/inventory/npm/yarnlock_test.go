package npm

import (
	"errors"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
)

func TestYarnLockWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"yarn.lock", true},
		{"web/yarn.lock", true},
		{"web/node_modules/x/yarn.lock", false},
		{"web/yarn.lock.orig", false},
		{"web/.yarn/install-state.gz", false},
	}
	for _, tt := range tests {
		if got := (YarnLock{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %t, want %t", tt.path, got, tt.want)
		}
	}
}

func TestYarnClassicCases(t *testing.T) {
	in := `# yarn lockfile v1


"@scope/a@^1.0.0", "@scope/a@^1.1.0":
  version "1.2.0"
  resolved "https://registry.yarnpkg.com/@scope/a/-/a-1.2.0.tgz#abc"
  dependencies:
    b "^2.0.0"

b@^2.0.0, b@~2.1:
  version "2.1.3"

alias@npm:real@^3:
  version "3.0.1"

"alias2@npm:@s/real2":
  version "4.0.0"

local@file:../local:
  version "0.0.1"

linked@link:./linked:
  version "0.0.0"

git@git+https://github.com/x/git.git#abc:
  version "5.0.0"

unquoted@1:
  version 1.0.0
`
	want := `4 @scope/a 1.2.0 dev=false pkg:npm/%40scope/a@1.2.0
10 b 2.1.3 dev=false pkg:npm/b@2.1.3
13 real 3.0.1 dev=false pkg:npm/real@3.0.1
16 @s/real2 4.0.0 dev=false pkg:npm/%40s/real2@4.0.0
25 git 5.0.0 dev=false pkg:npm/git@5.0.0
28 unquoted 1.0.0 dev=false pkg:npm/unquoted@1.0.0
`
	pkgs, err := catalog(YarnLock{}, "yarn.lock", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := render(pkgs); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

func TestYarnBerryCases(t *testing.T) {
	in := `__metadata:
  version: 8
  cacheKey: 10c0

"a@npm:^1.0.0":
  version: 1.0.0
  resolution: "a@npm:1.0.0"

"alias@npm:@s/real@2":
  version: 2.0.0
  resolution: "@s/real@npm:2.0.0"

"ws@workspace:packages/ws":
  version: 0.0.0-use.local
  resolution: "ws@workspace:packages/ws"

"root@workspace:.":
  version: 0.0.0-use.local
  resolution: "root@workspace:."

"l@link:./l::locator=root%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "l@link:./l::locator=root%40workspace%3A."

"p@portal:./p::locator=root%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "p@portal:./p::locator=root%40workspace%3A."

"typescript@patch:typescript@npm%3A^5#optional!builtin<compat/typescript>":
  version: 5.4.5
  resolution: "typescript@patch:typescript@npm%3A5.4.5#optional!builtin<compat/typescript>::version=5.4.5&hash=5adc0c"

"ws2@patch:ws2@workspace%3Apackages/ws2#./fix.patch":
  version: 0.0.0-use.local
  resolution: "ws2@patch:ws2@workspace%3Apackages/ws2#./fix.patch::locator=root%40workspace%3A."

"g@https://github.com/x/g.git#commit=abc":
  version: 3.0.0
  resolution: "g@https://github.com/x/g.git#commit=abc"
`
	want := `5 a 1.0.0 dev=false pkg:npm/a@1.0.0
9 @s/real 2.0.0 dev=false pkg:npm/%40s/real@2.0.0
29 typescript 5.4.5 dev=false pkg:npm/typescript@5.4.5
37 g 3.0.0 dev=false pkg:npm/g@3.0.0
`
	pkgs, err := catalog(YarnLock{}, "yarn.lock", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := render(pkgs); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

func TestYarnLockErrors(t *testing.T) {
	classic := string(readTestdata(t, "yarn-classic/yarn.lock"))
	berry := string(readTestdata(t, "yarn-berry/yarn.lock"))
	classicCut := strings.Index(classic, "lodash@4.17.15:")   // line 215
	berryCut := strings.Index(berry, `"lodash@npm:4.17.15":`) // line 299
	tests := []struct {
		name     string
		in       string
		line     int
		msg      string
		wantPkgs int
	}{
		{"classic truncated in a header", classic[:classicCut+8], 215, "does not end with a colon", 30},
		{"classic truncated before the version", classic[:classicCut+16], 215, "no version", 30},
		{"classic unterminated quote", "\"a@1:\n  version \"1\"\n", 1, "unterminated quote", 0},
		{"classic no range", "a:\n  version \"1\"\n", 1, "no version range", 0},
		{"classic bad version quote", "a@1:\n  version \"1\n", 2, "version", 0},
		{"classic long line", "a@1:\n  version " + strings.Repeat("x", maxLineLength+1) + "\n", 2, "longer than", 0},
		{"berry truncated in a quoted key", berry[:berryCut+10], 299, "found unexpected end of stream", 30},
		{"berry bad indentation", "__metadata:\n  version: 8\n\"a@npm:1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n\"b@npm:1\":\n version: 1\n  resolution: x\n", 8, "mapping values are not allowed", 1},
		{"berry no resolution", "__metadata:\n  version: 8\n\"a@npm:1\":\n  version: 1.0.0\n", 3, "no resolution", 0},
		{"berry not a mapping", "__metadata:\n- 1\n", 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(YarnLock{}, "web/yarn.lock", []byte(tt.in))
			if tt.msg == "" {
				if err != nil || len(pkgs) != 0 {
					t.Fatalf("got %d packages, %v; want none and no error", len(pkgs), err)
				}
				return
			}
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a ParseError", err, err)
			}
			if pe.Path != "web/yarn.lock" || pe.Line != tt.line || !strings.Contains(pe.Err.Error(), tt.msg) {
				t.Errorf("error %q at line %d, want %q at line %d", err, pe.Line, tt.msg, tt.line)
			}
			if len(pkgs) != tt.wantPkgs {
				t.Errorf("got %d packages before the error, want %d", len(pkgs), tt.wantPkgs)
			}
		})
	}
}

func BenchmarkYarnLock(b *testing.B) {
	for _, name := range []string{"yarn-classic/yarn.lock", "yarn-berry/yarn.lock"} {
		data := readTestdata(b, name)
		b.Run(strings.Split(name, "/")[0], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := catalog(YarnLock{}, "yarn.lock", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func FuzzYarnLock(f *testing.F) {
	f.Add(readTestdata(f, "yarn-classic/yarn.lock"))
	f.Add(readTestdata(f, "yarn-berry/yarn.lock"))
	f.Add([]byte("\"a@npm:b@^1\", a@2:\n  version \"1.0.0\"\n"))
	f.Add([]byte("__metadata:\n  version: 8\n\"x@patch:x@npm%3A1#p\":\n  version: 1.0.0\n  resolution: \"x@patch:x@npm%3A1.0.0#p\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(YarnLock{}, "yarn.lock", data)
		checkInvariants(t, "yarn.lock", data, pkgs, err)
	})
}
