package java

import (
	"bytes"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
)

// pomProperties is what META-INF/maven/<groupId>/<artifactId>/pom.properties
// holds.
type pomProperties struct {
	groupID, artifactID, version string
}

// isPomPropertiesPath reports whether name is exactly
// META-INF/maven/<groupId>/<artifactId>/pom.properties at the archive's root,
// where Maven's archiver writes it. Copies elsewhere (test resources, sources
// of another project) describe nothing that is linked in.
func isPomPropertiesPath(name string) bool {
	rest, ok := strings.CutPrefix(name, "META-INF/maven/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	return len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] == "pom.properties"
}

// parsePomProperties reads the groupId, artifactId and version keys of a
// Java properties file. It understands the subset Maven writes: comments
// starting with # or !, "key=value", "key: value" and "key value", with
// CRLF or LF line ends. Backslash escapes and continuation lines are not
// interpreted; a value using them fails validation and is not reported.
func parsePomProperties(data []byte) pomProperties {
	var p pomProperties
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		i := strings.IndexAny(s, "=: \t")
		if i < 0 {
			continue
		}
		key := s[:i]
		value := strings.TrimLeft(s[i:], " \t")
		if value != "" && (value[0] == '=' || value[0] == ':') {
			value = value[1:]
		}
		value = strings.TrimSpace(value)
		switch key {
		case "groupId":
			p.groupID = value
		case "artifactId":
			p.artifactID = value
		case "version":
			p.version = value
		}
	}
	return p
}

// valid reports whether every coordinate is present and plausible.
func (p pomProperties) valid() bool {
	return validID(p.groupID) && validID(p.artifactID) && validVersion(p.version)
}

// isManifestPath reports whether name is the archive's manifest. The jar
// specification spells it META-INF/MANIFEST.MF; the JDK matches it without
// regard to case.
func isManifestPath(name string) bool {
	return strings.EqualFold(name, "META-INF/MANIFEST.MF")
}

// maxManifestAttrs bounds the attributes kept from a manifest's main section.
const maxManifestAttrs = 1000

// parseManifest returns the attributes of a manifest's main section (up to
// the first empty line), keyed by lower-case name since the specification
// makes names case-insensitive. Continuation lines start with one space.
// Lines without a colon are skipped.
func parseManifest(data []byte) map[string]string {
	attrs := make(map[string]string)
	var last string
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			if len(attrs) > 0 {
				break // end of the main section
			}
			continue
		}
		if line[0] == ' ' {
			if last != "" {
				attrs[last] += string(line[1:])
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			last = ""
			continue
		}
		if len(attrs) == maxManifestAttrs {
			break
		}
		last = strings.ToLower(strings.TrimSpace(string(name)))
		attrs[last] = strings.TrimPrefix(string(value), " ")
	}
	for k, v := range attrs {
		attrs[k] = strings.TrimSpace(v)
	}
	return attrs
}

// bundleLicenses returns the OSGi Bundle-License of a manifest's main
// section, kept whole as written (an SPDX identifier, a name or a URL, with
// any attributes): an empty, over-long or control-character value, and the
// "<<EXTERNAL>>" placeholder, give none.
func bundleLicenses(attrs map[string]string) []string {
	l := attrs["bundle-license"]
	if l == "<<EXTERNAL>>" {
		return nil
	}
	return inventory.CleanLicenses([]string{l})
}

// splitFileName splits the base name of a Maven repository file,
// "<artifactId>-<version>.<ext>", at the first "-" that is followed by a
// digit: "guava-31.1-jre.jar" gives "guava" and "31.1-jre",
// "log4j-core-2.14.1.jar" gives "log4j-core" and "2.14.1". A name without
// such a dash gives the whole stem and no version.
func splitFileName(base string) (artifactID, version string) {
	stem := base
	if i := strings.LastIndexByte(stem, '.'); i > 0 {
		stem = stem[:i]
	}
	for i := 0; i+1 < len(stem); i++ {
		if stem[i] == '-' && '0' <= stem[i+1] && stem[i+1] <= '9' {
			return stem[:i], stem[i+1:]
		}
	}
	return stem, ""
}

