package distro

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// now is the day the tests judge end of life on.
func now() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }

// detect runs a detector over files given as path → contents.
func detect(t *testing.T, files map[string]string, visible func(string, string) bool) (*Distro, error) {
	t.Helper()
	d := NewDetector(now)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if !d.Wants(p, nil) {
			t.Fatalf("Wants(%q) = false", p)
		}
		if err := d.Analyze(context.Background(), walk.BytesFile(p, []byte(files[p]))); err != nil {
			t.Fatal(err)
		}
	}
	return d.Result(visible)
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  Distro
	}{
		{"debian 12", map[string]string{"etc/os-release": testdata(t, "debian-12.os-release"), "etc/debian_version": "12.11\n"},
			Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)", Ecosystem: "Debian:12", PackageType: "deb", Namespace: "debian", Supported: true, EOLDate: "2028-06-30", Path: "etc/os-release"}},
		{"ubuntu 22.04", map[string]string{"usr/lib/os-release": testdata(t, "ubuntu-22.04.os-release")},
			Distro{ID: "ubuntu", VersionID: "22.04", Codename: "jammy", PrettyName: "Ubuntu 22.04.5 LTS", Ecosystem: "Ubuntu:22.04:LTS", PackageType: "deb", Namespace: "ubuntu", Supported: true, EOLDate: "2027-06-01", Path: "usr/lib/os-release"}},
		{"ubuntu 24.10", map[string]string{"etc/os-release": "ID=ubuntu\nVERSION_ID=\"24.10\"\nVERSION=\"24.10 (Oracular Oriole)\"\n"},
			Distro{ID: "ubuntu", VersionID: "24.10", Ecosystem: "Ubuntu:24.10", PackageType: "deb", Namespace: "ubuntu", Supported: true, EOL: true, EOLDate: "2025-07-10", Path: "etc/os-release"}},
		{"alpine 3.18", map[string]string{"etc/os-release": testdata(t, "alpine-3.18.os-release"), "etc/alpine-release": "3.18.1\n"},
			Distro{ID: "alpine", VersionID: "3.18.1", PrettyName: "Alpine Linux v3.18", Ecosystem: "Alpine:v3.18", PackageType: "apk", Namespace: "alpine", Supported: true, EOL: true, EOLDate: "2025-05-09", Path: "etc/os-release"}},
		{"alpine 3.11", map[string]string{"etc/os-release": testdata(t, "alpine-3.11.os-release")},
			Distro{ID: "alpine", VersionID: "3.11.3", PrettyName: "Alpine Linux v3.11", Ecosystem: "Alpine:v3.11", PackageType: "apk", Namespace: "alpine", Supported: true, EOL: true, EOLDate: "2021-11-01", Path: "etc/os-release"}},
		{"alpine-release only", map[string]string{"etc/alpine-release": "3.20.3\n"},
			Distro{ID: "alpine", VersionID: "3.20.3", PrettyName: "Alpine Linux v3.20", Ecosystem: "Alpine:v3.20", PackageType: "apk", Namespace: "alpine", Supported: true, EOL: true, EOLDate: "2026-04-01", Path: "etc/alpine-release"}},
		{"rocky 9", map[string]string{"etc/os-release": testdata(t, "rocky-9.os-release"), "etc/redhat-release": "Rocky Linux release 9.3 (Blue Onyx)\n"},
			Distro{ID: "rocky", VersionID: "9.3", PrettyName: "Rocky Linux 9.3 (Blue Onyx)", Ecosystem: "Rocky Linux:9", PackageType: "rpm", Namespace: "rocky", Supported: true, EOLDate: "2032-05-31", Path: "etc/os-release"}},
		{"ubi 9", map[string]string{"etc/os-release": testdata(t, "ubi-9.os-release")},
			Distro{ID: "rhel", VersionID: "9.3", PrettyName: "Red Hat Enterprise Linux 9.3 (Plow)", Ecosystem: "Red Hat:enterprise_linux:9::baseos", PackageType: "rpm", Namespace: "redhat", Supported: true, EOLDate: "2032-05-31", Path: "etc/os-release"}},
		{"sles 15 sp5", map[string]string{"etc/os-release": testdata(t, "sles-15.5.os-release")},
			Distro{ID: "sles", VersionID: "15.5", PrettyName: "SUSE Linux Enterprise Server 15 SP5", Ecosystem: "SUSE:Linux Enterprise Server 15 SP5", PackageType: "rpm", Namespace: "suse", Supported: true, Path: "etc/os-release"}},
		{"fedora", map[string]string{"etc/os-release": testdata(t, "fedora-42.os-release")},
			Distro{ID: "fedora", VersionID: "42", PrettyName: "Fedora Linux 42 (Workstation Edition)", PackageType: "rpm", Namespace: "fedora", Reason: "Fedora has no OSV ecosystem", Path: "etc/os-release"}},
		{"almalinux 8", map[string]string{"etc/os-release": "ID=\"almalinux\"\nVERSION_ID=\"8.9\"\n"},
			Distro{ID: "almalinux", VersionID: "8.9", Ecosystem: "AlmaLinux:8", PackageType: "rpm", Namespace: "almalinux", Supported: true, EOLDate: "2029-03-01", Path: "etc/os-release"}},
		{"centos 7 from redhat-release", map[string]string{"etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n"},
			Distro{ID: "centos", VersionID: "7.9.2009", PrettyName: "CentOS Linux release 7.9.2009 (Core)", PackageType: "rpm", Namespace: "centos", Reason: "CentOS has no OSV ecosystem", EOL: true, EOLDate: "2024-06-30", Path: "etc/centos-release"}},
		{"debian testing", map[string]string{"etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\nVERSION_CODENAME=trixie\n"},
			Distro{ID: "debian", Codename: "trixie", PrettyName: "Debian GNU/Linux trixie/sid", PackageType: "deb", Namespace: "debian", Reason: "Debian testing and unstable have no release number; OSV records are per release", Path: "etc/os-release"}},
		{"debian_version only", map[string]string{"etc/debian_version": "10.13\n"},
			Distro{ID: "debian", VersionID: "10", PrettyName: "Debian GNU/Linux 10.13", Ecosystem: "Debian:10", PackageType: "deb", Namespace: "debian", Supported: true, EOL: true, EOLDate: "2024-06-30", Path: "etc/debian_version"}},
		{"ubuntu from lsb-release over debian_version", map[string]string{"etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\nDISTRIB_CODENAME=focal\nDISTRIB_DESCRIPTION=\"Ubuntu 20.04.6 LTS\"\n", "etc/debian_version": "bullseye/sid\n"},
			Distro{ID: "ubuntu", VersionID: "20.04", Codename: "focal", PrettyName: "Ubuntu 20.04.6 LTS", Ecosystem: "Ubuntu:20.04:LTS", PackageType: "deb", Namespace: "ubuntu", Supported: true, EOL: true, EOLDate: "2025-05-29", Path: "etc/lsb-release"}},
		{"wolfi", map[string]string{"etc/os-release": "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\n"},
			Distro{ID: "wolfi", VersionID: "20230201", PrettyName: "Wolfi", Ecosystem: "Wolfi", PackageType: "apk", Namespace: "wolfi", Supported: true, Path: "etc/os-release"}},
		{"opensuse leap", map[string]string{"etc/os-release": "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\n"},
			Distro{ID: "opensuse-leap", VersionID: "15.5", PrettyName: "openSUSE Leap 15.5", Ecosystem: "openSUSE:Leap 15.5", PackageType: "rpm", Namespace: "opensuse", Supported: true, Path: "etc/os-release"}},
		{"photon", map[string]string{"etc/os-release": "NAME=\"VMware Photon OS\"\nVERSION=\"5.0\"\nID=photon\nVERSION_ID=5.0\n"},
			Distro{ID: "photon", VersionID: "5.0", Ecosystem: "Photon OS:5.0", PackageType: "rpm", Namespace: "photon", Supported: true, Path: "etc/os-release"}},
		{"unknown", map[string]string{"etc/os-release": "ID=plan9\nID_LIKE=\"bell-labs\"\nVERSION_ID=4\n"},
			Distro{ID: "plan9", VersionID: "4", Namespace: "plan9", Reason: "unknown distribution \"plan9\" (like \"bell-labs\")", Path: "etc/os-release"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := detect(t, tt.files, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDetectNone(t *testing.T) {
	got, err := detect(t, map[string]string{}, nil)
	if got != nil || err != nil {
		t.Fatalf("got %+v, %v; want nil, nil", got, err)
	}
}

// TestVisible: a lower layer's os-release replaced by an upper one's, and
// a deleted os-release that leaves debian_version in charge.
func TestVisible(t *testing.T) {
	d := NewDetector(now)
	add := func(p, layer, data string) {
		f := walk.BytesFile(p, []byte(data))
		f.Layer = layer
		if err := d.Analyze(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	add("etc/os-release", "sha256:upper", "ID=debian\nVERSION_ID=\"12\"\n")
	add("etc/os-release", "sha256:lower", "ID=debian\nVERSION_ID=\"11\"\n")
	add("etc/debian_version", "sha256:lower", "11.9\n")
	onlyUpper := func(p, layer string) bool { return p != "etc/os-release" || layer == "sha256:upper" }
	got, err := d.Result(onlyUpper)
	if err != nil || got.Ecosystem != "Debian:12" || got.Layer != "sha256:upper" {
		t.Fatalf("got %+v, %v", got, err)
	}
	noOSRelease := func(p, _ string) bool { return p != "etc/os-release" }
	got, err = d.Result(noOSRelease)
	if err != nil || got.Ecosystem != "Debian:11" || got.Path != "etc/debian_version" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestBrokenFileFallsBack(t *testing.T) {
	got, err := detect(t, map[string]string{
		"etc/os-release":     "garbage without equals\n",
		"etc/alpine-release": "3.19.1\n",
	}, nil)
	var perr *inventory.ParseError
	if !errors.As(err, &perr) || perr.Path != "etc/os-release" || perr.Line != 1 {
		t.Errorf("error %v, want a ParseError at etc/os-release:1", err)
	}
	if got == nil || got.Ecosystem != "Alpine:v3.19" {
		t.Fatalf("got %+v", got)
	}
}

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name, data string
		want       release
		errLine    int
	}{
		{"quotes", "ID='debian'\nVERSION_ID=\"12\"\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\n", release{ID: "debian", VersionID: "12", PrettyName: "A \"quoted\" $name"}, 0},
		{"comments and blanks", "# c\n\n  ID=alpine  \n", release{ID: "alpine"}, 0},
		{"unterminated", "ID=\"debian\nVERSION_ID=12\n", release{VersionID: "12"}, 1},
		{"no id", "VERSION_ID=1\n", release{VersionID: "1"}, -1},
		{"not key value", "ID=x\nnonsense\n", release{ID: "x"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOSRelease("os-release", []byte(tt.data))
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			var perr *inventory.ParseError
			switch {
			case tt.errLine == 0 && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.errLine > 0 && (!errors.As(err, &perr) || perr.Line != tt.errLine):
				t.Errorf("error %v, want line %d", err, tt.errLine)
			case tt.errLine < 0 && err == nil:
				t.Error("no error")
			}
		})
	}
}

func TestReleaseFileErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		parse func(string, []byte) (release, error)
		data  string
	}{
		{"redhat no release", parseRedHatRelease, "Something Linux 9\n"},
		{"redhat unknown product", parseRedHatRelease, "Plan 9 release 4\n"},
		{"alpine empty", parseAlpineRelease, "\n"},
		{"debian empty", parseDebianVersion, ""},
		{"lsb no id", parseLSBRelease, "DISTRIB_RELEASE=1\n"},
	} {
		if _, err := tt.parse("f", []byte(tt.data)); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestAnalyzeRefusesLargeFiles(t *testing.T) {
	d := NewDetector(now)
	err := d.Analyze(context.Background(), walk.BytesFile("etc/os-release", make([]byte, maxReleaseSize+1)))
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error %v", err)
	}
}

func TestEOLBoundary(t *testing.T) {
	r := release{ID: "debian", VersionID: "10"}
	if d := newDistro(r, time.Date(2024, 6, 30, 23, 0, 0, 0, time.UTC)); d.EOL {
		t.Error("EOL on its last day")
	}
	if d := newDistro(r, time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)); !d.EOL {
		t.Error("not EOL the day after")
	}
}

func pkg(name, version, eco, purl string) inventory.Package {
	return inventory.Package{Name: name, Version: version, Ecosystem: eco, PURL: purl, Locations: []finding.Location{{Path: "x"}}}
}

func TestApply(t *testing.T) {
	debian := &Distro{ID: "debian", VersionID: "12", Ecosystem: "Debian:12", PackageType: TypeDeb, Namespace: "debian", Supported: true}
	alpine := &Distro{ID: "alpine", VersionID: "3.19.1", Ecosystem: "Alpine:v3.19", PackageType: TypeAPK, Namespace: "alpine", Supported: true}
	rhel := &Distro{ID: "rhel", VersionID: "9.3", Ecosystem: "Red Hat:enterprise_linux:9::baseos", PackageType: TypeRPM, Namespace: "redhat", Supported: true}
	fedora := &Distro{ID: "fedora", VersionID: "42", PackageType: TypeRPM, Namespace: "fedora", Reason: "Fedora has no OSV ecosystem", Path: "etc/os-release"}
	in := []inventory.Package{
		pkg("bash", "5.2.15-2+b2", TypeDeb, "pkg:deb/bash@5.2.15-2%2Bb2?arch=amd64"),
		pkg("musl", "1.2.4-r2", TypeAPK, "pkg:apk/musl@1.2.4-r2?arch=x86_64"),
		pkg("epochpkg", "2:2.5-7.el9", TypeRPM, "pkg:rpm/epochpkg@2.5-7.el9?arch=noarch&epoch=2"),
		pkg("golang.org/x/text", "v0.3.0", "Go", "pkg:golang/golang.org/x/text@v0.3.0"),
	}
	tests := []struct {
		name string
		d    *Distro
		want []string
		ws   []string
	}{
		{"debian", debian, []string{
			"Debian:12 pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
			"apk pkg:apk/musl@1.2.4-r2?arch=x86_64",
			"rpm pkg:rpm/epochpkg@2.5-7.el9?arch=noarch&epoch=2",
			"Go pkg:golang/golang.org/x/text@v0.3.0",
		}, []string{
			"1 apk packages found on debian 12 (Debian:12), whose packages are deb: they are not matched against vulnerabilities",
			"1 rpm packages found on debian 12 (Debian:12), whose packages are deb: they are not matched against vulnerabilities",
		}},
		{"alpine", alpine, []string{
			"deb pkg:deb/bash@5.2.15-2%2Bb2?arch=amd64",
			"Alpine:v3.19 pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
			"rpm pkg:rpm/epochpkg@2.5-7.el9?arch=noarch&epoch=2",
			"Go pkg:golang/golang.org/x/text@v0.3.0",
		}, []string{
			"1 deb packages found on alpine 3.19.1 (Alpine:v3.19), whose packages are apk: they are not matched against vulnerabilities",
			"1 rpm packages found on alpine 3.19.1 (Alpine:v3.19), whose packages are apk: they are not matched against vulnerabilities",
		}},
		{"rhel", rhel, []string{
			"deb pkg:deb/bash@5.2.15-2%2Bb2?arch=amd64",
			"apk pkg:apk/musl@1.2.4-r2?arch=x86_64",
			"Red Hat:enterprise_linux:9::baseos pkg:rpm/redhat/epochpkg@2.5-7.el9?arch=noarch&distro=rhel-9.3&epoch=2",
			"Go pkg:golang/golang.org/x/text@v0.3.0",
		}, []string{
			"1 apk packages found on rhel 9.3 (Red Hat:enterprise_linux:9::baseos), whose packages are rpm: they are not matched against vulnerabilities",
			"1 deb packages found on rhel 9.3 (Red Hat:enterprise_linux:9::baseos), whose packages are rpm: they are not matched against vulnerabilities",
		}},
		{"fedora", fedora, []string{
			"deb pkg:deb/bash@5.2.15-2%2Bb2?arch=amd64",
			"apk pkg:apk/musl@1.2.4-r2?arch=x86_64",
			"rpm pkg:rpm/fedora/epochpkg@2.5-7.el9?arch=noarch&distro=fedora-42&epoch=2",
			"Go pkg:golang/golang.org/x/text@v0.3.0",
		}, []string{
			"1 apk packages found on fedora 42, whose packages are rpm: they are not matched against vulnerabilities",
			"1 deb packages found on fedora 42, whose packages are rpm: they are not matched against vulnerabilities",
			"distribution fedora 42 (etc/os-release): Fedora has no OSV ecosystem; its packages are not matched against vulnerabilities",
		}},
		{"none", nil, []string{
			"deb pkg:deb/bash@5.2.15-2%2Bb2?arch=amd64",
			"apk pkg:apk/musl@1.2.4-r2?arch=x86_64",
			"rpm pkg:rpm/epochpkg@2.5-7.el9?arch=noarch&epoch=2",
			"Go pkg:golang/golang.org/x/text@v0.3.0",
		}, []string{
			"1 apk packages found but no distribution release file (etc/os-release): they are not matched against vulnerabilities",
			"1 deb packages found but no distribution release file (etc/os-release): they are not matched against vulnerabilities",
			"1 rpm packages found but no distribution release file (etc/os-release): they are not matched against vulnerabilities",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Apply(tt.d, in)
			var got []string
			for _, p := range out {
				got = append(got, p.Ecosystem+" "+p.PURL)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if ws := Warnings(tt.d, out); !slices.Equal(ws, tt.ws) {
				t.Errorf("warnings %q\nwant     %q", ws, tt.ws)
			}
		})
	}
	if in[0].Ecosystem != TypeDeb {
		t.Error("Apply modified its input")
	}
}

func TestWarningsEOL(t *testing.T) {
	d := &Distro{ID: "alpine", VersionID: "3.11.3", Ecosystem: "Alpine:v3.11", PackageType: TypeAPK, Supported: true, EOL: true, EOLDate: "2021-11-01"}
	want := []string{"distribution alpine 3.11.3 (Alpine:v3.11) reached end of life on 2021-11-01: it gets no security fixes, and advisories for it stop at that day"}
	if got := Warnings(d, nil); !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
}

func FuzzParseOSRelease(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".os-release") {
			b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func(string, []byte) (release, error){parseOSRelease, parseLSBRelease, parseRedHatRelease, parseAlpineRelease, parseDebianVersion} {
			r, err := parse("f", data)
			if err != nil {
				var perr *inventory.ParseError
				if !errors.As(err, &perr) || perr.Path != "f" {
					t.Fatalf("error %T %v", err, err)
				}
			}
			if r.ID == "" {
				continue
			}
			d := newDistro(r, now())
			if d.Supported != (d.Ecosystem != "") || (!d.Supported && d.Reason == "") {
				t.Fatalf("inconsistent %+v", d)
			}
			_ = Apply(d, []inventory.Package{pkg("a", "1", TypeDeb, "pkg:deb/a@1"), pkg("b", "1", TypeRPM, "pkg:rpm/b@1")})
		}
	})
}
