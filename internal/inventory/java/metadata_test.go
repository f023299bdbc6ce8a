package java

import (
	"encoding/json"
	"testing"

	"github.com/redline-sec/redline/internal/vulndb/version"
)

func TestSplitFileName(t *testing.T) {
	tests := []struct{ base, artifact, version string }{
		{"guava-31.1-jre.jar", "guava", "31.1-jre"},
		{"log4j-core-2.14.1.jar", "log4j-core", "2.14.1"},
		{"slf4j-api-1.7.32.jar", "slf4j-api", "1.7.32"},
		{"jsr305-0.1~+svn49.jar", "jsr305", "0.1~+svn49"},
		{"commons-lang3.jar", "commons-lang3", ""},
		{"app.jar", "app", ""},
		{"x-.jar", "x-", ""},
		{"-1.jar", "", "1"},
	}
	for _, tt := range tests {
		a, v := splitFileName(tt.base)
		if a != tt.artifact || v != tt.version {
			t.Errorf("splitFileName(%q) = %q, %q, want %q, %q", tt.base, a, v, tt.artifact, tt.version)
		}
	}
}

func TestGroupFromSymbolicName(t *testing.T) {
	tests := []struct{ bsn, artifact, want string }{
		{"com.fasterxml.jackson.core.jackson-databind", "jackson-databind", "com.fasterxml.jackson.core"},
		{"org.apache.commons.lang3", "commons-lang3", "org.apache.commons"},
		{"org.apache.commons.lang3", "commonslang3", "org.apache.commons"},
		{"com.google.guava", "guava", ""},       // ambiguous
		{"org.yaml.snakeyaml", "snakeyaml", ""}, // ambiguous
		{"javax.inject", "atinject-jsr330-api", ""},
		{"slf4j.api", "slf4j-api", ""},
		{"guava", "guava", ""},
		{"", "x", ""},
		{"a b.c", "c", ""},
	}
	for _, tt := range tests {
		if got := groupFromSymbolicName(tt.bsn, tt.artifact); got != tt.want {
			t.Errorf("groupFromSymbolicName(%q, %q) = %q, want %q", tt.bsn, tt.artifact, got, tt.want)
		}
	}
}

func TestParseManifest(t *testing.T) {
	attrs := parseManifest(readTestdata(t, "meta/commons-lang3-3.12.0/MANIFEST.MF"))
	for key, want := range map[string]string{
		"bundle-symbolicname":    "org.apache.commons.lang3",
		"implementation-version": "3.12.0",
		"bundle-description":     "Apache Commons Lang, a package of Java utility classes for the  classes that are in java.lang's hierarchy, or are considered to be sostandard as to justify existence in java.lang.",
		"tool":                   "Bnd-5.0.1.202101211358",
	} {
		if got := attrs[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if n := len(attrs); n != 18 {
		t.Errorf("%d attributes, want 18", n)
	}
}

func TestParsePomProperties(t *testing.T) {
	got := parsePomProperties(readTestdata(t, "meta/guava-31.1/pom.properties"))
	if want := (pomProperties{"com.google.guava", "guava", "31.1-jre"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// The hand-written OSV records name the packages exactly as the cataloger
// does, and their ranges hold the versions found in the test archives.
func TestOSVRecords(t *testing.T) {
	tests := []struct{ file, name, version string }{
		{"osv/GHSA-jfh8-c2jp-5v3q.json", "org.apache.logging.log4j:log4j-core", "2.14.1"},
		{"osv/GHSA-j288-q9x7-2f5v.json", "org.apache.commons:commons-lang3", "3.12.0"},
	}
	for _, tt := range tests {
		var rec struct {
			Affected []struct {
				Package struct{ Ecosystem, Name string }
				Ranges  []struct {
					Type   string
					Events []map[string]string
				}
			}
		}
		if err := json.Unmarshal(readTestdata(t, tt.file), &rec); err != nil {
			t.Fatal(err)
		}
		hit := false
		for _, a := range rec.Affected {
			if a.Package.Ecosystem != "Maven" || a.Package.Name != tt.name {
				continue
			}
			for _, r := range a.Ranges {
				var lo, hi string
				for _, e := range r.Events {
					if v, ok := e["introduced"]; ok {
						lo = v
					}
					if v, ok := e["fixed"]; ok {
						hi = v
					}
				}
				c1, err1 := version.Compare("Maven", lo, tt.version)
				c2, err2 := version.Compare("Maven", tt.version, hi)
				if err1 != nil || err2 != nil {
					t.Fatalf("compare: %v %v", err1, err2)
				}
				if c1 <= 0 && c2 < 0 {
					hit = true
				}
			}
		}
		if !hit {
			t.Errorf("%s: %s %s is in no range", tt.file, tt.name, tt.version)
		}
	}
}
