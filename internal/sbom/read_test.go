package sbom

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

func TestEcosystemFromPURL(t *testing.T) {
	tests := []struct {
		purl, eco, name string
		ok              bool
	}{
		{"pkg:golang/github.com/pkg/errors@v0.9.1", "Go", "github.com/pkg/errors", true},
		{"pkg:golang/stdlib@v1.21.3", "Go", "stdlib", true},
		{"pkg:npm/%40babel/core@7.22.0", "npm", "@babel/core", true},
		{"pkg:npm/lodash@4.17.21", "npm", "lodash", true},
		{"pkg:pypi/PyYAML@6.0.1", "PyPI", "pyyaml", true},
		{"pkg:pypi/zope.interface@6.0", "PyPI", "zope-interface", true},
		{"pkg:cargo/serde@1.0.188", "crates.io", "serde", true},
		{"pkg:composer/symfony/http-kernel@6.3.0", "Packagist", "symfony/http-kernel", true},
		{"pkg:gem/rails@7.0.8", "RubyGems", "rails", true},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Maven", "org.apache.logging.log4j:log4j-core", true},
		{"pkg:maven/log4j-core@2.14.1", "Maven", "log4j-core", false},
		{"pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet", "Newtonsoft.Json", true},
		{"pkg:hex/phoenix@1.7.0", "Hex", "phoenix", true},
		{"pkg:pub/http@1.1.0", "Pub", "http", true},
		{"pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12", "Debian:12", "libc6", true},
		{"pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12.4", "Debian:12", "libc6", true},
		{"pkg:deb/debian/libc6@2.36-9?distro=12.4", "Debian:12", "libc6", true},
		{"pkg:deb/debian/libc6@2.36-9", "", "libc6", false},
		{"pkg:deb/ubuntu/libc6@2.35-0ubuntu3?distro=ubuntu-22.04", "Ubuntu:22.04", "libc6", true},
		{"pkg:deb/ubuntu/libc6@2.35?distro=ubuntu-22", "", "libc6", false},
		{"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4", "Alpine:v3.18", "musl", true},
		{"pkg:apk/alpine/musl@1.2.4-r2?distro=3.19.1", "Alpine:v3.19", "musl", true},
		{"pkg:rpm/almalinux/openssl@3.0.7-24.el9?distro=almalinux-9.3", "AlmaLinux:9", "openssl", true},
		{"pkg:rpm/rocky/bash@5.1.8-6.el9?distro=rocky-9.3", "Rocky Linux:9", "bash", true},
		{"pkg:rpm/opensuse/bash@5.2?distro=opensuse-leap-15.5", "openSUSE:Leap 15.5", "bash", true},
		{"pkg:rpm/redhat/bash@5.1.8-6.el9?distro=rhel-9.3", "", "bash", false},
		{"pkg:oci/debian@sha256%3Aabc", "", "debian", false},
		{"pkg:generic/openssl@3.0", "", "openssl", false},
		{"not a purl", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		eco, name, ok := EcosystemFromPURL(tt.purl)
		if eco != tt.eco || name != tt.name || ok != tt.ok {
			t.Errorf("EcosystemFromPURL(%q) = %q, %q, %v; want %q, %q, %v", tt.purl, eco, name, ok, tt.eco, tt.name, tt.ok)
		}
	}
}

func readFile(t *testing.T, path string) ([]inventory.Package, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Read(context.Background(), bytes.NewReader(data), path)
}

const (
	alpineLayer = "sha256:cc2447e1835a40530975ab80bb1f872fbab0f2a0faecf2ab16fbbb89b3589438"
	appLayer    = "sha256:5e1f9e4a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e"
	debLayer    = "sha256:bc0734b949dcdcabe5bfdf0c8b9f44491e0fce04cb10c9c6e76282b9f6abdf01"
)

// TestThirdParty reads the hand-written Syft and Trivy samples.
func TestThirdParty(t *testing.T) {
	sb := []string{CatalogerName}
	tests := map[string][]inventory.Package{
		"syft.cdx.json": {
			{Name: "busybox-binsh", Version: "1.36.1-r5", Ecosystem: "Alpine:v3.18", PURL: "pkg:apk/alpine/busybox-binsh@1.36.1-r5?arch=x86_64&upstream=busybox&distro=alpine-3.18.4",
				Locations: []finding.Location{{Path: "lib/apk/db/installed", Layer: alpineLayer}}, Catalogers: sb, Licenses: []string{"GPL-2.0-only"}, SourceName: "busybox"},
			{Name: "musl", Version: "1.2.4-r2", Ecosystem: "Alpine:v3.18", PURL: "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4",
				Locations: []finding.Location{{Path: "lib/apk/db/installed", Layer: alpineLayer}}, Catalogers: sb, Licenses: []string{"MIT"}},
			{Name: "github.com/BurntSushi/toml", Version: "v1.3.2", Ecosystem: "Go", PURL: "pkg:golang/github.com/BurntSushi/toml@v1.3.2",
				Locations: []finding.Location{{Path: "usr/local/bin/app", Layer: appLayer}}, Catalogers: sb, GOARCH: "amd64"},
			{Name: "stdlib", Version: "1.21.3", Ecosystem: "Go", PURL: "pkg:golang/stdlib@1.21.3",
				Locations: []finding.Location{{Path: "usr/local/bin/app", Layer: appLayer}}, Catalogers: sb, Licenses: []string{"BSD-3-Clause"}},
			{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
				Locations: []finding.Location{{Path: "app/lib/log4j-core-2.14.1.jar"}}, Catalogers: sb},
			{Name: "pyyaml", Version: "6.0.1", Ecosystem: "PyPI", PURL: "pkg:pypi/PyYAML@6.0.1",
				Locations: []finding.Location{
					{Path: "usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/METADATA", Layer: appLayer},
					{Path: "usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/RECORD", Layer: appLayer},
				}, Catalogers: sb, Licenses: []string{"MIT License"}},
		},
		"syft.spdx.json": {
			{Name: "libc6", Version: "2.36-9+deb12u4", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12",
				Locations:  []finding.Location{{Path: "usr/share/doc/libc6/copyright"}, {Path: "var/lib/dpkg/status"}},
				Catalogers: sb, Licenses: []string{"GPL-2.0-only AND LGPL-2.1-only"}, SourceName: "glibc"},
			{Name: "login", Version: "1:4.13+dfsg1-1+b1", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/login@1:4.13%2Bdfsg1-1%2Bb1?arch=amd64&upstream=shadow%404.13%2Bdfsg1-1&distro=debian-12",
				Locations:  []finding.Location{{Path: "var/lib/dpkg/status"}},
				Catalogers: sb, Licenses: []string{"BSD-3-clause"}, SourceName: "shadow", SourceVersion: "4.13+dfsg1-1"},
		},
		"trivy.cdx.json": {
			{Name: "libc6", Version: "2.36-9+deb12u4", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.4",
				Locations: []finding.Location{{Layer: debLayer}}, Catalogers: sb, Licenses: []string{"GPL-2.0", "LGPL-2.1"}, SourceName: "glibc", SourceVersion: "2.36-9+deb12u4"},
			{Name: "login", Version: "1:4.13+dfsg1-1+b1", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/login@4.13%2Bdfsg1-1%2Bb1?arch=amd64&distro=debian-12.4&epoch=1",
				Locations: []finding.Location{{Layer: debLayer}}, Catalogers: sb, SourceName: "shadow", SourceVersion: "1:4.13+dfsg1-1"},
			{Name: "github.com/BurntSushi/toml", Version: "v1.3.2", Ecosystem: "Go", PURL: "pkg:golang/github.com/burntsushi/toml@v1.3.2",
				Locations: []finding.Location{{Path: "usr/local/bin/app", Layer: appLayer}}, Catalogers: sb},
			{Name: "stdlib", Version: "1.21.3", Ecosystem: "Go", PURL: "pkg:golang/stdlib@v1.21.3",
				Locations: []finding.Location{{Path: "usr/local/bin/app"}}, Catalogers: sb},
			{Name: "@babel/core", Version: "7.22.0", Ecosystem: "npm", PURL: "pkg:npm/%40babel/core@7.22.0",
				Locations: []finding.Location{{Path: "app/node_modules/@babel/core/package.json"}}, Catalogers: sb, Licenses: []string{"MIT"}},
		},
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			got, err := readFile(t, filepath.Join("testdata", "thirdparty", file))
			if err != nil {
				t.Fatal(err)
			}
			want = inventory.Merge(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// roundTripFields keeps what must survive a trip through an SBOM.
func roundTripFields(ps []inventory.Package) []inventory.Package {
	out := make([]inventory.Package, len(ps))
	for i, p := range ps {
		out[i] = inventory.Package{
			Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL,
			GOOS: p.GOOS, GOARCH: p.GOARCH, SourceName: p.SourceName, SourceVersion: p.SourceVersion,
			Locations: p.Locations, Catalogers: p.Catalogers, Dev: p.Dev,
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	want := fixturePackages()
	for format := range writers {
		t.Run(format, func(t *testing.T) {
			out := render(t, format, fixtureDocument())
			got, err := Read(context.Background(), bytes.NewReader(out), "-")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(roundTripFields(got), roundTripFields(want)) {
				t.Errorf("round trip changed the packages:\ngot  %+v\nwant %+v", got, want)
			}
			if format == "cdx" {
				// CycloneDX keeps each license as it was stated.
				for i := range got {
					if !reflect.DeepEqual(got[i].Licenses, want[i].Licenses) {
						t.Errorf("%s licenses = %q, want %q", got[i].Name, got[i].Licenses, want[i].Licenses)
					}
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	deep := strings.Repeat(`{"name":"x","components":[`, MaxDepth+2) + strings.Repeat(`]}`, MaxDepth+2)
	tests := []struct {
		name, in, want string
		line           int
	}{
		{"empty", ``, "not valid SBOM JSON", 1},
		{"syntax", "{\n\"bomFormat\": \"CycloneDX\",\n\"specVersion\": 1.6,\n}", "not valid SBOM JSON", 4},
		{"other JSON", `{"name":"x"}`, "not a CycloneDX or SPDX JSON document", 0},
		{"old CycloneDX", `{"bomFormat":"CycloneDX","specVersion":"1.1"}`, `specVersion "1.1" is not supported`, 0},
		{"SPDX 3", `{"spdxVersion":"SPDX-3.0"}`, `SPDX version "SPDX-3.0" is not supported`, 0},
		{"deep", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + deep + `]}`, "nested deeper than", 0},
		{"bad purl", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","purl":"pkg:npm/a@1"},{"type":"library","name":"b","purl":"pkg:/%zz"}]}`, "skipped 1 components with an invalid purl", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := Read(context.Background(), strings.NewReader(tt.in), "in.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "in.json") {
				t.Fatalf("err = %v, want one naming in.json and saying %q", err, tt.want)
			}
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("err = %#v, want a ParseError at line %d", err, tt.line)
			}
			if tt.name == "bad purl" && (len(pkgs) != 1 || pkgs[0].Name != "a") {
				t.Errorf("packages = %+v, want the valid one", pkgs)
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	lim := limits{size: 4096, components: 10, depth: 3}
	ctx := context.Background()
	big := bytes.Repeat([]byte(" "), 4097)
	if _, err := lim.read(ctx, bytes.NewReader(big), "big.json"); err == nil || !strings.Contains(err.Error(), "4096-byte limit") {
		t.Errorf("err = %v, want the size limit", err)
	}
	many := func(n int) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + strings.TrimSuffix(strings.Repeat(`{"purl":"pkg:npm/a@1"},`, n), ",") + `]}`
	}
	if pkgs, err := lim.read(ctx, strings.NewReader(many(10)), "ten.json"); err != nil || len(pkgs) != 1 {
		t.Errorf("10 components: %d packages, %v", len(pkgs), err)
	}
	if _, err := lim.read(ctx, strings.NewReader(many(11)), "many.json"); err == nil || !strings.Contains(err.Error(), "more than 10 components") {
		t.Errorf("err = %v, want the component limit", err)
	}
	spdx := `{"spdxVersion":"SPDX-2.3","packages":[` + strings.TrimSuffix(strings.Repeat(`{"name":"a"},`, 11), ",") + `]}`
	if _, err := lim.read(ctx, strings.NewReader(spdx), "many.spdx.json"); err == nil || !strings.Contains(err.Error(), "more than 10 packages") {
		t.Errorf("err = %v, want the package limit", err)
	}
	nested := `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"components":[{"components":[{"components":[{"components":[]}]}]}]}]}`
	if _, err := lim.read(ctx, strings.NewReader(nested), "deep.json"); err == nil || !strings.Contains(err.Error(), "deeper than 3") {
		t.Errorf("err = %v, want the depth limit", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Read(cctx, strings.NewReader(many(2048)), "many.json"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestCataloger(t *testing.T) {
	c := Catalogers()[0]
	for path, want := range map[string]bool{
		"sbom.json": true, "x/bom.json": true, "app.cdx.json": true, "IMG.SPDX.JSON": true,
		"a.cyclonedx.json": true, "x.sbom.json": true, "package.json": false, "bom.xml": false,
	} {
		if got := c.Wants(path, nil); got != want {
			t.Errorf("Wants(%q) = %v", path, got)
		}
	}
	data, err := os.ReadFile(filepath.Join("testdata", "thirdparty", "syft.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := walk.BytesFile("sbom/syft.spdx.json", data)
	f.Layer = layerApp
	pkgs, err := c.Catalog(context.Background(), f)
	if err != nil || len(pkgs) != 2 {
		t.Fatalf("Catalog = %d packages, %v", len(pkgs), err)
	}
}

func FuzzRead(f *testing.F) {
	for _, dir := range []string{"thirdparty", "golden"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`{"spdxVersion":"SPDX-2.2","packages":[{"name":"a","externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/a@1"}],"annotations":[{"annotator":"Tool: redline","comment":"redline:ecosystem: npm"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := Read(context.Background(), bytes.NewReader(data), "fuzz.json")
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.json") {
			t.Fatalf("error does not name the file: %v", err)
		}
		for i := range pkgs {
			p := &pkgs[i]
			if p.PURL == "" {
				t.Fatalf("package without a purl: %+v", p)
			}
			if i > 0 && pkgs[i-1].Key() >= p.Key() {
				t.Fatalf("packages not sorted and merged: %q then %q", pkgs[i-1].Key(), p.Key())
			}
		}
		// What Read returns, the writers must write and Read must read back.
		doc := &Document{Packages: pkgs, Created: fixtureDocument().Created}
		var buf bytes.Buffer
		if err := WriteCycloneDX(&buf, doc); err != nil {
			t.Fatal(err)
		}
		back, err := Read(context.Background(), &buf, "again.json")
		if err != nil {
			t.Fatalf("reading our own output: %v", err)
		}
		if len(back) != len(pkgs) {
			t.Fatalf("round trip gave %d packages, want %d", len(back), len(pkgs))
		}
	})
}
