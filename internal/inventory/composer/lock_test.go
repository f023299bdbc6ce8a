package composer

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

// summary renders packages as "line name version [dev] [licenses]", checking on the
// way the fields every composer package shares.
func summary(t *testing.T, path string, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != inventory.EcosystemPackagist {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if want := "pkg:composer/" + p.Name + "@" + p.Version; p.PURL != want {
			t.Errorf("%s: purl %q, want %q", p.Name, p.PURL, want)
		}
		if len(p.Locations) != 1 || p.Locations[0].Path != path {
			t.Errorf("%s: locations %+v", p.Name, p.Locations)
			continue
		}
		s := fmt.Sprintf("%d %s %s", p.Locations[0].Line, p.Name, p.Version)
		if p.Dev {
			s += " dev"
		}
		if len(p.Licenses) > 0 {
			s += fmt.Sprintf(" %q", p.Licenses)
		}
		out = append(out, s)
	}
	return out
}

func TestLockCatalog(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{
			// Written by Composer 2.5.5 from path repositories.
			file: "path-repos/composer.lock",
			want: []string{
				`10 guzzlehttp/guzzle 7.4.4 ["MIT"]`, `30 guzzlehttp/psr7 2.4.4 ["MIT"]`,
				`47 symfony/http-kernel v5.4.19 ["MIT"]`, `64 twig/twig v3.4.2 ["MIT"]`,
				`83 phpunit/php-code-coverage 9.2.22 dev ["MIT"]`, `100 phpunit/phpunit 9.5.27 dev ["MIT"]`,
			},
		},
		{
			// Hand-written in Packagist's layout: the authors' "name" keys
			// are not packages, and monolog's name comes after them.
			file: "packagist/composer.lock",
			want: []string{
				`10 laravel/framework v8.83.0 ["MIT"]`, "48 league/flysystem 1.1.3",
				"70 monolog/monolog 2.3.5", "79 symfony/polyfill-mbstring v1.26.0",
				"91 fakerphp/faker v1.17.0 dev", "98 mockery/mockery 1.4.4 dev",
				"102 phpunit/phpunit dev-main dev",
			},
		},
		{
			file: "empty/composer.lock",
			want: []string{},
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

func TestLockLicenses(t *testing.T) {
	many := make([]string, 0, inventory.MaxLicenses+3)
	want := make([]string, 0, inventory.MaxLicenses)
	for i := range inventory.MaxLicenses + 3 {
		many = append(many, fmt.Sprintf(`"L%02d"`, i))
		if i < inventory.MaxLicenses {
			want = append(want, fmt.Sprintf("L%02d", i))
		}
	}
	tests := []struct {
		license string
		want    []string
	}{
		{`["MIT"]`, []string{"MIT"}},
		{`["LGPL-2.1-only", "GPL-3.0-or-later", "LGPL-2.1-only"]`, []string{"GPL-3.0-or-later", "LGPL-2.1-only"}},
		{`"proprietary"`, []string{"proprietary"}},
		{`[" MIT ", "", 1, null, {"x": 1}, "a\u0001b", "` + strings.Repeat("x", inventory.MaxLicenseLen+1) + `"]`, []string{"MIT"}},
		{`{"MIT": true}`, nil},
		{`[]`, nil},
		{`null`, nil},
		{"[" + strings.Join(many, ",") + "]", want},
	}
	for _, tt := range tests {
		in := `{"packages": [{"name": "a/b", "version": "1.0.0", "license": ` + tt.license + `}]}`
		pkgs, err := catalog(t, "composer.lock", []byte(in))
		if err != nil || len(pkgs) != 1 {
			t.Fatalf("%s: %d packages, %v", tt.license, len(pkgs), err)
		}
		if !slices.Equal(pkgs[0].Licenses, tt.want) {
			t.Errorf("%s: licenses %q, want %q", tt.license, pkgs[0].Licenses, tt.want)
		}
	}
}

func TestPURL(t *testing.T) {
	tests := []struct{ name, version, want string }{
		{"symfony/http-kernel", "v5.4.19", "pkg:composer/symfony/http-kernel@v5.4.19"},
		{"Vendor/Pkg", "1.0.0+build", "pkg:composer/vendor/pkg@1.0.0%2Bbuild"},
		{"novendor", "1.0", "pkg:composer/novendor@1.0"},
	}
	for _, tt := range tests {
		if got := purl(tt.name, tt.version); got != tt.want {
			t.Errorf("purl(%q, %q) = %q, want %q", tt.name, tt.version, got, tt.want)
		}
	}
}

func TestLockMalformed(t *testing.T) {
	real := string(readTestdata(t, "path-repos/composer.lock"))
	tests := []struct {
		name     string
		data     string
		wantLine int
		wantMsg  string
		want     []string // packages kept
	}{
		{
			name:     "truncated",
			data:     real[:strings.Index(real, `"name": "symfony/http-kernel"`)+10],
			wantLine: 47,
			wantMsg:  "unexpected end of JSON input",
			want:     []string{`10 guzzlehttp/guzzle 7.4.4 ["MIT"]`, `30 guzzlehttp/psr7 2.4.4 ["MIT"]`},
		},
		{
			name:     "syntax error in the third package",
			data:     strings.Replace(real, `"version": "v5.4.19",`, `"version": "v5.4.19",,`, 1),
			wantLine: 48,
			want:     []string{`10 guzzlehttp/guzzle 7.4.4 ["MIT"]`, `30 guzzlehttp/psr7 2.4.4 ["MIT"]`},
		},
		{
			name:     "version is not a string",
			data:     "{\n\"packages\": [\n{\"name\": \"a/b\", \"version\": 1},\n{\"name\": \"c/d\", \"version\": \"1.0.0\"}\n]\n}\n",
			wantLine: 3,
			wantMsg:  "package version is not a string",
			want:     []string{"4 c/d 1.0.0"},
		},
		{
			name:     "entry without a name",
			data:     "{\"packages-dev\": [\n{\"version\": \"1.0.0\"},\n{\"name\": \"c/d\", \"version\": \"2.0.0\"}\n]}",
			wantLine: 2,
			wantMsg:  "package without a name or version",
			want:     []string{"3 c/d 2.0.0 dev"},
		},
		{
			name:     "entries that are not objects",
			data:     "{\"packages\": [\n[1, [2]],\n\"x\",\n{\"name\": \"c/d\", \"version\": \"2.0.0\"}\n]}",
			wantLine: 2,
			wantMsg:  "package entry [ is not an object",
			want:     []string{"4 c/d 2.0.0"},
		},
		{
			name:     "packages is not an array",
			data:     "{\n\"packages\": {\"name\": \"a/b\"}\n}",
			wantLine: 2,
			wantMsg:  "packages: { is not an array",
		},
		{
			name:     "not an object",
			data:     "[]",
			wantLine: 1,
			wantMsg:  "not a JSON object",
		},
		{
			name:     "empty",
			data:     "",
			wantLine: 1,
			wantMsg:  "unexpected end of JSON input",
		},
		{
			name:     "too deep",
			data:     "{\"packages\": [{\"name\": \"a/b\", \"version\": \"1\"}],\n\"extra\": " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}",
			wantLine: 2,
			want:     []string{"1 a/b 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, "app/composer.lock", []byte(tt.data))
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want *inventory.ParseError", err, err)
			}
			if pe.Path != "app/composer.lock" || pe.Line != tt.wantLine {
				t.Errorf("error at %s:%d, want app/composer.lock:%d (%v)", pe.Path, pe.Line, tt.wantLine, err)
			}
			if tt.wantMsg != "" && pe.Err.Error() != tt.wantMsg {
				t.Errorf("message %q, want %q", pe.Err, tt.wantMsg)
			}
			if got := summary(t, "app/composer.lock", pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages kept:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLockTooManyPackages(t *testing.T) {
	data := "{\"packages\": [{\"name\": \"a/b\", \"version\": \"1\"}],\n\"packages-dev\": [{\"name\": \"c/d\", \"version\": \"1\"},\n{\"name\": \"e/f\", \"version\": \"1\"}]}"
	pkgs, err := parseLock("composer.lock", []byte(data), 2)
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.Err.Error() != "more than 2 packages" || pe.Line != 2 {
		t.Fatalf("error %v", err)
	}
	if got := summary(t, "composer.lock", pkgs); !slices.Equal(got, []string{"1 a/b 1", "2 c/d 1 dev"}) {
		t.Errorf("kept %q", got)
	}
}

func TestLockTooLarge(t *testing.T) {
	data := make([]byte, maxLockSize+1)
	if _, err := catalog(t, "composer.lock", data); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v, want the size limit", err)
	}
}

func TestLockCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := LockCataloger{}.Catalog(ctx, walk.BytesFile("composer.lock", []byte("{}")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestLockWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"composer.lock", true},
		{"srv/www/app/composer.lock", true},
		{"vendor/composer.lock", true},
		{"app/vendor/guzzlehttp/guzzle/composer.lock", false},
		{"composer.json", false},
		{"Composer.lock", false},
	}
	for _, tt := range tests {
		if got := (LockCataloger{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestCatalogers(t *testing.T) {
	cs := Catalogers()
	if len(cs) != 1 || cs[0].Name() != "composer-lock" {
		t.Fatalf("Catalogers() = %v", cs)
	}
}

func FuzzComposerLock(f *testing.F) {
	for _, name := range []string{"path-repos/composer.lock", "packagist/composer.lock", "empty/composer.lock"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"packages": [[1], "x", {"name": 1}, {"name": "a/b", "version": "1", "name": "c"}], "packages-dev": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(t, "composer.lock", data)
		if err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "composer.lock" || pe.Line < 1 {
				t.Fatalf("error %v (%T) is not a ParseError naming composer.lock and a line", err, err)
			}
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Ecosystem != inventory.EcosystemPackagist {
				t.Fatalf("bad package %+v", p)
			}
			if p.PURL != "" && !strings.HasPrefix(p.PURL, "pkg:composer/") {
				t.Fatalf("bad purl %q", p.PURL)
			}
			if len(p.Locations) != 1 || p.Locations[0].Path != "composer.lock" || p.Locations[0].Line < 1 || p.Locations[0].Line > lines {
				t.Fatalf("bad location %+v", p.Locations)
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
	})
}

func BenchmarkComposerLock(b *testing.B) {
	var synthetic strings.Builder
	synthetic.WriteString("{\n    \"packages\": [\n")
	for i := range 500 {
		if i > 0 {
			synthetic.WriteString(",\n")
		}
		fmt.Fprintf(&synthetic, `        {
            "name": "vendor%d/package",
            "version": "v1.%d.0",
            "source": {"type": "git", "url": "https://github.com/vendor%d/package.git", "reference": "0123456789abcdef0123456789abcdef01234567"},
            "require": {"php": ">=7.2", "psr/log": "^1.0"},
            "autoload": {"psr-4": {"Vendor\\Package\\": "src/"}},
            "authors": [{"name": "Someone", "email": "someone@example.com"}],
            "description": "A package used to measure the composer.lock reader."
        }`, i, i, i)
	}
	synthetic.WriteString("\n    ],\n    \"packages-dev\": []\n}\n")
	for _, bm := range []struct {
		name string
		data []byte
	}{
		{"packagist-7", readTestdata(b, "packagist/composer.lock")},
		{"synthetic-500", []byte(synthetic.String())},
	} {
		b.Run(bm.name, func(b *testing.B) {
			f := walk.BytesFile("composer.lock", bm.data)
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
