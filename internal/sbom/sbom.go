// Package sbom writes a target's inventory as a software bill of materials
// (CycloneDX 1.6 and SPDX 2.3 JSON) and reads CycloneDX and SPDX JSON SBOMs
// written by Redline, Syft or Trivy back into packages to match. Output is
// byte-identical for the same input; docs/sbom.md lists the properties that
// carry Redline's provenance.
package sbom

import (
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// Document is what the writers turn into an SBOM.
type Document struct {
	// Tool is the program that made the SBOM.
	Tool Tool
	// Target is what was scanned: the SBOM's subject.
	Target finding.Target
	// Packages are the target's inventory.
	Packages []inventory.Package
	// OS is the target's operating system, when one was detected.
	OS *OS
	// Created is the one timestamp the formats require. It must come from
	// the input (an image's creation time, the database build time or
	// SOURCE_DATE_EPOCH), never from the clock, so that the output is
	// reproducible. The zero time is refused.
	Created time.Time
}

// Tool names the program that made an SBOM.
type Tool struct {
	Name    string
	Version string
}

// OS is a detected operating system, as os-release names it.
type OS struct {
	// Name is the distribution id ("debian", "alpine", "ubuntu").
	Name string
	// Version is its release ("12", "3.19.1", "22.04").
	Version string
}

// Property names carrying Redline's provenance: CycloneDX component
// properties and SPDX package annotations ("name: value"). Location
// properties are indexed per location, as in "redline:location:0:path".
const (
	PropEcosystem     = "redline:ecosystem"
	PropCataloger     = "redline:cataloger"
	PropGOOS          = "redline:goos"
	PropGOARCH        = "redline:goarch"
	PropSourceName    = "redline:source:name"
	PropSourceVersion = "redline:source:version"
	PropDev           = "redline:dev"
	PropTargetKind    = "redline:target:kind"
	PropTargetDigest  = "redline:target:digest"

	propLocationPrefix = "redline:location:"
	// Suffixes of the indexed location properties.
	locPath      = "path"
	locLine      = "line"
	locLayer     = "layer:digest"
	locCreatedBy = "layer:created_by"
)

// LocationProp returns the name of property key ("path", "line",
// "layer:digest" or "layer:created_by") of a package's i-th location.
func LocationProp(i int, key string) string {
	return propLocationPrefix + strconv.Itoa(i) + ":" + key
}

// SourceDateEpoch returns the time SOURCE_DATE_EPOCH names, as
// reproducible-builds.org defines it, and whether it is set. getenv is
// os.Getenv in a program.
func SourceDateEpoch(getenv func(string) string) (time.Time, bool, error) {
	s := getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a count of seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), true, nil
}

var errNoCreated = errors.New("document has no creation time: pass one derived from the input (image creation time, database build time or SOURCE_DATE_EPOCH)")

// entry is a package as the writers emit it: a copy with sorted slices, and
// its stable identifier.
type entry struct {
	pkg inventory.Package
	id  string // 16 hex digits, unique in the document
}

// entries copies, sorts and identifies the document's packages. The
// identifier hashes the purl, the identity and the locations, so that it
// stays the same from run to run; equal packages get a counter.
func entries(pkgs []inventory.Package) []entry {
	out := make([]entry, len(pkgs))
	for i, p := range pkgs {
		p.Locations = slices.Clone(p.Locations)
		slices.SortFunc(p.Locations, compareLocations)
		p.Catalogers = slices.Clone(p.Catalogers)
		slices.Sort(p.Catalogers)
		p.Licenses = slices.Clone(p.Licenses)
		slices.Sort(p.Licenses)
		out[i] = entry{pkg: p, id: packageID(&p)}
	}
	slices.SortStableFunc(out, func(a, b entry) int {
		if c := strings.Compare(a.pkg.Key(), b.pkg.Key()); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	seen := make(map[string]int, len(out))
	for i := range out {
		n := seen[out[i].id]
		seen[out[i].id] = n + 1
		if n > 0 {
			out[i].id = hashHex(16, out[i].id, strconv.Itoa(n))
		}
	}
	return out
}

func compareLocations(a, b finding.Location) int {
	return cmp.Or(
		strings.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line),
		strings.Compare(a.Layer, b.Layer),
		strings.Compare(a.CreatedBy, b.CreatedBy),
	)
}

func packageID(p *inventory.Package) string {
	parts := []string{p.PURL, p.Ecosystem, p.Name, p.Version, p.GOOS, p.GOARCH}
	for _, l := range p.Locations {
		parts = append(parts, l.Path, strconv.Itoa(l.Line), l.Layer)
	}
	return hashHex(16, parts...)
}

// hashHex returns the first n hex digits of the SHA-256 of the
// length-prefixed parts.
func hashHex(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:n]
}

// uuidNamespace is the name space of Redline's name-based UUIDs: the
// UUIDv5 of "https://github.com/redline-sec/redline/sbom" in the URL name
// space (1cd9a4be-1a57-5d31-afed-e8b8a2dda8f0).
var uuidNamespace = [16]byte{0x1c, 0xd9, 0xa4, 0xbe, 0x1a, 0x57, 0x5d, 0x31, 0xaf, 0xed, 0xe8, 0xb8, 0xa2, 0xdd, 0xa8, 0xf0}

// uuidV5 returns the name-based (SHA-1) UUID of name, as RFC 9562 section
// 5.5 defines it, in Redline's name space.
func uuidV5(name []byte) string {
	h := sha1.New()
	h.Write(uuidNamespace[:])
	h.Write(name)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// contentUUID returns the UUIDv5 of the SHA-256 of content.
func contentUUID(content []byte) string {
	sum := sha256.Sum256(content)
	return uuidV5([]byte(hex.EncodeToString(sum[:])))
}

// toolString is "name-version" as SPDX creators and annotators spell a tool.
func (t Tool) toolString() string {
	name := cmp.Or(t.Name, "redline")
	if t.Version == "" {
		return name
	}
	return name + "-" + t.Version
}

// sha256Hex returns the hex digits of a "sha256:<64 hex>" digest, or "".
func sha256Hex(digest string) string {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 {
		return ""
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ""
		}
	}
	return h
}
