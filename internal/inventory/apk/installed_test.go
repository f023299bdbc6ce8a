package apk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
	"github.com/redline-sec/redline/internal/walk"
)

func catalog(t testing.TB, name string) ([]inventory.Package, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return InstalledCataloger{}.Catalog(context.Background(), walk.BytesFile(name, data))
}

// summary renders packages as "line name version origin license",
// checking the fields every apk package shares on the way.
func summary(t *testing.T, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != distro.TypeAPK {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if u, err := packageurl.FromString(p.PURL); err != nil || u.Type != "apk" || u.Name != strings.ToLower(p.Name) || u.Version != p.Version {
			t.Errorf("%s: purl %q", p.Name, p.PURL)
		}
		if p.SourceVersion != p.Version {
			t.Errorf("%s: source version %q", p.Name, p.SourceVersion)
		}
		if len(p.Locations) != 1 {
			t.Fatalf("%s: locations %+v", p.Name, p.Locations)
		}
		out = append(out, fmt.Sprintf("%d %s %s %s %s", p.Locations[0].Line, p.Name, p.Version, p.SourceName, strings.Join(p.Licenses, "|")))
	}
	return out
}

func TestInstalled(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{
			file: "alpine-3.18/lib/apk/db/installed",
			want: []string{
				"1 alpine-baselayout 3.4.3-r1 alpine-baselayout GPL-2.0-only",
				"117 alpine-baselayout-data 3.4.3-r1 alpine-baselayout GPL-2.0-only",
				"165 alpine-keys 2.4-r1 alpine-keys MIT",
				"297 apk-tools 2.14.0-r0 apk-tools GPL-2.0-only",
				"330 busybox 1.36.0-r9 busybox GPL-2.0-only",
				"387 busybox-binsh 1.36.0-r9 busybox GPL-2.0-only",
				"409 ca-certificates-bundle 20230506-r0 ca-certificates MPL-2.0 AND MIT",
				"440 libc-utils 0.7.2-r5 libc-dev BSD-2-Clause AND BSD-3-Clause",
				"455 libcrypto3 3.1.0-r4 openssl Apache-2.0",
				"520 libssl3 3.1.0-r4 openssl Apache-2.0",
				"546 musl 1.2.4-r0 musl MIT",
				"568 musl-utils 1.2.4-r0 musl MIT AND BSD-2-Clause AND GPL-2.0-or-later",
				"603 scanelf 1.3.7-r1 pax-utils GPL-2.0-only",
				"625 ssl_client 1.36.0-r9 busybox GPL-2.0-only",
				"648 zlib 1.2.13-r1 zlib Zlib",
			},
		},
		{
			file: "alpine-3.11/lib/apk/db/installed",
			want: []string{
				"1 musl 1.1.24-r0 musl MIT",
				"20 busybox 1.31.1-r8 busybox GPL-2.0-only",
				"38 alpine-baselayout 3.2.0-r3 alpine-baselayout GPL-2.0-only",
				"58 alpine-keys 2.1-r2 alpine-keys MIT",
				"75 libcrypto1.1 1.1.1d-r0 openssl OpenSSL",
				"93 libssl1.1 1.1.1d-r0 openssl OpenSSL",
				"111 ca-certificates-cacert 20191127-r0 ca-certificates MPL-2.0 GPL-2.0-or-later",
				"128 libtls-standalone 2.9.1-r0 libtls-standalone ISC",
				"146 ssl_client 1.31.1-r8 busybox GPL-2.0-only",
				"164 zlib 1.2.11-r3 zlib Zlib",
				"182 apk-tools 2.10.4-r3 apk-tools GPL-2.0-only",
				"200 scanelf 1.2.4-r0 pax-utils GPL-2.0-only",
				"218 musl-utils 1.1.24-r0 musl MIT BSD GPL2+",
				"239 libc-utils 0.7.2-r0 libc-dev BSD",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pkgs, err := catalog(t, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(t, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	pkgs, _ := catalog(t, "alpine-3.11/lib/apk/db/installed")
	if want := "pkg:apk/libssl1.1@1.1.1d-r0?arch=x86_64"; pkgs[5].PURL != want {
		t.Errorf("purl %q, want %q", pkgs[5].PURL, want)
	}
}

func TestParseInstalledErrors(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		msg        string
		want       []string
	}{
		{"not a field", "asdf\n\nyolo\n", 1, "not \"X:value\"", nil},
		{"no version", "P:a\nA:x86_64\n\nP:b\nV:1-r0\n", 1, "without P (name) or V", []string{"4 b 1-r0 b "}},
		{"no origin", "P:Foo\nV:1-r0\nL:MIT\n", 0, "", []string{"1 Foo 1-r0 Foo MIT"}},
		{"crlf and blank lines", "\n\nP:a\r\nV:1-r0\r\n\r\n\r\n", 0, "", []string{"3 a 1-r0 a "}},
		{"empty value", "P:a\nV:\n", 1, "without P", nil},
		{"empty", "", 0, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parseInstalled("installed", []byte(tt.data))
			if got := summary(t, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var perr *inventory.ParseError
			if !errors.As(err, &perr) || perr.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want line %d containing %q", err, tt.line, tt.msg)
			}
		})
	}
}

func TestPURLLowerCase(t *testing.T) {
	pkgs, err := parseInstalled("installed", []byte("P:Foo\nV:1-r0\n"))
	if err != nil || len(pkgs) != 1 || pkgs[0].PURL != "pkg:apk/foo@1-r0" || pkgs[0].Name != "Foo" {
		t.Fatalf("%+v %v", pkgs, err)
	}
}

func TestWants(t *testing.T) {
	for p, want := range map[string]bool{
		"lib/apk/db/installed":        true,
		"rootfs/lib/apk/db/installed": true,
		"lib/apk/db/installed.new":    false,
		"usr/lib/apk/db/scripts.tar":  false,
		"mylib/apk/db/installed":      false,
	} {
		if got := (InstalledCataloger{}).Wants(p, nil); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestLimit(t *testing.T) {
	var b strings.Builder
	for i := range 11 {
		fmt.Fprintf(&b, "P:p%d\nV:1\n\n", i)
	}
	pkgs, err := parseInstalledMax("installed", []byte(b.String()), 10)
	if len(pkgs) != 10 || err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("%d packages, error %v", len(pkgs), err)
	}
}

func FuzzParseInstalled(f *testing.F) {
	for _, name := range []string{"alpine-3.18/lib/apk/db/installed", "alpine-3.11/lib/apk/db/installed"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("P:a\nV:1\n\nxx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseInstalled("installed", data)
		if err != nil {
			var perr *inventory.ParseError
			if !errors.As(err, &perr) || perr.Path != "installed" || perr.Line < 1 {
				t.Fatalf("error %T %v is not a ParseError naming file and line", err, err)
			}
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.SourceName == "" || p.PURL == "" || p.Locations[0].Line < 1 {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func BenchmarkParseInstalled(b *testing.B) {
	data, err := os.ReadFile("testdata/alpine-3.18/lib/apk/db/installed")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseInstalled("installed", data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWithDistro runs the detector and Apply over the database's
// os-release, as the image pipeline does.
func TestWithDistro(t *testing.T) {
	det := distro.NewDetector(nil)
	osr, err := os.ReadFile("testdata/alpine-3.11/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	if err := det.Analyze(context.Background(), walk.BytesFile("etc/os-release", osr)); err != nil {
		t.Fatal(err)
	}
	d, err := det.Result(nil)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := catalog(t, "alpine-3.11/lib/apk/db/installed")
	if err != nil {
		t.Fatal(err)
	}
	pkgs = distro.Apply(d, pkgs)
	if p := pkgs[5]; p.Ecosystem != "Alpine:v3.11" || p.PURL != "pkg:apk/alpine/libssl1.1@1.1.1d-r0?arch=x86_64&distro=alpine-3.11.3" || p.SourceName != "openssl" {
		t.Errorf("got %s %s %s", p.Ecosystem, p.PURL, p.SourceName)
	}
	if ws := distro.Warnings(d, pkgs); len(ws) != 1 || !strings.Contains(ws[0], "end of life on 2021-11-01") {
		t.Errorf("warnings %q", ws)
	}
}
