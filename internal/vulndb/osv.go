package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// Limits on one OSV record. Real records stay far below them (the largest
// in the public data has about 1,100 versions and 30 affected entries).
const (
	maxIDBytes         = 256
	maxEcosystemBytes  = 256
	maxNameBytes       = 1024
	maxAffected        = 10_000
	maxRangesPerEntry  = 1_000
	maxEventsPerRange  = 10_000
	maxVersionsPerPkg  = 200_000
	maxImportsPerEntry = 10_000
)

// BaseGit is the ecosystem under which Import files records whose affected
// entries name no package (only GIT ranges). They can be read with Vuln but
// are never returned by Affected.
const BaseGit = "GIT"

// osvRecord mirrors the parts of an OSV record that Redline reads.
// https://ossf.github.io/osv-schema/
type osvRecord struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Upstream         []string        `json:"upstream"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	References       []osvReference  `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type osvAffected struct {
	Package           *osvPackage     `json:"package"`
	Severity          []osvSeverity   `json:"severity"`
	Ranges            []osvRange      `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type osvPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Repo   string     `json:"repo"`
	Events []osvEvent `json:"events"`
}

// osvEvent keeps pointers so that a present but empty value is told apart
// from an absent one.
type osvEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

// record is one parsed OSV record.
type record struct {
	vuln      *Vuln
	withdrawn bool
	// affected are the entries that name a package, in record order, with
	// ID, Ecosystem and Package filled in.
	affected []Affected
}

// parseRecord parses and checks one OSV record. It returns an error for
// anything that breaks the schema in a way that matters for matching; fields
// Redline does not use are not checked.
func parseRecord(data []byte) (*record, error) {
	var raw osvRecord
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode OSV JSON: %w", err)
	}
	if err := checkID(raw.ID); err != nil {
		return nil, err
	}
	v := &Vuln{
		ID:         raw.ID,
		Summary:    raw.Summary,
		Details:    raw.Details,
		Aliases:    nonEmpty(raw.Aliases),
		Related:    nonEmpty(raw.Related),
		Upstream:   nonEmpty(raw.Upstream),
		References: make([]string, 0, len(raw.References)),
	}
	var err error
	if v.Published, err = parseTime("published", raw.Published); err != nil {
		return nil, err
	}
	if v.Modified, err = parseTime("modified", raw.Modified); err != nil {
		return nil, err
	}
	withdrawn, err := parseTime("withdrawn", raw.Withdrawn)
	if err != nil {
		return nil, err
	}
	for _, r := range raw.References {
		if r.URL != "" {
			v.References = append(v.References, r.URL)
		}
	}
	if len(v.References) == 0 {
		v.References = nil
	}
	if len(raw.Affected) > maxAffected {
		return nil, fmt.Errorf("%d affected entries (limit %d)", len(raw.Affected), maxAffected)
	}

	var scores severityScores
	for _, s := range raw.Severity {
		scores.add(s.Type, s.Score)
	}
	dbSeverity, cwes := parseDatabaseSpecific(raw.DatabaseSpecific)
	v.CWEs = cwes

	rec := &record{vuln: v, withdrawn: !withdrawn.IsZero()}
	var affectedWorst finding.Severity
	for i := range raw.Affected {
		a, err := parseAffected(raw.ID, &raw.Affected[i], &scores)
		if err != nil {
			return nil, fmt.Errorf("affected[%d]: %w", i, err)
		}
		if a == nil {
			continue // no package: GIT ranges only
		}
		rec.affected = append(rec.affected, *a)
		affectedWorst = max(affectedWorst, parseSeverityWord(a.Severity))
		if base := baseEcosystem(a.Ecosystem); !slices.Contains(v.Ecosystems, base) {
			v.Ecosystems = append(v.Ecosystems, base)
		}
	}
	slices.Sort(v.Ecosystems)
	v.CVSS = scores.cvss
	v.Severity = scores.severity()
	if !scores.hasV4 && !scores.hasV3 {
		v.Severity = max(parseSeverityWord(dbSeverity), v.Severity, affectedWorst)
	}
	return rec, nil
}

// parseAffected converts one affected entry. It returns nil, nil for an
// entry without a package. Per-entry CVSS vectors are added to scores.
func parseAffected(id string, raw *osvAffected, scores *severityScores) (*Affected, error) {
	if len(raw.Ranges) > maxRangesPerEntry {
		return nil, fmt.Errorf("%d ranges (limit %d)", len(raw.Ranges), maxRangesPerEntry)
	}
	if len(raw.Versions) > maxVersionsPerPkg {
		return nil, fmt.Errorf("%d versions (limit %d)", len(raw.Versions), maxVersionsPerPkg)
	}
	ranges := make([]Range, 0, len(raw.Ranges))
	for i, r := range raw.Ranges {
		rg, err := parseRange(r)
		if err != nil {
			return nil, fmt.Errorf("ranges[%d]: %w", i, err)
		}
		ranges = append(ranges, rg)
	}
	var own severityScores
	for _, s := range raw.Severity {
		scores.add(s.Type, s.Score)
		own.add(s.Type, s.Score)
	}
	es, err := parseEcosystemSpecific(raw.EcosystemSpecific)
	if err != nil {
		return nil, err
	}
	if raw.Package == nil {
		return nil, nil
	}
	pkg := raw.Package
	if err := checkText("package ecosystem", pkg.Ecosystem, maxEcosystemBytes); err != nil {
		return nil, err
	}
	if baseEcosystem(pkg.Ecosystem) == "" {
		return nil, fmt.Errorf("package ecosystem %q has no name before ':'", pkg.Ecosystem)
	}
	if err := checkText("package name", pkg.Name, maxNameBytes); err != nil {
		return nil, err
	}
	if normalizeName(baseEcosystem(pkg.Ecosystem), pkg.Name) == "" {
		return nil, fmt.Errorf("package name %q is empty once normalized", pkg.Name)
	}
	a := &Affected{
		ID:        id,
		Ecosystem: pkg.Ecosystem,
		Package:   pkg.Name,
		Versions:  nonEmpty(raw.Versions),
		Imports:   es.imports,
	}
	if len(ranges) > 0 {
		a.Ranges = ranges
	}
	sev := own.severity()
	if sev == finding.SeverityUnknown {
		sev = parseSeverityWord(es.severity)
	}
	if sev == finding.SeverityUnknown {
		word, _ := parseDatabaseSpecific(raw.DatabaseSpecific)
		sev = parseSeverityWord(word)
	}
	if sev != finding.SeverityUnknown {
		a.Severity = sev.String()
	}
	return a, nil
}

func parseRange(r osvRange) (Range, error) {
	if r.Type == "" {
		return Range{}, errors.New("range without a type")
	}
	if len(r.Events) > maxEventsPerRange {
		return Range{}, fmt.Errorf("%d events (limit %d)", len(r.Events), maxEventsPerRange)
	}
	out := Range{Type: r.Type, Repo: r.Repo, Events: make([]Event, 0, len(r.Events))}
	for i, e := range r.Events {
		var ev Event
		n := 0
		for _, f := range [...]struct {
			src *string
			dst *string
		}{
			{e.Introduced, &ev.Introduced},
			{e.Fixed, &ev.Fixed},
			{e.LastAffected, &ev.LastAffected},
			{e.Limit, &ev.Limit},
		} {
			if f.src != nil {
				*f.dst = *f.src
				n++
			}
		}
		if n != 1 {
			return Range{}, fmt.Errorf("events[%d] has %d of introduced, fixed, last_affected, limit (want exactly 1)", i, n)
		}
		if ev == (Event{}) {
			return Range{}, fmt.Errorf("events[%d] has an empty version", i)
		}
		out.Events = append(out.Events, ev)
	}
	if (r.Type == RangeSemver || r.Type == RangeEcosystem) && len(out.Events) == 0 {
		return Range{}, fmt.Errorf("%s range without events", r.Type)
	}
	return out, nil
}

type ecosystemSpecific struct {
	imports  []GoImport
	severity string
}

// parseEcosystemSpecific reads the Go vulnerability database's imports and
// the severity word some sources (OSS-Fuzz) put here. A malformed imports
// list is an error because matching depends on it; anything else that does
// not fit is ignored.
func parseEcosystemSpecific(raw json.RawMessage) (ecosystemSpecific, error) {
	var out ecosystemSpecific
	var m struct {
		Imports  json.RawMessage `json:"imports"`
		Severity json.RawMessage `json:"severity"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return out, nil
	}
	_ = json.Unmarshal(m.Severity, &out.severity) // not a string: no severity
	if len(m.Imports) == 0 || string(m.Imports) == "null" {
		return out, nil
	}
	var imports []struct {
		Path    string   `json:"path"`
		GOOS    []string `json:"goos"`
		GOARCH  []string `json:"goarch"`
		Symbols []string `json:"symbols"`
	}
	if err := json.Unmarshal(m.Imports, &imports); err != nil {
		return out, fmt.Errorf("ecosystem_specific.imports: %w", err)
	}
	if len(imports) > maxImportsPerEntry {
		return out, fmt.Errorf("ecosystem_specific.imports: %d entries (limit %d)", len(imports), maxImportsPerEntry)
	}
	for _, im := range imports {
		out.imports = append(out.imports, GoImport{
			Path:    im.Path,
			GOOS:    nonEmpty(im.GOOS),
			GOARCH:  nonEmpty(im.GOARCH),
			Symbols: nonEmpty(im.Symbols),
		})
	}
	return out, nil
}

