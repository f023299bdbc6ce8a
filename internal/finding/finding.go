// Package finding defines the one record every Redline analyzer emits.
//
// A vulnerability match, a secret, a misconfiguration, an RBAC problem, a design
// risk and a runtime event are all a Finding. Policy, reports, the server and the
// KPIs work on this type alone and never care which analyzer made it.
package finding

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Kind says which family of analyzer produced a finding.
type Kind string

// The kinds of finding.
const (
	KindVulnerability    Kind = "vulnerability"
	KindSecret           Kind = "secret"
	KindMisconfiguration Kind = "misconfiguration"
	KindRBAC             Kind = "rbac"
	KindDesign           Kind = "design"
	KindRuntime          Kind = "runtime"
	KindSupplyChain      Kind = "supply-chain"
)

// CVSS is a CVSS vector with the base score computed from it.
type CVSS struct {
	Version string  `json:"version"` // "3.0", "3.1" or "4.0"
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// Target is what was scanned.
type Target struct {
	Kind   string `json:"kind"`             // "filesystem", "image", "sbom", "cluster", "model"
	Name   string `json:"name"`             // path, image reference, cluster name
	Digest string `json:"digest,omitempty"` // content digest where the target has one
}

// Location is where in the target a finding was seen.
type Location struct {
	Path      string `json:"path,omitempty"`       // slash-separated, relative to the target root
	Line      int    `json:"line,omitempty"`       // 1-based; 0 when unknown
	Layer     string `json:"layer,omitempty"`      // image layer digest that added the file
	CreatedBy string `json:"created_by,omitempty"` // image history entry of that layer
	// Object names the thing inside the file the finding is about, when a
	// file holds several: a Kubernetes object and container
	// ("Deployment/prod/web/containers/app"), a Dockerfile stage, a digest
	// of a secret's value. It keeps findings of one rule in one file apart.
	Object string `json:"object,omitempty"`
}

// String renders the location as path:line.
func (l Location) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.Path, l.Line)
	}
	return l.Path
}

// Package identifies the software package a finding is about.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"` // OSV ecosystem name: "Go", "npm", "PyPI", "Debian:12" …
	PURL      string `json:"purl,omitempty"`
}

// Fix says how to make a finding go away.
type Fix struct {
	// FixedVersions are the versions the advisory names as fixing the
	// vulnerability in the range the installed version falls in, lowest first.
	FixedVersions []string `json:"fixed_versions,omitempty"`
	// Upgrade is the lowest version of the package that fixes every
	// vulnerability found in it, when one exists. All findings of one
	// package carry the same Upgrade.
	Upgrade string `json:"upgrade,omitempty"`
	// Remediation is advice in words, for findings that are not fixed by an upgrade.
	Remediation string `json:"remediation,omitempty"`
}

// Finding is one problem found in one place of one target.
type Finding struct {
	Fingerprint string              `json:"fingerprint"`
	Kind        Kind                `json:"kind"`
	RuleID      string              `json:"rule_id"`
	Aliases     []string            `json:"aliases,omitempty"`
	Title       string              `json:"title"`
	Description string              `json:"description,omitempty"`
	Severity    Severity            `json:"severity"`
	CVSS        []CVSS              `json:"cvss,omitempty"`
	Target      Target              `json:"target"`
	Location    Location            `json:"location"`
	Package     *Package            `json:"package,omitempty"`
	Fix         *Fix                `json:"fix,omitempty"`
	Mappings    map[string][]string `json:"mappings,omitempty"`
	Evidence    string              `json:"evidence,omitempty"`
	References  []string            `json:"references,omitempty"`
}

// ComputeFingerprint returns the stable identity of the finding: a hash of its
// kind, rule, target, location and package name. The package version is left out
// on purpose, so that the same vulnerability in the same dependency stays one
// record across upgrades that do not fix it.
func (f *Finding) ComputeFingerprint() string {
	parts := []string{
		string(f.Kind), f.RuleID,
		f.Target.Kind, f.Target.Name,
		f.Location.Path, f.Location.Layer,
	}
	if f.Package != nil {
		parts = append(parts, f.Package.Ecosystem, f.Package.Name)
	}
	if f.Location.Object != "" {
		// Appended only when set, so fingerprints of findings without one
		// stay what they were.
		parts = append(parts, "object", f.Location.Object)
	}
	// Length-prefix every part so that ("ab","c") and ("a","bc") differ.
	n := 0
	for _, p := range parts {
		n += len(p) + 22
	}
	buf := make([]byte, 0, n)
	for _, p := range parts {
		buf = strconv.AppendInt(buf, int64(len(p)), 10)
		buf = append(buf, ':')
		buf = append(buf, p...)
		buf = append(buf, ';')
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}

// SetFingerprint computes and stores the fingerprint.
func (f *Finding) SetFingerprint() { f.Fingerprint = f.ComputeFingerprint() }

// Compare orders findings for deterministic output: by severity (highest
// first), then rule, package, location and fingerprint. It does not allocate.
func Compare(a, b *Finding) int {
	if a.Severity != b.Severity {
		return cmp.Compare(b.Severity, a.Severity)
	}
	if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := comparePackages(a.Package, b.Package); c != 0 {
		return c
	}
	if c := strings.Compare(a.Location.Path, b.Location.Path); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.Line, b.Location.Line); c != 0 {
		return c
	}
	return strings.Compare(a.Fingerprint, b.Fingerprint)
}

// Less reports whether a sorts before b (see Compare).
func Less(a, b *Finding) bool { return Compare(a, b) < 0 }

func comparePackages(a, b *Package) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if c := strings.Compare(a.Ecosystem, b.Ecosystem); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.Version, b.Version)
}
