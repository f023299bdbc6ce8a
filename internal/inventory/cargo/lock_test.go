package cargo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// catalog runs LockCataloger on data as if it were the file at name.
func catalog(t testing.TB, name string, data []byte) ([]inventory.Package, error) {
	t.Helper()
	return LockCataloger{}.Catalog(context.Background(), walk.BytesFile(name, data))
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// summary renders packages as "line name version", checking on the way the
// fields every cargo package shares.
func summary(t *testing.T, path string, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != inventory.EcosystemCrates {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if want := "pkg:cargo/" + p.Name + "@" + p.Version; p.PURL != want {
			t.Errorf("%s: purl %q, want %q", p.Name, p.PURL, want)
		}
		if p.Dev {
			t.Errorf("%s: marked dev", p.Name)
		}
		if len(p.Locations) != 1 || p.Locations[0].Path != path {
			t.Errorf("%s: locations %+v", p.Name, p.Locations)
			continue
		}
		out = append(out, fmt.Sprintf("%d %s %s", p.Locations[0].Line, p.Name, p.Version))
	}
	return out
}

func TestLockCatalog(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{
			// Written by cargo 1.95 from Debian's crates: crates.io
			// packages, the root package, a path and a git dependency.
			file: "v4/Cargo.lock",
			want: []string{
				"5 autocfg 1.1.0", "11 bitflags 1.3.2", "17 bytes 1.2.1", "23 cc 1.0.73",
				"29 cfg-if 1.0.0", "35 demo-app 0.1.0", "46 fnv 1.0.7", "52 foreign-types 0.3.2",
				"61 foreign-types-shared 0.1.1", "67 futures-core 0.3.21", "73 futures-sink 0.3.21",
				"79 futures-task 0.3.21", "85 futures-util 0.3.21", "97 gitdep 0.2.0", "102 h2 0.3.13",
				"121 hashbrown 0.12.3", "127 http 0.2.7", "138 indexmap 1.9.2", "148 itoa 1.0.1",
				"154 libc 0.2.139", "160 memchr 2.5.0", "166 once_cell 1.17.0", "172 openssl 0.10.45",
				"187 openssl-macros 0.1.0", "198 openssl-sys 0.9.80", "211 pathdep 0.3.0",
				"215 pin-project-lite 0.2.9", "221 pin-utils 0.1.0", "227 pkg-config 0.3.25",
				"233 proc-macro2 1.0.47", "242 quote 1.0.21", "251 slab 0.4.4", "257 smallvec 1.9.0",
				"263 syn 1.0.107", "274 tokio 1.24.2", "286 tokio-util 0.7.3", "300 tracing 0.1.37",
				"311 tracing-core 0.1.30", "320 unicode-ident 1.0.0", "326 vcpkg 0.2.8",
			},
		},
		{
			file: "v3/Cargo.lock",
			want: []string{
				"5 autocfg 1.1.0", "11 bitflags 1.3.2", "17 cc 1.0.73", "23 cfg-if 1.0.0",
				"29 demo-app 0.1.0", "38 foreign-types 0.3.2", "47 foreign-types-shared 0.1.1",
				"53 gitdep 0.2.0", "58 libc 0.2.139", "64 once_cell 1.17.0", "70 openssl 0.10.45",
				"85 openssl-macros 0.1.0", "96 openssl-sys 0.9.80", "109 pkg-config 0.3.25",
				"115 proc-macro2 1.0.47", "124 quote 1.0.21", "133 smallvec 1.9.0", "139 syn 1.0.107",
				"150 unicode-ident 1.0.0", "156 vcpkg 0.2.8",
			},
		},
		{
			file: "v2/Cargo.lock",
			want: []string{
				"3 autocfg 1.1.0", "9 bytes 1.2.1", "15 cfg-if 1.0.0", "21 demo-app 0.1.0",
				"29 fnv 1.0.7", "35 futures-core 0.3.21", "41 futures-sink 0.3.21",
				"47 futures-task 0.3.21", "53 futures-util 0.3.21", "65 h2 0.3.13",
				"84 hashbrown 0.12.3", "90 http 0.2.7", "101 indexmap 1.9.2", "111 itoa 1.0.1",
				"117 memchr 2.5.0", "123 once_cell 1.17.0", "129 pin-project-lite 0.2.9",
				"135 pin-utils 0.1.0", "141 slab 0.4.4", "147 smallvec 1.9.0", "153 tokio 1.24.2",
				"165 tokio-util 0.7.3", "179 tracing 0.1.37", "190 tracing-core 0.1.30",
			},
		},
		{
			file: "v1/Cargo.lock",
			want: []string{
				"3 cfg-if 0.1.10", "8 legacy-app 0.1.0", "18 libc 0.2.66", "23 maybe-uninit 2.0.0",
				"28 rand_core 0.4.0", "33 regex 1.5.4", "38 smallvec 0.6.13", "46 time 0.1.43",
				"55 winapi 0.3.8",
			},
		},
		{
			file: "v1-root/Cargo.lock",
			want: []string{"1 old-app 0.2.0", "8 smallvec 0.6.13"},
		},
		{
			// Other registries and [[patch.unused]] entries are left out;
			// crates.io by either index, git and path packages are kept.
			file: "sources/Cargo.lock",
			want: []string{
				"4 app 0.1.0", "22 hyper 0.14.10", "28 regex 1.5.4", "40 tokio 1.8.0", "45 vendored 0.0.1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pkgs, err := catalog(t, tt.file, readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			if got := summary(t, tt.file, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLockPURL(t *testing.T) {
	pkgs, err := catalog(t, "Cargo.lock", []byte("version = 4\n[[package]]\nname = \"tokio-util\"\nversion = \"0.7.0-rc.1+meta\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:cargo/tokio-util@0.7.0-rc.1%2Bmeta" {
		t.Fatalf("got %+v", pkgs)
	}
}

func TestLockMalformed(t *testing.T) {
	v3 := string(readTestdata(t, "v3/Cargo.lock"))
	tests := []struct {
		name     string
		data     string
		wantLine int
		wantMsg  string
		want     []string // packages kept
	}{
		{
			name:     "unterminated string in the fourth package",
			data:     strings.Replace(v3, "version = \"1.0.0\"\nsource", "version = \"1.0.0\nsource", 1),
			wantLine: 25,
			want:     []string{"5 autocfg 1.1.0", "11 bitflags 1.3.2", "17 cc 1.0.73"},
		},
		{
			name:     "version of the wrong type",
			data:     "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = 2\n",
			wantLine: 7,
			wantMsg:  "package without a name or version",
			want:     []string{"3 a 1.0.0"},
		},
		{
			name:     "source of the wrong type",
			data:     "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = [\"x\"]\n",
			wantLine: 1,
			wantMsg:  "package a: source is not a string",
		},
		{
			name:     "package is not an array of tables",
			data:     "version = 3\npackage = 5\n",
			wantLine: 2,
		},
		{
			name:     "package without a version",
			data:     "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\n\n[[package]]\nname = \"c\"\nversion = \"2.0.0\"\n",
			wantLine: 5,
			wantMsg:  "package without a name or version",
			want:     []string{"1 a 1.0.0", "8 c 2.0.0"},
		},
		{
			name:     "not TOML",
			data:     "{\"lockfileVersion\": 3}\n",
			wantLine: 1,
		},
		{
			name:     "deep nesting",
			data:     "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nx = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			wantLine: 7,
			wantMsg:  "more than 32 nested arrays or tables",
			want:     []string{"1 a 1.0.0"},
		},
		{
			name:     "long dotted key",
			data:     "a" + strings.Repeat(".a", 100) + " = 1\n",
			wantLine: 1,
			wantMsg:  "more than 64 dots in one line",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, "x/Cargo.lock", []byte(tt.data))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want *inventory.ParseError", err, err)
			}
			if pe.Path != "x/Cargo.lock" || pe.Line != tt.wantLine {
				t.Errorf("error at %s:%d, want x/Cargo.lock:%d (%v)", pe.Path, pe.Line, tt.wantLine, err)
			}
			if tt.wantMsg != "" && pe.Err.Error() != tt.wantMsg {
				t.Errorf("message %q, want %q", pe.Err, tt.wantMsg)
			}
			if got := summary(t, "x/Cargo.lock", pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages kept:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A few megabytes of nested arrays overflow BurntSushi/toml's stack, which
// kills the process; the shape check must refuse them first, and quickly.
func TestLockHostileNesting(t *testing.T) {
	const n = 3 << 20
	for name, data := range map[string]string{
		"arrays":     "a = " + strings.Repeat("[", n) + strings.Repeat("]", n),
		"dotted key": "a" + strings.Repeat(".a", n) + " = 1",
		"header":     "[a" + strings.Repeat(".a", n) + "]",
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := catalog(t, "Cargo.lock", []byte(data))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Line != 1 {
				t.Fatalf("error %v, want a ParseError at line 1", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestLockTooManyPackages(t *testing.T) {
	data := []byte("[[package]]\nname = \"a\"\nversion = \"1\"\n[[package]]\nname = \"b\"\nversion = \"1\"\n[[package]]\nname = \"c\"\nversion = \"1\"\n")
	lf, _, err := decodeLock(data)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := lockPackages("Cargo.lock", lf, headers(data), 2)
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.Err.Error() != "more than 2 packages" || pe.Line != 7 {
		t.Fatalf("error %v", err)
	}
	if got := summary(t, "Cargo.lock", pkgs); !slices.Equal(got, []string{"1 a 1", "4 b 1"}) {
		t.Errorf("kept %q", got)
	}
}

func TestLockTooLarge(t *testing.T) {
	data := make([]byte, maxLockSize+1)
	if _, err := catalog(t, "Cargo.lock", data); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v, want the size limit", err)
	}
}

func TestLockCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := LockCataloger{}.Catalog(ctx, walk.BytesFile("Cargo.lock", readTestdata(t, "v4/Cargo.lock")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestLockWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"Cargo.lock", true},
		{"src/app/Cargo.lock", true},
		{"cargo.lock", false},
		{"Cargo.toml", false},
		{"Cargo.lock.bak", false},
		{"root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.1.0/Cargo.lock", false},
		{"usr/share/cargo/registry/h2-0.3.13/Cargo.lock", false},
		{"home/me/registry/Cargo.lock", true},
	}
	for _, tt := range tests {
		if got := (LockCataloger{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestCatalogers(t *testing.T) {
	cs := Catalogers()
	if len(cs) != 1 || cs[0].Name() != "cargo-lock" {
		t.Fatalf("Catalogers() = %v", cs)
	}
}

func FuzzCargoLock(f *testing.F) {
	for _, name := range []string{"v4/Cargo.lock", "v3/Cargo.lock", "v2/Cargo.lock", "v1/Cargo.lock", "v1-root/Cargo.lock", "sources/Cargo.lock"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("[[package]]\nname = 'a'\nversion = '''1.0.0'''\nx = [[1], {a = 1}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(t, "Cargo.lock", data)
		if err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "Cargo.lock" || pe.Line < 0 {
				t.Fatalf("error %v (%T) is not a ParseError naming Cargo.lock", err, err)
			}
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Ecosystem != inventory.EcosystemCrates || !strings.HasPrefix(p.PURL, "pkg:cargo/") {
				t.Fatalf("bad package %+v", p)
			}
			if len(p.Locations) != 1 || p.Locations[0].Path != "Cargo.lock" || p.Locations[0].Line < 0 || p.Locations[0].Line > lines {
				t.Fatalf("bad location %+v", p.Locations)
			}
		}
	})
}

func BenchmarkCargoLock(b *testing.B) {
	var synthetic strings.Builder
	synthetic.WriteString("version = 4\n")
	for i := range 2000 {
		fmt.Fprintf(&synthetic, "\n[[package]]\nname = \"crate-%d\"\nversion = \"1.%d.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"d468802bab17cbc0cc575e9b053f41e72aa36bfa6b7f55e3529ffa43161b97fa\"\ndependencies = [\n \"crate-%d\",\n]\n", i, i, i+1)
	}
	for _, bm := range []struct {
		name string
		data []byte
	}{
		{"real-v4-40", readTestdata(b, "v4/Cargo.lock")},
		{"synthetic-2000", []byte(synthetic.String())},
	} {
		b.Run(bm.name, func(b *testing.B) {
			f := walk.BytesFile("Cargo.lock", bm.data)
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (LockCataloger{}).Catalog(context.Background(), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