// parseDatabaseSpecific reads the GitHub-style severity word and CWE ids.
// database_specific is free-form, so whatever does not fit is ignored.
func parseDatabaseSpecific(raw json.RawMessage) (severity string, cwes []string) {
	var m struct {
		Severity json.RawMessage `json:"severity"`
		CWEIDs   json.RawMessage `json:"cwe_ids"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return "", nil
	}
	_ = json.Unmarshal(m.Severity, &severity)
	var ids []string
	if json.Unmarshal(m.CWEIDs, &ids) == nil {
		for _, id := range ids {
			if id != "" && !slices.Contains(cwes, id) {
				cwes = append(cwes, id)
			}
		}
	}
	return severity, cwes
}

// parseTime reads an RFC 3339 timestamp. Empty values and the zero time
// some feeds write (0001-01-01T00:00:00Z) are absent: the zero time.Time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	if t.Year() <= 1 {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

func checkID(id string) error {
	if id == "" {
		return errors.New("record has no id")
	}
	return checkText("id", id, maxIDBytes)
}

// checkText rejects empty, over-long, non-UTF-8 and control-character
// values: they would break the index keys, which use NUL as a separator.
func checkText(what, s string, limit int) error {
	if s == "" {
		return fmt.Errorf("empty %s", what)
	}
	if len(s) > limit {
		return fmt.Errorf("%s is %d bytes (limit %d)", what, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not UTF-8", what, s)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%s %q contains a control character", what, s)
	}
	return nil
}

// baseEcosystem returns the ecosystem name without its release suffix:
// "Alpine" for "Alpine:v3.19".
func baseEcosystem(ecosystem string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	return base
}

// normalizeName returns the package name as the index stores it: PEP 503
// normalized for PyPI, lower case for Packagist, as written otherwise.
func normalizeName(base, name string) string {
	switch base {
	case inventory.EcosystemPyPI:
		return inventory.NormalizePyPI(name)
	case inventory.EcosystemPackagist:
		return strings.ToLower(name)
	}
	return name
}

// nonEmpty returns s without empty strings, or nil when nothing is left.
func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
