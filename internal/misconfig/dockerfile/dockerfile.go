// Package dockerfile finds misconfigurations in Dockerfiles and
// Containerfiles: images that run as root, unpinned base images, remote code
// run unverified, secrets baked into layers and similar. It parses the files
// itself (see Parse) and reports through the walk as a walk.Analyzer.
package dockerfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// Analyzer checks every Dockerfile of the walk and adds its findings to a
// collector. It is safe for concurrent use.
type Analyzer struct {
	out *finding.Collector
}

// NewAnalyzer returns an analyzer that adds its findings to c.
func NewAnalyzer(c *finding.Collector) *Analyzer { return &Analyzer{out: c} }

// Name identifies the analyzer.
func (*Analyzer) Name() string { return "dockerfile" }

// notDockerfileExts are suffixes of files named Dockerfile.* that are not
// Dockerfiles themselves (documentation, templates, signatures, backups).
var notDockerfileExts = map[string]bool{
	"md": true, "txt": true, "rst": true, "adoc": true, "html": true, "json": true,
	"yaml": true, "yml": true, "toml": true, "sh": true, "py": true, "go": true,
	"j2": true, "jinja": true, "jinja2": true, "tmpl": true, "tpl": true,
	"template": true, "erb": true, "mustache": true, "in": true, "m4": true,
	"orig": true, "rej": true, "bak": true, "swp": true, "old": true,
	"sig": true, "asc": true, "sha256": true, "lock": true, "dockerignore": true,
}

// Wants reports whether name is a Dockerfile: Dockerfile, Containerfile,
// *.Dockerfile, *.Containerfile, or Dockerfile.<variant> (Containerfile.<variant>)
// unless the variant is a documentation, template or backup extension.
// Names are compared case-insensitively.
func (*Analyzer) Wants(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return IsDockerfile(p)
}

// IsDockerfile reports whether a path names a Dockerfile (see Analyzer.Wants).
func IsDockerfile(p string) bool {
	b := strings.ToLower(path.Base(p))
	for _, n := range []string{"dockerfile", "containerfile"} {
		if b == n || strings.HasSuffix(b, "."+n) {
			return true
		}
		if v, ok := strings.CutPrefix(b, n+"."); ok {
			ext := v
			if i := strings.LastIndexByte(v, '.'); i >= 0 {
				ext = v[i+1:]
			}
			return v != "" && !notDockerfileExts[ext]
		}
	}
	return false
}

// Analyze parses one Dockerfile and reports its misconfigurations.
func (a *Analyzer) Analyze(ctx context.Context, f *walk.File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := f.ReadAll(MaxFileSize)
	if err != nil {
		return err
	}
	df, err := Parse(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", f.Path, err)
	}
	a.out.Add(Findings(df, f.Path, f.Layer, f.CreatedBy)...)
	return nil
}

// Findings runs every check over a parsed Dockerfile and returns its
// findings, in file order, located at path (and layer, for images).
func Findings(df *Dockerfile, path, layer, createdBy string) []finding.Finding {
	results := check(df)
	out := make([]finding.Finding, 0, len(results))
	for _, r := range results {
		rule := ruleByID[r.rule]
		out = append(out, finding.Finding{
			Kind:        finding.KindMisconfiguration,
			RuleID:      rule.ID,
			Title:       rule.Title,
			Description: rule.Rationale,
			Severity:    rule.Severity,
			Location:    finding.Location{Path: path, Line: r.line, Layer: layer, CreatedBy: createdBy, Object: object(r)},
			Fix:         &finding.Fix{Remediation: rule.Remediation},
			Mappings:    cloneMappings(rule.Mappings),
			Evidence:    r.evidence,
			References:  append([]string(nil), rule.References...),
		})
	}
	return out
}

// object identifies the instruction a finding is about by a digest of its
// (redacted) text, so two instructions breaking one rule are two findings
// whose fingerprints survive lines moving. File-level findings have none.
func object(r result) string {
	if r.evidence == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(r.evidence))
	return "instruction:" + hex.EncodeToString(sum[:6])
}
