// Package vulndb is Redline's vulnerability database: OSV records imported
// from files or downloaded per ecosystem, compiled into one bbolt file keyed
// by (ecosystem, package name) so that matching a package reads only the
// records that name it.
package vulndb

import (
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// Range types, as OSV spells them.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Range is one OSV affected range.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// GoImport is a Go package (from ecosystem_specific.imports) that a Go
// vulnerability is in, with the platforms it is limited to. Empty GOOS or
// GOARCH means every platform. (Named GoImport because Import is the
// function that imports OSV files.)
type GoImport struct {
	Path    string   `json:"path"`
	GOOS    []string `json:"goos,omitempty"`
	GOARCH  []string `json:"goarch,omitempty"`
	Symbols []string `json:"symbols,omitempty"`
}

// Affected is what the database stores under one (ecosystem, package) key for
// one vulnerability: just enough to decide whether a version is affected.
type Affected struct {
	// ID of the vulnerability (the OSV id: GO-2022-0969, GHSA-…, RUSTSEC-…).
	ID string `json:"id"`
	// Ecosystem as written in the record, including any release suffix
	// ("Debian:12", "Alpine:v3.19").
	Ecosystem string `json:"ecosystem"`
	// Package name as written in the record.
	Package string `json:"package"`
	// Ranges of affected versions (SEMVER and ECOSYSTEM; GIT ranges are kept
	// for reference but never matched by version).
	Ranges []Range `json:"ranges,omitempty"`
	// Versions lists affected versions explicitly.
	Versions []string `json:"versions,omitempty"`
	// Imports are Go packages with their platform limits (Go only).
	Imports []GoImport `json:"imports,omitempty"`
	// Severity of this entry alone, as a lower-case finding.Severity name
	// ("high"), when the record gives one: from the entry's own CVSS
	// vectors (v4 preferred), else its ecosystem_specific or
	// database_specific severity word. Empty when unknown.
	Severity string `json:"severity,omitempty"`
}

// Vuln is the part of an OSV record that reports show.
type Vuln struct {
	ID      string   `json:"id"`
	Summary string   `json:"summary,omitempty"`
	Details string   `json:"details,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
	Related []string `json:"related,omitempty"`
	// Upstream lists the ids this record was derived from (OSV "upstream",
	// e.g. the CVE behind a distribution advisory).
	Upstream  []string  `json:"upstream,omitempty"`
	Published time.Time `json:"published,omitzero"` // zero when the record has none or 0001-01-01
	Modified  time.Time `json:"modified,omitzero"`
	// Severity is derived: the highest CVSS base score (v4 preferred over v3)
	// of the record's and its affected entries' vectors; without vectors,
	// the highest of database_specific.severity, Ubuntu-type severity words
	// and the affected entries' severities; else unknown.
	Severity finding.Severity `json:"severity"`
	CVSS     []finding.CVSS   `json:"cvss,omitempty"`
	// References are URLs, in record order.
	References []string `json:"references,omitempty"`
	// CWEs from database_specific.cwe_ids where present.
	CWEs []string `json:"cwes,omitempty"`
	// Ecosystems the record affects (base names such as "Go", "Alpine").
	Ecosystems []string `json:"ecosystems,omitempty"`
}

// Status describes a database file.
type Status struct {
	Path          string            `json:"path"`
	SchemaVersion int               `json:"schema_version"`
	Built         time.Time         `json:"built"`
	Ecosystems    []EcosystemStatus `json:"ecosystems"`
}

// EcosystemStatus is one ecosystem's part of the database.
type EcosystemStatus struct {
	Name      string `json:"name"`    // base ecosystem name: "Go", "Alpine"
	Records   int    `json:"records"` // vulnerabilities stored
	Withdrawn int    `json:"withdrawn"`
	Skipped   int    `json:"skipped"` // malformed records left out
	// Unindexed counts stored records that name no package of this
	// ecosystem (GIT-only ranges): reachable by Vuln, never matched.
	Unindexed    int       `json:"unindexed"`
	Source       string    `json:"source"` // URL or path it came from
	Updated      time.Time `json:"updated"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
}
