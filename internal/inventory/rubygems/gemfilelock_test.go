package rubygems

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

func catalog(t testing.TB, name string, data []byte) ([]inventory.Package, error) {
	t.Helper()
	return GemfileLockCataloger{}.Catalog(context.Background(), walk.BytesFile(name, data))
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
// fields every gem shares.
func summary(t *testing.T, path string, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != inventory.EcosystemRubyGems {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if want := "pkg:gem/" + p.Name + "@" + p.Version; p.PURL != want {
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

func TestGemfileLockCatalog(t *testing.T) {
	platforms := []string{
		"6 actionpack 7.0.4", "8 activesupport 7.0.4",
		"20 concurrent-ruby 1.1.10", "21 mini_portile2 2.8.0", "22 nokogiri 1.13.0",
		"25 nokogiri 1.13.0", "27 nokogiri 1.13.0", "29 racc 1.6.0", "30 rack 2.2.3",
		"31 rails-html-sanitizer 1.4.2", "33 sqlite3 1.4.2", "34 sqlite3 1.6.0",
		"39 bundler-graph 0.2.1",
	}
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{
			// Written by Bundler 2.3.15 from Debian's gems; the GIT gem is
			// reported, the PATH gem (pathgem, line 11) and Bundler are not.
			name: "bundler-2.3/Gemfile.lock",
			data: readTestdata(t, "bundler-2.3/Gemfile.lock"),
			want: []string{
				"5 gitgem 0.4.1", "17 digest 3.1.0", "18 io-wait 0.2.1", "19 minitest 5.15.0",
				"20 net-imap 0.2.3", "24 net-protocol 0.1.2", "27 rack 2.2.22", "28 rake 13.0.6",
				"29 rexml 3.2.5", "30 strscan 3.0.1", "31 timeout 0.2.0", "32 uri 0.11.0",
				"33 webrick 1.8.1",
			},
		},
		{
			name: "platforms/Gemfile.lock",
			data: readTestdata(t, "platforms/Gemfile.lock"),
			want: platforms,
		},
		{
			name: "crlf/Gemfile.lock",
			data: []byte(strings.ReplaceAll(string(readTestdata(t, "platforms/Gemfile.lock")), "\n", "\r\n")),
			want: platforms,
		},
		{
			name: "empty/Gemfile.lock",
			data: nil,
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, tt.name, tt.data)
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			if got := summary(t, tt.name, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in            string
		name, version string
		ok            bool
	}{
		{"rack (2.2.3)", "rack", "2.2.3", true},
		{"nokogiri (1.13.0-x86_64-linux)", "nokogiri", "1.13.0", true},
		{"sqlite3 (1.6.0-x86_64-linux-gnu)", "sqlite3", "1.6.0", true},
		{"rails (7.1.0.rc1)", "rails", "7.1.0.rc1", true},
		{"ffi (1.15.5-x64-mingw-ucrt)", "ffi", "1.15.5", true},
		{"rack", "", "", false},
		{"rack ()", "", "", false},
		{"rack (-java)", "", "", false},
		{"rack (2.2.3", "", "", false},
		{" (1.0)", "", "", false},
		{"a b (1.0)", "", "", false},
	}
	for _, tt := range tests {
		name, version, ok := parseSpec(tt.in)
		if name != tt.name || version != tt.version || ok != tt.ok {
			t.Errorf("parseSpec(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, version, ok, tt.name, tt.version, tt.ok)
		}
	}
}

func TestGemfileLockMalformed(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantLine int
		wantMsg  string
		want     []string // gems kept
	}{
		{
			name:     "bad spec line",
			data:     "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n    broken\n    rake (13.0.6)\n",
			wantLine: 5,
			wantMsg:  `GEM spec "broken" is not "name (version)"`,
			want:     []string{"4 rack 2.2.3", "6 rake 13.0.6"},
		},
		{
			name:     "merge conflict",
			data:     "GEM\n  remote: https://rubygems.org/\n  specs:\n<<<<<<< HEAD\n    rack (2.2.3)\n=======\n    rack (2.2.4)\n>>>>>>> branch\n    rake (13.0.6)\n",
			wantLine: 4,
			wantMsg:  "merge conflict marker",
			want:     []string{"5 rack 2.2.3", "7 rack 2.2.4", "9 rake 13.0.6"},
		},
		{
			name:     "indented line first",
			data:     "    rack (2.2.3)\nGEM\n  specs:\n    rake (13.0.6)\n",
			wantLine: 1,
			wantMsg:  "indented line before the first section",
			want:     []string{"4 rake 13.0.6"},
		},
		{
			name:     "not a lockfile",
			data:     "source \"https://rubygems.org\"\ngem \"rack\"\n",
			wantLine: 1,
			wantMsg:  "no Bundler lockfile section (GEM, GIT, PATH, DEPENDENCIES …)",
		},
		{
			name:     "long line",
			data:     "GEM\n  specs:\n    " + strings.Repeat("a", maxLineBytes) + " (1.0)\n    rake (13.0.6)\n",
			wantLine: 3,
			wantMsg:  "line longer than 65536 bytes",
			want:     []string{"4 rake 13.0.6"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, "app/Gemfile.lock", []byte(tt.data))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want *inventory.ParseError", err, err)
			}
			if pe.Path != "app/Gemfile.lock" || pe.Line != tt.wantLine {
				t.Errorf("error at %s:%d, want app/Gemfile.lock:%d (%v)", pe.Path, pe.Line, tt.wantLine, err)
			}
			if pe.Err.Error() != tt.wantMsg {
				t.Errorf("message %q, want %q", pe.Err, tt.wantMsg)
			}
			if got := summary(t, "app/Gemfile.lock", pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages kept:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestGemfileLockTooManyGems(t *testing.T) {
	data := "GEM\n  specs:\n    a (1)\n    b (1)\n    c (1)\n"
	pkgs, err := parseLock("Gemfile.lock", []byte(data), 2)
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.Err.Error() != "more than 2 gems" || pe.Line != 5 {
		t.Fatalf("error %v", err)
	}
	if got := summary(t, "Gemfile.lock", pkgs); !slices.Equal(got, []string{"3 a 1", "4 b 1"}) {
		t.Errorf("kept %q", got)
	}
}

func TestGemfileLockTooLarge(t *testing.T) {
	data := make([]byte, maxLockSize+1)
	if _, err := catalog(t, "Gemfile.lock", data); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v, want the size limit", err)
	}
}

func TestGemfileLockCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := GemfileLockCataloger{}.Catalog(ctx, walk.BytesFile("Gemfile.lock", []byte("GEM\n")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestGemfileLockWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"Gemfile.lock", true},
		{"srv/app/Gemfile.lock", true},
		{"srv/app/gems.locked", true},
		{"Gemfile", false},
		{"gemfile.lock", false},
		{"usr/local/bundle/gems/rack-2.2.3/Gemfile.lock", false},
		{"app/vendor/bundle/ruby/3.1.0/bundler/gems/rails-0123456789ab/Gemfile.lock", false},
		{"app/gems/Gemfile.lock", true},
	}
	for _, tt := range tests {
		if got := (GemfileLockCataloger{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestCatalogers(t *testing.T) {
	cs := Catalogers()
	if len(cs) != 1 || cs[0].Name() != "gemfile-lock" {
		t.Fatalf("Catalogers() = %v", cs)
	}
}

func FuzzGemfileLock(f *testing.F) {
	for _, name := range []string{"bundler-2.3/Gemfile.lock", "platforms/Gemfile.lock"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("GEM\r\n  specs:\r\n    a (1-x)\r\n      b (>= 1)\r\n<<<<<<< x\r\n    c\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(t, "Gemfile.lock", data)
		if err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "Gemfile.lock" || pe.Line < 1 {
				t.Fatalf("error %v (%T) is not a ParseError naming Gemfile.lock and a line", err, err)
			}
		}
		lines := strings.Count(string(data), "\n") + 1
		for i, p := range pkgs {
			if p.Name == "" || p.Version == "" || strings.ContainsAny(p.Name, " \t()") || strings.ContainsAny(p.Version, " \t()-") {
				t.Fatalf("bad package %+v", p)
			}
			if p.Ecosystem != inventory.EcosystemRubyGems || !strings.HasPrefix(p.PURL, "pkg:gem/") {
				t.Fatalf("bad package %+v", p)
			}
			if len(p.Locations) != 1 || p.Locations[0].Path != "Gemfile.lock" || p.Locations[0].Line < 1 || p.Locations[0].Line > lines {
				t.Fatalf("bad location %+v", p.Locations)
			}
			if i > 0 && pkgs[i-1].Locations[0].Line >= p.Locations[0].Line {
				t.Fatalf("gems out of line order: %+v before %+v", pkgs[i-1], p)
			}
		}
	})
}

func BenchmarkGemfileLock(b *testing.B) {
	var synthetic strings.Builder
	synthetic.WriteString("GEM\n  remote: https://rubygems.org/\n  specs:\n")
	for i := range 2000 {
		fmt.Fprintf(&synthetic, "    gem-%d (1.%d.0-x86_64-linux)\n      gem-%d (~> 1.0, >= 1.0.2)\n", i, i, i+1)
	}
	synthetic.WriteString("\nPLATFORMS\n  x86_64-linux\n\nBUNDLED WITH\n   2.5.3\n")
	for _, bm := range []struct {
		name string
		data []byte
	}{
		{"bundler-2.3-13", readTestdata(b, "bundler-2.3/Gemfile.lock")},
		{"synthetic-2000", []byte(synthetic.String())},
	} {
		b.Run(bm.name, func(b *testing.B) {
			f := walk.BytesFile("Gemfile.lock", bm.data)
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (GemfileLockCataloger{}).Catalog(context.Background(), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
