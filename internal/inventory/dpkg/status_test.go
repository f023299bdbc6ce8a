package dpkg

import (
	"bufio"
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
	return StatusCataloger{}.Catalog(context.Background(), walk.BytesFile(name, data))
}

// summary renders packages as dpkg-query's format in the testdata README
// does, checking the fields every dpkg package shares on the way.
func summary(t *testing.T, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != distro.TypeDeb {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if u, err := packageurl.FromString(p.PURL); err != nil || u.Type != "deb" || u.Name != p.Name || u.Version != p.Version {
			t.Errorf("%s: purl %q", p.Name, p.PURL)
		}
		if len(p.Locations) != 1 || p.Locations[0].Line <= 0 {
			t.Errorf("%s: locations %+v", p.Name, p.Locations)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", p.Name, p.Version, p.SourceName, p.SourceVersion))
	}
	return out
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestBookworm checks every package of a real debootstrap against what
// dpkg-query lists for it.
func TestBookworm(t *testing.T) {
	pkgs, err := catalog(t, "bookworm-minbase/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	got := summary(t, pkgs)
	slices.Sort(got)
	want := readLines(t, "bookworm-minbase/dpkg-query.txt")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got %d packages, want %d\ngot  %q\nwant %q", len(got), len(want), got, want)
	}
	byName := make(map[string]inventory.Package)
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	for _, c := range []struct {
		name, purl string
		line       int
	}{
		{"adduser", "pkg:deb/adduser@3.134?arch=all", 1},
		{"bsdutils", "pkg:deb/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64", 0},
		{"zlib1g", "pkg:deb/zlib1g@1:1.2.13.dfsg-1?arch=amd64", 0},
	} {
		p := byName[c.name]
		if p.PURL != c.purl {
			t.Errorf("%s: purl %q, want %q", c.name, p.PURL, c.purl)
		}
		if c.line > 0 && p.Locations[0].Line != c.line {
			t.Errorf("%s: line %d, want %d", c.name, p.Locations[0].Line, c.line)
		}
	}
	// Each stanza starts at its "Package:" line in this file.
	lines := readLines(t, "bookworm-minbase/var/lib/dpkg/status")
	for _, p := range pkgs {
		if l := lines[p.Locations[0].Line-1]; l != "Package: "+p.Name {
			t.Errorf("%s: line %d is %q", p.Name, p.Locations[0].Line, l)
		}
	}
}

func TestDistroless(t *testing.T) {
	dir := "distroless/var/lib/dpkg/status.d"
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		p := dir + "/" + e.Name()
		if !(StatusCataloger{}).Wants(p, nil) {
			continue
		}
		pkgs, err := catalog(t, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got = append(got, summary(t, pkgs)...)
	}
	want := []string{
		"base-files 12.4+deb12u15 base-files 12.4+deb12u15",
		"bash 5.2.15-2+b13 bash 5.2.15-2",
		"bsdutils 1:2.38.1-5+deb12u3 util-linux 2.38.1-5+deb12u3",
		"libc6 2.36-9+deb12u14 glibc 2.36-9+deb12u14",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestEdgeCases(t *testing.T) {
	pkgs, err := catalog(t, "edge/status")
	var perr *inventory.ParseError
	if !errors.As(err, &perr) || perr.Line != 24 || perr.Path != "edge/status" {
		t.Fatalf("error %v, want a ParseError at edge/status:24", err)
	}
	got := summary(t, pkgs)
	want := []string{"held 2.0-1 heldsrc 2.0-1", "libfoo1 1:1.2-3+b1 foo 1:1.2-3"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if pkgs[0].Locations[0].Line != 1 || pkgs[1].Locations[0].Line != 33 {
		t.Errorf("lines %d, %d; want 1, 33", pkgs[0].Locations[0].Line, pkgs[1].Locations[0].Line)
	}
	if pkgs[0].PURL != "pkg:deb/held@2.0-1?arch=arm64" {
		t.Errorf("purl %q", pkgs[0].PURL)
	}
}

func TestParseStatusErrors(t *testing.T) {
	tests := []struct {
		name, data string
		needStatus bool
		line       int
		msg        string
		want       int
	}{
		{"no package", "Status: install ok installed\nVersion: 1\n", true, 1, "without a Package", 0},
		{"not a field", "Package: a\nStatus: install ok installed\nVersion: 1\nnonsense\n", true, 4, "not \"Field: value\"", 1},
		{"continuation first", " orphan\n\nPackage: a\nVersion: 1\n", false, 1, "continuation line", 1},
		{"space in version", "Package: a\nVersion: 1 2\n", false, 1, "space in name", 0},
		{"status.d with status", "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: b\nVersion: 2", false, 0, "", 1},
		{"status without status", "Package: a\nVersion: 1\n", true, 0, "", 0},
		{"crlf", "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\n", true, 0, "", 1},
		{"empty", "", true, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parseStatus("status", []byte(tt.data), tt.needStatus)
			if len(pkgs) != tt.want {
				t.Errorf("%d packages, want %d", len(pkgs), tt.want)
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

func TestWants(t *testing.T) {
	for p, want := range map[string]bool{
		"var/lib/dpkg/status":                     true,
		"rootfs/var/lib/dpkg/status":              true,
		"var/lib/dpkg/status-old":                 false,
		"var/lib/dpkg/status.d/bash":              true,
		"var/lib/dpkg/status.d/bash.md5sums":      false,
		"var/lib/dpkg/status.d/sub/bash":          false,
		"x/var/lib/dpkg/status.d/libc6":           true,
		"var/lib/dpkg/statusd/bash":               false,
		"usr/share/doc/var/lib/dpkg/status.d.txt": false,
	} {
		if got := (StatusCataloger{}).Wants(p, nil); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestLimit(t *testing.T) {
	var b strings.Builder
	for i := range 11 {
		fmt.Fprintf(&b, "Package: p%d\nVersion: 1\n\n", i)
	}
	pkgs, err := parseStatusMax("status.d/x", []byte(b.String()), false, 10)
	if len(pkgs) != 10 || err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("%d packages, error %v", len(pkgs), err)
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, name := range []string{"bookworm-minbase/var/lib/dpkg/status", "edge/status", "distroless/var/lib/dpkg/status.d/bsdutils"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, needStatus bool) {
		pkgs, err := parseStatus("status", data, needStatus)
		if err != nil {
			var perr *inventory.ParseError
			if !errors.As(err, &perr) || perr.Path != "status" {
				t.Fatalf("error %T %v is not a ParseError naming the file", err, err)
			}
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.SourceName == "" || p.SourceVersion == "" || p.PURL == "" {
				t.Fatalf("incomplete package %+v", p)
			}
			if p.Locations[0].Line < 1 {
				t.Fatalf("line %d", p.Locations[0].Line)
			}
		}
	})
}

func BenchmarkParseStatus(b *testing.B) {
	data, err := os.ReadFile("testdata/bookworm-minbase/var/lib/dpkg/status")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseStatus("status", data, true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWithDistro runs the detector and Apply over the debootstrap's own
// os-release, as the image pipeline does.
func TestWithDistro(t *testing.T) {
	det := distro.NewDetector(nil)
	osr, err := os.ReadFile("testdata/bookworm-minbase/etc/os-release")
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
	pkgs, err := catalog(t, "bookworm-minbase/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	pkgs = distro.Apply(d, pkgs)
	for _, p := range pkgs {
		if p.Ecosystem != "Debian:12" || !strings.Contains(p.PURL, "distro=debian-12") || !strings.HasPrefix(p.PURL, "pkg:deb/debian/") {
			t.Fatalf("%s: %s %s", p.Name, p.Ecosystem, p.PURL)
		}
		if p.Name == "bash" && p.PURL != "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12" {
			t.Errorf("bash purl %q", p.PURL)
		}
	}
}
