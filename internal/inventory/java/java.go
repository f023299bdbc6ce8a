// Package java catalogs Java libraries in the Maven ecosystem from Java
// archives (.jar, .war, .ear and their zip-based relatives), reading the
// pom.properties files that Maven writes into them, the manifest where those
// are missing, and archives nested inside archives. Packages are named
// "groupId:artifactId" as OSV names Maven packages, with pkg:maven URLs.
package java

import (
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// Catalogers returns every Java cataloger, in a fixed order.
func Catalogers() []inventory.Cataloger {
	return []inventory.Cataloger{ArchiveCataloger{}}
}

// archiveExts are the extensions of the zip-based Java archives read:
//   - .jar library or application, including Spring Boot fat jars;
//   - .war web application (WEB-INF/lib/*.jar), .ear enterprise application
//     (lib/*.jar, nested .war and .jar modules);
//   - .jpi and .hpi Jenkins plugins (laid out as a .war);
//   - .sar JBoss service archive, .par Java EE persistence archive,
//     .kar Apache Karaf feature archive, .nar Apache NiFi archive.
//
// .rar (Java EE resource adapter) is left out: the extension is far more
// often the RAR compression format. .jmod is not a zip with Maven metadata.
var archiveExts = map[string]bool{
	".jar": true, ".war": true, ".ear": true,
	".jpi": true, ".hpi": true,
	".sar": true, ".par": true, ".kar": true, ".nar": true,
}

// isArchiveName reports whether name has a Java archive extension, in any case.
func isArchiveName(name string) bool {
	return archiveExts[strings.ToLower(path.Ext(name))]
}

// purl returns pkg:maven/<groupId>/<artifactId>@<version>.
func purl(groupID, artifactID, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeMaven, groupID, artifactID, version, nil, "").ToString()
}

// newPackage returns the Maven package groupID:artifactID at version, found
// at loc.
func newPackage(groupID, artifactID, version, loc string) inventory.Package {
	return inventory.Package{
		Name:      groupID + ":" + artifactID,
		Version:   version,
		Ecosystem: inventory.EcosystemMaven,
		PURL:      purl(groupID, artifactID, version),
		Locations: []finding.Location{{Path: loc}},
	}
}

// Maven coordinates read from archives are checked before use. Maven itself
// allows [A-Za-z0-9_.-] in group and artifact ids; a version is any text
// without spaces, but unexpanded properties ("${project.version}") and
// absurd lengths are refused.
const (
	maxIDLen      = 256
	maxVersionLen = 128
)

// validID reports whether s is a plausible Maven groupId or artifactId.
func validID(s string) bool {
	if s == "" || len(s) > maxIDLen || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validVersion reports whether s is a plausible Maven version: printable
// ASCII without spaces, no unexpanded property.
func validVersion(s string) bool {
	if s == "" || len(s) > maxVersionLen || strings.Contains(s, "${") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