// identify names an archive that has no pom.properties from its file name
// and manifest. It returns ok false unless a groupId is established, since a
// Maven package without one cannot be named: unlike osv-scalibr, which then
// assumes groupId = artifactId (right for junit:junit, wrong for most), it
// guesses nothing.
//
//   - artifactId: the file name's stem before the version ("-" and a digit).
//   - version: the file name's, else Implementation-Version (its first word;
//     Maven writes ${project.version} there), else Bundle-Version (OSGi's
//     normalised form, which can differ from the Maven version: guava's
//     "31.1.0.jre" for "31.1-jre").
//   - groupId: Implementation-Vendor-Id when it has a dot (reverse-domain
//     style; "Sun" or "apache" are vendor names), which Maven's archiver filled with
//     ${project.groupId} (Trivy reads it first too); else a groupId that the
//     Bundle-SymbolicName encodes unambiguously under the Maven bundle
//     plugin's default naming rules (see groupFromSymbolicName).
func identify(base string, mf map[string]string) (groupID, artifactID, version string, ok bool) {
	artifactID, version = splitFileName(base)
	if version == "" {
		for _, key := range []string{"implementation-version", "bundle-version"} {
			if f := strings.Fields(mf[key]); len(f) > 0 {
				version = f[0]
				break
			}
		}
	}
	if !validID(artifactID) || !validVersion(version) {
		return "", "", "", false
	}
	if vid := mf["implementation-vendor-id"]; validID(vid) && strings.Contains(vid, ".") {
		return vid, artifactID, version, true
	}
	bsn, _, _ := strings.Cut(mf["bundle-symbolicname"], ";")
	if g := groupFromSymbolicName(strings.TrimSpace(bsn), artifactID); g != "" {
		return g, artifactID, version, true
	}
	return "", "", "", false
}

// groupFromSymbolicName recovers the groupId from an OSGi
// Bundle-SymbolicName written by the Maven bundle plugin's default rules
// (felix.apache.org, "Default Behavior"), given the artifactId:
//
//   - groupId + "." + artifactId: accepted when the artifactId holds a "-"
//     or "_" (com.fasterxml.jackson.core.jackson-databind). An artifactId
//     that is a plain word is ambiguous: the plugin writes the groupId alone
//     when the artifactId equals its last part (com.google.guava for
//     com.google.guava:guava), so "org.yaml.snakeyaml" could be org.yaml or
//     org.yaml.snakeyaml. Nothing is reported then.
//   - groupId + "." + the artifactId less the groupId's last part and a
//     separator (org.apache.commons.lang3 for
//     org.apache.commons:commons-lang3).
//
// Either way the groupId must have a dot: the plugin does not apply these
// rules to one-word groupIds, and "slf4j.api" is org.slf4j:slf4j-api.
// It returns "" when neither applies. Projects that set the name by hand
// can still mislead the second rule (Apache Commons CLI 1.5.0 names itself
// org.apache.commons.cli but its groupId is commons-cli); such jars are
// built by Maven and carry pom.properties, so the fallback rarely sees them.
func groupFromSymbolicName(bsn, artifactID string) string {
	if !validID(bsn) || artifactID == "" {
		return ""
	}
	if g, ok := strings.CutSuffix(bsn, "."+artifactID); ok && strings.Contains(g, ".") && strings.ContainsAny(artifactID, "-_") {
		return g
	}
	i := strings.LastIndexByte(bsn, '.')
	if i <= 0 || !strings.Contains(bsn[:i], ".") {
		return ""
	}
	g, tail := bsn[:i], bsn[i+1:]
	last := g[strings.LastIndexByte(g, '.')+1:]
	for _, sep := range []string{"", "-", "_", "."} {
		if artifactID == last+sep+tail {
			return g
		}
	}
	return ""
}
