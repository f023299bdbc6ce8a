package rpm

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
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
	"github.com/redline-sec/redline/internal/walk"
)

func catalog(t testing.TB, c DBCataloger, name string) ([]inventory.Package, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return c.Catalog(context.Background(), walk.BytesFile(name, data))
}

// summary renders packages as the rpm query in testdata/README.md does:
// "name [epoch:]version-release arch sourcerpm license".
func summary(t *testing.T, name string, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != distro.TypeRPM {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if len(p.Locations) != 1 || p.Locations[0].Path != name {
			t.Errorf("%s: locations %+v", p.Name, p.Locations)
		}
		u, err := packageurl.FromString(p.PURL)
		if err != nil || u.Type != "rpm" || u.Name != p.Name {
			t.Fatalf("%s: purl %q", p.Name, p.PURL)
		}
		q := u.Qualifiers.Map()
		version := u.Version
		if e := q["epoch"]; e != "" {
			version = e + ":" + version
		}
		if version != p.Version {
			t.Errorf("%s: purl %q does not hold version %q", p.Name, p.PURL, p.Version)
		}
		_, srcVR, _ := strings.Cut(p.SourceVersion, ":")
		if !strings.Contains(p.SourceVersion, ":") {
			srcVR = p.SourceVersion
		}
		out = append(out, fmt.Sprintf("%s %s %s %s-%s.src.rpm %s", p.Name, p.Version, q["arch"], p.SourceName, srcVR, strings.Join(p.Licenses, "|")))
	}
	slices.Sort(out)
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

func TestCatalog(t *testing.T) {
	tests := []struct{ db, want string }{
		{"sqlite/var/lib/rpm/rpmdb.sqlite", "sqlite/rpm-qa.txt"},
		{"bdb-ubi8/var/lib/rpm/Packages", "bdb-ubi8/rpm-qa.txt"},
		{"bdb-epoch/var/lib/rpm/Packages", "bdb-epoch/rpm-qa.txt"},
		{"ndb-sle15/usr/lib/sysimage/rpm/Packages.db", "ndb-sle15/expected.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.db, func(t *testing.T) {
			if !(DBCataloger{}).Wants(tt.db, nil) {
				t.Fatalf("Wants(%q) = false", tt.db)
			}
			pkgs, err := catalog(t, DBCataloger{}, tt.db)
			if err != nil {
				t.Fatal(err)
			}
			got := summary(t, tt.db, pkgs)
			want := readLines(t, tt.want)
			if !slices.Equal(got, want) {
				t.Errorf("got %d packages, want %d\ngot  %q\nwant %q", len(got), len(want), got, want)
			}
		})
	}
}

func TestEpochPURL(t *testing.T) {
	pkgs, err := catalog(t, DBCataloger{}, "sqlite/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL+" "+p.SourceName+" "+p.SourceVersion)
	}
	want := []string{
		"pkg:rpm/epochpkg@2.5-7.el9?arch=noarch&epoch=2 epochpkg 2:2.5-7.el9",
		"pkg:rpm/hello@1.0-3.el9?arch=noarch hello 1.0-3.el9",
		"pkg:rpm/hello-libs@1.0-3.el9?arch=noarch hello 1.0-3.el9",
		"pkg:rpm/tzdata-tiny@2024a-1.el9?arch=noarch tzdata-tiny 2024a-1.el9",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestCatalogErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a database at all")},
		{"sqlite header only", []byte("SQLite format 3\x00" + strings.Repeat("\x00", 84))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := DBCataloger{}.Catalog(context.Background(), walk.BytesFile("var/lib/rpm/Packages", tt.data))
			var perr *inventory.ParseError
			if len(pkgs) != 0 || !errors.As(err, &perr) || perr.Path != "var/lib/rpm/Packages" {
				t.Fatalf("%d packages, error %v", len(pkgs), err)
			}
		})
	}
}

// TestTruncated cuts real databases short: the reader must fail or list
// fewer packages, in bounded time, and never panic.
func TestTruncated(t *testing.T) {
	for _, name := range []string{"bdb-ubi8/var/lib/rpm/Packages", "ndb-sle15/usr/lib/sysimage/rpm/Packages.db", "sqlite/var/lib/rpm/rpmdb.sqlite"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{len(data) / 2, len(data) - 4096} {
			c := DBCataloger{Timeout: 10 * time.Second}
			pkgs, err := c.Catalog(context.Background(), walk.BytesFile(name, data[:n]))
			t.Logf("%s cut at %d: %d packages, %v", name, n, len(pkgs), err)
		}
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct{ in, name, vr string }{
		{"util-linux-2.32.1-42.el8_8.src.rpm", "util-linux", "2.32.1-42.el8_8"},
		{"gcc11-11.2.1+git610-1.3.9.src.rpm", "gcc11", "11.2.1+git610-1.3.9"},
		{"kernel-5.14.0-362.8.1.el9_3.nosrc.rpm", "kernel", "5.14.0-362.8.1.el9_3"},
		{"a-1-2.src.rpm", "a", "1-2"},
		{"noversion.src.rpm", "", ""},
		{"a-1.src.rpm", "", ""},
		{"-1-2.src.rpm", "", ""},
		{"a--2.src.rpm", "", ""},
		{"a-1-.src.rpm", "", ""},
		{"(none)", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		name, vr, ok := parseSourceRPM(tt.in)
		if name != tt.name || vr != tt.vr || ok != (tt.name != "") {
			t.Errorf("parseSourceRPM(%q) = %q, %q, %v; want %q, %q", tt.in, name, vr, ok, tt.name, tt.vr)
		}
	}
}

func TestWants(t *testing.T) {
	for p, want := range map[string]bool{
		"var/lib/rpm/rpmdb.sqlite":              true,
		"var/lib/rpm/Packages":                  true,
		"var/lib/rpm/Packages.db":               true,
		"usr/lib/sysimage/rpm/rpmdb.sqlite":     true,
		"usr/lib/sysimage/rpm/Packages.db":      true,
		"rootfs/var/lib/rpm/Packages":           true,
		"var/lib/rpm/rpmdb.sqlite-wal":          false,
		"var/lib/rpm/Basenames":                 false,
		"home/x/var/lib/rpmx/Packages":          false,
		"var/lib/dpkg/Packages":                 false,
		"usr/share/doc/var/lib/rpm/Packages.gz": false,
	} {
		if got := (DBCataloger{}).Wants(p, nil); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzParseSourceRPM(f *testing.F) {
	f.Add("util-linux-2.32.1-42.el8_8.src.rpm")
	f.Add("a--.nosrc.rpm")
	f.Fuzz(func(t *testing.T, s string) {
		name, vr, ok := parseSourceRPM(s)
		if !ok {
			return
		}
		if name == "" || vr == "" || !strings.HasPrefix(s, name+"-"+vr+".") {
			t.Fatalf("parseSourceRPM(%q) = %q, %q", s, name, vr)
		}
	})
}

func BenchmarkCatalogNDB(b *testing.B) {
	data, err := os.ReadFile("testdata/ndb-sle15/usr/lib/sysimage/rpm/Packages.db")
	if err != nil {
		b.Fatal(err)
	}
	f := walk.BytesFile("usr/lib/sysimage/rpm/Packages.db", data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := (DBCataloger{}).Catalog(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCatalogSQLite(b *testing.B) {
	data, err := os.ReadFile("testdata/sqlite/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		b.Fatal(err)
	}
	f := walk.BytesFile("var/lib/rpm/rpmdb.sqlite", data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := (DBCataloger{}).Catalog(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}
