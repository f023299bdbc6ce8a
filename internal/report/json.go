package report

import (
	"encoding/json"
	"io"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// jsonReport is the JSON document, schema version SchemaVersion. Every field
// is described in docs/output.md; keep the two in step.
type jsonReport struct {
	SchemaVersion string              `json:"schema_version"`
	Tool          Tool                `json:"tool"`
	Target        finding.Target      `json:"target"`
	Database      *DatabaseInfo       `json:"database,omitempty"`
	Summary       summary             `json:"summary"`
	Decision      *Gate               `json:"decision,omitempty"`
	Packages      []inventory.Package `json:"packages"`
	Findings      []finding.Finding   `json:"findings"`
	Suppressed    []jsonSuppressed    `json:"suppressed"`
	Warnings      []Warning           `json:"warnings"`
}

type jsonSuppressed struct {
	Finding finding.Finding `json:"finding"`
	Ignore  jsonIgnore      `json:"ignore"`
}

type jsonIgnore struct {
	ID      string `json:"id"`
	Package string `json:"package,omitempty"`
	Path    string `json:"path,omitempty"`
	Reason  string `json:"reason"`
	Owner   string `json:"owner"`
	Expires string `json:"expires"` // YYYY-MM-DD
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

func writeJSON(w io.Writer, r *Report) error {
	doc := jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          r.Tool,
		Target:        r.Target,
		Database:      r.Database,
		Summary:       summarize(r),
		Decision:      r.Gate,
		Packages:      r.Packages,
		Findings:      r.Findings,
		Suppressed:    make([]jsonSuppressed, 0, len(r.Suppressed)),
		Warnings:      r.Warnings,
	}
	for _, s := range r.Suppressed {
		ig := s.Ignore
		doc.Suppressed = append(doc.Suppressed, jsonSuppressed{
			Finding: s.Finding,
			Ignore: jsonIgnore{
				ID: ig.ID, Package: ig.Package, Path: ig.Path, Reason: ig.Reason, Owner: ig.Owner,
				Expires: ig.Expires.UTC().Format("2006-01-02"), File: ig.File, Line: ig.Line,
			},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
