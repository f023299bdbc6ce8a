package java

import (
	"archive/zip"
	"bytes"
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

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// member is one file of a zip built by buildZip.
type member struct {
	name   string
	data   []byte
	stored bool // zip.Store instead of zip.Deflate
}

// buildZip writes a zip archive holding members, in order.
func buildZip(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		method := zip.Deflate
		if m.stored {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pomProps returns the pom.properties member for groupID:artifactID.
func pomProps(groupID, artifactID, version string) member {
	return member{
		name: "META-INF/maven/" + groupID + "/" + artifactID + "/pom.properties",
		data: fmt.Appendf(nil, "#Created by Apache Maven 3.9.9\ngroupId=%s\nartifactId=%s\nversion=%s\n", groupID, artifactID, version),
	}
}

// catalog runs the cataloger on data as the file at name.
func catalog(t testing.TB, c ArchiveCataloger, name string, data []byte) ([]inventory.Package, error) {
	t.Helper()
	return c.Catalog(context.Background(), walk.BytesFile(name, data))
}

// summary renders packages as "name version location", checking on the way
// the fields every Java package shares.
func summary(t testing.TB, pkgs []inventory.Package) []string {
	t.Helper()
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		if p.Ecosystem != inventory.EcosystemMaven {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		g, a, _ := strings.Cut(p.Name, ":")
		if want := "pkg:maven/" + g + "/" + a + "@" + p.Version; p.PURL != want {
			t.Errorf("%s: purl %q, want %q", p.Name, p.PURL, want)
		}
		if len(p.Locations) != 1 || p.Locations[0].Line != 0 {
			t.Errorf("%s: locations %+v", p.Name, p.Locations)
			continue
		}
		out = append(out, p.Name+" "+p.Version+" "+p.Locations[0].Path)
	}
	return out
}

// Real jars from Debian 12 packages, unchanged.
func TestCatalogRealJars(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"commons-cli.jar", []string{"commons-cli:commons-cli 1.5.0 usr/share/java/commons-cli.jar"}},
		{"slf4j-api.jar", []string{"org.slf4j:slf4j-api 1.7.32 usr/share/java/slf4j-api.jar"}},
		{"jul-to-slf4j.jar", []string{"org.slf4j:jul-to-slf4j 1.7.32 usr/share/java/jul-to-slf4j.jar"}},
		{
			// slf4j-simple is shaded into the provider: both are reported.
			"maven3-slf4j-provider.jar",
			[]string{
				"org.apache.maven:maven-slf4j-provider 3.8.7 usr/share/java/maven3-slf4j-provider.jar",
				"org.slf4j:slf4j-simple 1.7.32 usr/share/java/maven3-slf4j-provider.jar",
			},
		},
		// Built by Ant: a manifest without coordinates, no groupId anywhere.
		{"aopalliance-1.0.jar", nil},
		// Bundle-SymbolicName javax.inject does not contain the file's
		// artifactId (atinject-jsr330-api): no groupId, nothing reported.
		{"atinject-jsr330-api-1.0.jar", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pkgs, err := catalog(t, ArchiveCataloger{}, "usr/share/java/"+tt.file, readTestdata(t, "jars/"+tt.file))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			if got := summary(t, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// commonsLang3 is a jar holding commons-lang3's real manifest and, when
// withPom is set, its real pom.properties (the 595 KB class files are left
// out).
func commonsLang3(t testing.TB, withPom bool) []byte {
	ms := []member{{name: "META-INF/MANIFEST.MF", data: readTestdata(t, "meta/commons-lang3-3.12.0/MANIFEST.MF")}}
	if withPom {
		ms = append(ms, member{name: "META-INF/maven/org.apache.commons/commons-lang3/pom.properties", data: readTestdata(t, "meta/commons-lang3-3.12.0/pom.properties")})
	}
	ms = append(ms, member{name: "org/apache/commons/lang3/StringUtils.class", data: []byte{0xca, 0xfe, 0xba, 0xbe}})
	return buildZip(t, ms...)
}

// log4jCore is a jar holding the hand-written pom.properties of
// log4j-core 2.14.1.
func log4jCore(t testing.TB) []byte {
	return buildZip(t,
		member{name: "META-INF/MANIFEST.MF", data: []byte("Manifest-Version: 1.0\r\n\r\n")},
		member{name: "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", data: readTestdata(t, "meta/log4j-core-2.14.1/pom.properties")},
	)
}

// shopWar is a web application: its own pom.properties, and WEB-INF/lib
// holding real jars (compressed, as the war plugin writes them).
func shopWar(t testing.TB) []byte {
	return buildZip(t,
		member{name: "META-INF/MANIFEST.MF", data: []byte("Manifest-Version: 1.0\r\nCreated-By: Maven WAR Plugin 3.4.0\r\n\r\n")},
		pomProps("com.example", "shop", "1.0.0"),
		member{name: "WEB-INF/web.xml", data: []byte("<web-app/>\n")},
		member{name: "WEB-INF/lib/commons-cli-1.5.0.jar", data: readTestdata(t, "jars/commons-cli.jar")},
		member{name: "WEB-INF/lib/commons-lang3-3.12.0.jar", data: commonsLang3(t, true)},
		member{name: "WEB-INF/lib/maven-slf4j-provider-3.8.7.jar", data: readTestdata(t, "jars/maven3-slf4j-provider.jar")},
	)
}

// bootJar is a Spring Boot executable jar: nested jars stored uncompressed
// under BOOT-INF/lib, as Spring Boot requires.
func bootJar(t testing.TB) []byte {
	return buildZip(t,
		member{name: "META-INF/MANIFEST.MF", data: []byte("Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\r\nStart-Class: com.example.App\r\n\r\n")},
		pomProps("com.example", "app", "0.0.1-SNAPSHOT"),
		member{name: "BOOT-INF/classes/com/example/App.class", data: []byte{0xca, 0xfe, 0xba, 0xbe}},
		member{name: "BOOT-INF/lib/log4j-core-2.14.1.jar", data: log4jCore(t), stored: true},
		member{name: "BOOT-INF/lib/slf4j-api-1.7.32.jar", data: readTestdata(t, "jars/slf4j-api.jar"), stored: true},
		member{name: "BOOT-INF/lib/commons-lang3-3.12.0.jar", data: commonsLang3(t, false), stored: true},
	)
}

func TestCatalogNested(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{
			name: "srv/shop-1.0.0.war",
			data: shopWar(t),
			want: []string{
				"com.example:shop 1.0.0 srv/shop-1.0.0.war",
				"commons-cli:commons-cli 1.5.0 srv/shop-1.0.0.war!/WEB-INF/lib/commons-cli-1.5.0.jar",
				"org.apache.commons:commons-lang3 3.12.0 srv/shop-1.0.0.war!/WEB-INF/lib/commons-lang3-3.12.0.jar",
				"org.apache.maven:maven-slf4j-provider 3.8.7 srv/shop-1.0.0.war!/WEB-INF/lib/maven-slf4j-provider-3.8.7.jar",
				"org.slf4j:slf4j-simple 1.7.32 srv/shop-1.0.0.war!/WEB-INF/lib/maven-slf4j-provider-3.8.7.jar",
			},
		},
		{
			// commons-lang3 here has no pom.properties: named from its
			// manifest and file name.
			name: "app/app.jar",
			data: bootJar(t),
			want: []string{
				"com.example:app 0.0.1-SNAPSHOT app/app.jar",
				"org.apache.commons:commons-lang3 3.12.0 app/app.jar!/BOOT-INF/lib/commons-lang3-3.12.0.jar",
				"org.apache.logging.log4j:log4j-core 2.14.1 app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
				"org.slf4j:slf4j-api 1.7.32 app/app.jar!/BOOT-INF/lib/slf4j-api-1.7.32.jar",
			},
		},
		{
			// An .ear: a nested .war (two levels), a library, and no
			// metadata of its own.
			name: "deploy/bank.ear",
			data: buildZip(t,
				member{name: "META-INF/application.xml", data: []byte("<application/>\n")},
				member{name: "shop-1.0.0.war", data: shopWar(t)},
				member{name: "lib/jul-to-slf4j.jar", data: readTestdata(t, "jars/jul-to-slf4j.jar")},
			),
			want: []string{
				"com.example:shop 1.0.0 deploy/bank.ear!/shop-1.0.0.war",
				"commons-cli:commons-cli 1.5.0 deploy/bank.ear!/shop-1.0.0.war!/WEB-INF/lib/commons-cli-1.5.0.jar",
				"org.apache.commons:commons-lang3 3.12.0 deploy/bank.ear!/shop-1.0.0.war!/WEB-INF/lib/commons-lang3-3.12.0.jar",
				"org.apache.maven:maven-slf4j-provider 3.8.7 deploy/bank.ear!/shop-1.0.0.war!/WEB-INF/lib/maven-slf4j-provider-3.8.7.jar",
				"org.slf4j:jul-to-slf4j 1.7.32 deploy/bank.ear!/lib/jul-to-slf4j.jar",
				"org.slf4j:slf4j-simple 1.7.32 deploy/bank.ear!/shop-1.0.0.war!/WEB-INF/lib/maven-slf4j-provider-3.8.7.jar",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, ArchiveCataloger{}, tt.name, tt.data)
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			if got := summary(t, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCatalogManifestFallback(t *testing.T) {
	lang3MF := readTestdata(t, "meta/commons-lang3-3.12.0/MANIFEST.MF")
	guavaMF := readTestdata(t, "meta/guava-31.1/MANIFEST.MF")
	tests := []struct {
		file     string
		manifest []byte // nil: no manifest
		want     []string
	}{
		// Real manifest; groupId from the bundle plugin's prefix rule.
		{"commons-lang3-3.12.0.jar", lang3MF, []string{"org.apache.commons:commons-lang3 3.12.0"}},
		// No version in the name: Implementation-Version.
		{"commons-lang3.jar", lang3MF, []string{"org.apache.commons:commons-lang3 3.12.0"}},
		// Real manifest: com.google.guava is groupId com.google.guava or
		// com.google with artifactId guava; ambiguous, not reported.
		{"guava-31.1-jre.jar", guavaMF, nil},
		{
			"jackson-databind-2.14.0.jar",
			[]byte("Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind\r\nBundle-Version: 2.14.0\r\n\r\n"),
			[]string{"com.fasterxml.jackson.core:jackson-databind 2.14.0"},
		},
		{
			"app.jar",
			[]byte("Manifest-Version: 1.0\nImplementation-Vendor-Id: com.example\nImplementation-Version: 2.1 build 7\n"),
			[]string{"com.example:app 2.1"},
		},
		{"tool-1.0.jar", []byte("Implementation-Vendor-Id: Sun\nImplementation-Version: 1.0\n"), nil},
		{"tool-1.0.jar", nil, nil},
		// Only the main section counts.
		{"tool-1.0.jar", []byte("Manifest-Version: 1.0\n\nName: x\nImplementation-Vendor-Id: com.example\n"), nil},
		// A version property Maven did not expand.
		{"tool.jar", []byte("Implementation-Vendor-Id: com.example\nImplementation-Version: ${project.version}\n"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var ms []member
			if tt.manifest != nil {
				ms = append(ms, member{name: "META-INF/MANIFEST.MF", data: tt.manifest})
			}
			ms = append(ms, member{name: "x/Y.class", data: []byte{0xca, 0xfe}})
			pkgs, err := catalog(t, ArchiveCataloger{}, "lib/"+tt.file, buildZip(t, ms...))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, w+" lib/"+tt.file)
			}
			if got := summary(t, pkgs); !slices.Equal(got, want) {
				t.Errorf("packages:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestCatalogBundleLicense(t *testing.T) {
	guavaPom := member{name: "META-INF/maven/com.google.guava/guava/pom.properties", data: readTestdata(t, "meta/guava-31.1/pom.properties")}
	mf := func(s string) member { return member{name: "META-INF/MANIFEST.MF", data: []byte(s)} }
	tests := []struct {
		name    string
		file    string
		members []member
		want    []string // the licenses of each package, in order
	}{
		{
			// Real guava manifest and pom.properties.
			"pom.properties and manifest", "guava-31.1-jre.jar",
			[]member{{name: "META-INF/MANIFEST.MF", data: readTestdata(t, "meta/guava-31.1/MANIFEST.MF")}, guavaPom},
			[]string{`["http://www.apache.org/licenses/LICENSE-2.0.txt"]`},
		},
		{
			// Real commons-lang3 manifest, which has no Bundle-License.
			"no Bundle-License", "commons-lang3-3.12.0.jar",
			[]member{{name: "META-INF/MANIFEST.MF", data: readTestdata(t, "meta/commons-lang3-3.12.0/MANIFEST.MF")}},
			[]string{`[]`},
		},
		{
			"manifest fallback, folded value", "app-1.0.jar",
			[]member{mf("Implementation-Vendor-Id: com.example\nBundle-License: Apache-2.0;link=\"https://www.apache.or\n g/licenses/LICENSE-2.0\"\n")},
			[]string{`["Apache-2.0;link=\"https://www.apache.org/licenses/LICENSE-2.0\""]`},
		},
		{
			"shaded: whose license is unknown", "app-1.0.jar",
			[]member{mf("Bundle-License: MIT\n"), guavaPom, pomProps("org.example", "inner", "2.0")},
			[]string{`[]`, `[]`},
		},
		{"placeholder", "app-1.0.jar", []member{mf("Bundle-License: <<EXTERNAL>>\n"), guavaPom}, []string{`[]`}},
		{"over-long", "app-1.0.jar", []member{mf("Bundle-License: " + strings.Repeat("x", inventory.MaxLicenseLen+1) + "\n"), guavaPom}, []string{`[]`}},
		{"control character", "app-1.0.jar", []member{mf("Bundle-License: MIT\x00\n"), guavaPom}, []string{`[]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, ArchiveCataloger{}, "lib/"+tt.file, buildZip(t, tt.members...))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, fmt.Sprintf("%q", p.Licenses))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("licenses %v, want %v", got, tt.want)
			}
		})
	}
}

// pom.properties outside META-INF/maven/<g>/<a>/, or with bad values, are
// not reported, and do not stop the manifest fallback when none is valid.
func TestCatalogPomPropertiesPlaces(t *testing.T) {
	data := buildZip(t,
		member{name: "BOOT-INF/classes/META-INF/maven/a.b/c/pom.properties", data: []byte("groupId=a.b\nartifactId=c\nversion=1\n")},
		member{name: "META-INF/maven/a.b/pom.properties", data: []byte("groupId=a.b\nartifactId=d\nversion=1\n")},
		member{name: "META-INF/maven/a.b/e/pom.properties", data: []byte("groupId=a.b\nartifactId=e\nversion=${project.version}\n")},
		member{name: "META-INF/maven/a.b/f/pom.properties", data: []byte("groupId=a b\nartifactId=f\nversion=1\n")},
		member{name: "META-INF/maven/a.b/g/pom.properties", data: []byte("groupId : a.b\r\nartifactId:g\r\nversion 2.0\r\n")},
		member{name: "META-INF/maven/a.b/g/pom.properties", data: []byte("groupId=a.b\nartifactId=g\nversion=2.0\n")},
	)
	pkgs, err := catalog(t, ArchiveCataloger{}, "x-9.jar", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(t, pkgs), []string{"a.b:g 2.0 x-9.jar"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCatalogMalformed(t *testing.T) {
	cli := readTestdata(t, "jars/commons-cli.jar")
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		errPath string
		errMsg  string // substring
		want    []string
	}{
		{
			name:    "not a zip",
			data:    []byte("<html>not found</html>\n"),
			errPath: "a.jar",
			errMsg:  "open zip: zip: not a valid zip file",
		},
		{
			name:    "truncated",
			data:    cli[:len(cli)/2],
			errPath: "a.jar",
			errMsg:  "open zip",
		},
		{
			name: "corrupt nested jar",
			data: buildZip(t,
				pomProps("com.example", "shop", "1.0.0"),
				member{name: "WEB-INF/lib/bad.jar", data: []byte("PK\x03\x04 garbage")},
				member{name: "WEB-INF/lib/commons-cli.jar", data: cli},
			),
			errPath: "a.jar!/WEB-INF/lib/bad.jar",
			errMsg:  "not a valid zip file",
			want:    []string{"com.example:shop 1.0.0 a.jar", "commons-cli:commons-cli 1.5.0 a.jar!/WEB-INF/lib/commons-cli.jar"},
		},
		{
			name: "nested archive over the size limit",
			data: buildZip(t,
				member{name: "lib/big.jar", data: buildZip(t, member{name: "zeros", data: make([]byte, 4<<20), stored: true})},
				member{name: "lib/commons-cli.jar", data: cli},
			),
			lim:     Limits{MaxNestedSize: 1 << 20},
			errPath: "a.jar!/lib/big.jar",
			errMsg:  "over the 1048576-byte limit for nested archives: skipped",
			want:    []string{"commons-cli:commons-cli 1.5.0 a.jar!/lib/commons-cli.jar"},
		},
		{
			name: "pom.properties bomb",
			data: buildZip(t,
				member{name: "META-INF/maven/a/b/pom.properties", data: make([]byte, 8<<20)},
				member{name: "lib/commons-cli.jar", data: cli},
			),
			errPath: "a.jar!/META-INF/maven/a/b/pom.properties",
			errMsg:  "8388608 bytes is over the 65536-byte limit",
			want:    []string{"commons-cli:commons-cli 1.5.0 a.jar!/lib/commons-cli.jar"},
		},
		{
			name: "too many entries",
			data: buildZip(t,
				member{name: "lib/commons-cli.jar", data: cli},
				pomProps("com.example", "shop", "1.0.0"),
			),
			lim:     Limits{MaxEntries: 10},
			errPath: "a.jar!/lib/commons-cli.jar",
			errMsg:  "more than 10 zip entries",
			want:    []string{"com.example:shop 1.0.0 a.jar"},
		},
		{
			name: "too many nested archives",
			data: buildZip(t,
				member{name: "lib/1.jar", data: cli},
				member{name: "lib/2.jar", data: cli},
				member{name: "lib/3.jar", data: cli},
			),
			lim:     Limits{MaxArchives: 2},
			errPath: "a.jar!/lib/3.jar",
			errMsg:  "more than 2 nested archives",
			want:    []string{"commons-cli:commons-cli 1.5.0 a.jar!/lib/1.jar", "commons-cli:commons-cli 1.5.0 a.jar!/lib/2.jar"},
		},
		{
			name: "too many bytes read",
			data: buildZip(t,
				member{name: "lib/1.jar", data: cli},
				member{name: "lib/2.jar", data: cli},
			),
			lim:     Limits{MaxReadBytes: int64(len(cli)) + 1000},
			errPath: "a.jar!/lib/2.jar",
			errMsg:  "uncompressed bytes read",
			want:    []string{"commons-cli:commons-cli 1.5.0 a.jar!/lib/1.jar"},
		},
		{
			name: "too much held in memory",
			data: buildZip(t,
				member{name: "outer.war", data: buildZip(t, member{name: "WEB-INF/lib/commons-cli.jar", data: cli})},
			),
			lim:     Limits{MaxHeldBytes: int64(len(cli)) + 500},
			errPath: "a.jar!/outer.war!/WEB-INF/lib/commons-cli.jar",
			errMsg:  "would hold more than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalog(t, ArchiveCataloger{Limits: tt.lim}, "a.jar", tt.data)
			var pe *inventory.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want *inventory.ParseError", err, err)
			}
			if pe.Path != tt.errPath || pe.Line != 0 || !strings.Contains(pe.Err.Error(), tt.errMsg) {
				t.Errorf("error %q at %s:%d, want %q at %s", pe.Err, pe.Path, pe.Line, tt.errMsg, tt.errPath)
			}
			if got := summary(t, pkgs); !slices.Equal(got, tt.want) {
				t.Errorf("packages:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// nest wraps data in depth archives, each holding its pom.properties.
func nest(t testing.TB, data []byte, depth int, stored bool) []byte {
	for i := depth; i >= 1; i-- {
		data = buildZip(t, pomProps("com.example", fmt.Sprintf("level%d", i), "1"), member{name: fmt.Sprintf("l%d.jar", i+1), data: data, stored: stored})
	}
	return data
}

func TestCatalogDepth(t *testing.T) {
	for _, stored := range []bool{false, true} {
		t.Run(fmt.Sprintf("stored=%v", stored), func(t *testing.T) {
			// a.jar holds level1, whose l2.jar holds level2, … 8 deep.
			data := nest(t, buildZip(t, pomProps("com.example", "level9", "1")), 8, stored)
			pkgs, err := catalog(t, ArchiveCataloger{}, "a.jar", data)
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "a.jar!/l2.jar!/l3.jar!/l4.jar!/l5.jar!/l6.jar!/l7.jar" || pe.Err.Error() != "archive nested more than 5 deep: skipped" {
				t.Fatalf("error %v", err)
			}
			got := summary(t, pkgs)
			want := []string{
				"com.example:level1 1 a.jar",
				"com.example:level2 1 a.jar!/l2.jar",
				"com.example:level3 1 a.jar!/l2.jar!/l3.jar",
				"com.example:level4 1 a.jar!/l2.jar!/l3.jar!/l4.jar",
				"com.example:level5 1 a.jar!/l2.jar!/l3.jar!/l4.jar!/l5.jar",
				"com.example:level6 1 a.jar!/l2.jar!/l3.jar!/l4.jar!/l5.jar!/l6.jar",
			}
			if !slices.Equal(got, want) {
				t.Errorf("packages:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// A stored member whose sizes lie (here: claim more than the file holds) is
// read through archive/zip instead of in place, and fails cleanly.
func TestCatalogLyingStoredSize(t *testing.T) {
	inner := readTestdata(t, "jars/jul-to-slf4j.jar")
	data := buildZip(t, member{name: "lib/x.jar", data: inner, stored: true})
	// Patch the central directory's sizes of the one member.
	cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
	for _, off := range []int{20, 24} { // compressed, uncompressed size
		data[cd+off], data[cd+off+1], data[cd+off+2], data[cd+off+3] = 0xff, 0xff, 0xff, 0x0f
	}
	pkgs, err := catalog(t, ArchiveCataloger{}, "a.jar", data)
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.Path != "a.jar!/lib/x.jar" {
		t.Fatalf("error %v", err)
	}
	if len(pkgs) != 0 {
		t.Errorf("packages %v", summary(t, pkgs))
	}
}

func TestCatalogCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ArchiveCataloger{}.Catalog(ctx, walk.BytesFile("a.jar", readTestdata(t, "jars/commons-cli.jar")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"usr/share/java/guava.jar", true},
		{"app/app.JAR", true},
		{"opt/jboss/deploy/shop.war", true},
		{"bank.ear", true},
		{"var/jenkins_home/plugins/git.jpi", true},
		{"plugins/git.hpi", true},
		{"deploy/x.sar", true},
		{"deploy/x.par", true},
		{"deploy/x.kar", true},
		{"nifi/lib/x.nar", true},
		{"x.rar", false},
		{"x.zip", false},
		{"x.jar.sha1", false},
		{"jar", false},
		{"lib/jmods/java.base.jmod", false},
	}
	for _, tt := range tests {
		if got := (ArchiveCataloger{}).Wants(tt.path, nil); got != tt.want {
			t.Errorf("Wants(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	dir := t.TempDir()
	small := filepath.Join(dir, "empty.jar")
	if err := os.WriteFile(small, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("empty.jar", filepath.Join(dir, "link.jar")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"empty.jar", "link.jar"} {
		info, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if (ArchiveCataloger{}).Wants(name, info) {
			t.Errorf("Wants(%s) = true", name)
		}
	}
	info, err := os.Stat(filepath.Join("testdata", "jars", "commons-cli.jar"))
	if err != nil {
		t.Fatal(err)
	}
	if !(ArchiveCataloger{}).Wants("commons-cli.jar", info) {
		t.Error("Wants(commons-cli.jar) = false")
	}
}

func TestCatalogers(t *testing.T) {
	cs := Catalogers()
	if len(cs) != 1 || cs[0].Name() != "java-archive" {
		t.Fatalf("Catalogers() = %v", cs)
	}
}

func FuzzArchive(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input, slowly for big ones.
	for _, name := range []string{"jul-to-slf4j.jar", "atinject-jsr330-api-1.0.jar"} {
		f.Add(readTestdata(f, "jars/"+name))
	}
	f.Add(log4jCore(f))
	f.Add(commonsLang3(f, false))
	f.Add(buildZip(f, pomProps("a", "b", "1"), member{name: "lib/c-1.jar", data: log4jCore(f), stored: true}))
	f.Add(nest(f, buildZip(f, pomProps("a", "b", "1")), 3, false))
	lim := Limits{MaxNestedSize: 1 << 20, MaxHeldBytes: 2 << 20, MaxReadBytes: 8 << 20, MaxEntries: 10_000, MaxArchives: 100}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := catalog(t, ArchiveCataloger{Limits: lim}, "x.jar", data)
		if err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(pe.Path, "x.jar") || pe.Line != 0 {
				t.Fatalf("error %v (%T) is not a ParseError naming x.jar", err, err)
			}
		}
		for _, p := range pkgs {
			g, a, ok := strings.Cut(p.Name, ":")
			if !ok || !validID(g) || !validID(a) || !validVersion(p.Version) || p.Ecosystem != inventory.EcosystemMaven || !strings.HasPrefix(p.PURL, "pkg:maven/") {
				t.Fatalf("bad package %+v", p)
			}
			if len(p.Locations) != 1 || !strings.HasPrefix(p.Locations[0].Path, "x.jar") {
				t.Fatalf("bad location %+v", p.Locations)
			}
		}
	})
}

func BenchmarkArchive(b *testing.B) {
	benches := []struct {
		name string
		data []byte
	}{
		{"real-commons-cli-53KB", readTestdata(b, "jars/commons-cli.jar")},
		{"war-deflated-nested", shopWar(b)},
		{"boot-jar-stored-nested", bootJar(b)},
	}
	// The largest real jar on a Debian machine with Maven installed.
	if data, err := os.ReadFile("/usr/share/java/guava.jar"); err == nil {
		benches = append(benches, struct {
			name string
			data []byte
		}{"real-guava-2.9MB", data})
	}
	for _, bm := range benches {
		b.Run(bm.name, func(b *testing.B) {
			f := walk.BytesFile("a.jar", bm.data)
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (ArchiveCataloger{}).Catalog(context.Background(), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
