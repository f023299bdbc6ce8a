package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
)

// SARIF constants.
const (
	sarifVersion   = "2.1.0"
	sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
	// InformationURI is the project's home page, named in SARIF output.
	InformationURI = "https://github.com/redline-sec/redline"
	// FingerprintKey names Redline's fingerprint in SARIF partialFingerprints.
	FingerprintKey = "redline/v1"
	// maxSARIFTags is GitHub code scanning's limit on tags per rule.
	maxSARIFTags = 20
)

// The SARIF 2.1.0 subset Redline writes. Plain structs rather than a SARIF
// library: every field is one we set on purpose, nothing is emitted empty,
// and the field order is fixed, so output is byte-stable.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name            string      `json:"name"`
		InformationURI  string      `json:"informationUri"`
		Version         string      `json:"version,omitempty"`
		SemanticVersion string      `json:"semanticVersion,omitempty"`
		Rules           []sarifRule `json:"rules"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		SecuritySeverity string   `json:"security-severity,omitempty"`
		Tags             []string `json:"tags"`
	}
	sarifRule struct {
		ID                   string         `json:"id"`
		Name                 string         `json:"name"`
		ShortDescription     sarifText      `json:"shortDescription"`
		FullDescription      sarifText      `json:"fullDescription"`
		Help                 sarifHelp      `json:"help"`
		HelpURI              string         `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
		Properties           sarifRuleProps `json:"properties"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           sarifRegion           `json:"region"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifText         `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
)

// writeSARIF writes one run with a rule per distinct rule id and a result per
// kept finding. Suppressed findings are left out: GitHub code scanning does
// not honour SARIF suppressions and would open alerts for them.
func writeSARIF(w io.Writer, r *Report) error {
	name := r.Tool.Name
	if name == "" {
		name = "redline"
	}
	driver := sarifDriver{
		Name:            name,
		InformationURI:  InformationURI,
		Version:         r.Tool.Version,
		SemanticVersion: semanticVersion(r.Tool.Version),
		Rules:           []sarifRule{},
	}

	// Findings are sorted; collect each rule's findings in that order.
	byRule := make(map[string][]*finding.Finding)
	var ids []string
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := byRule[f.RuleID]; !ok {
			ids = append(ids, f.RuleID)
		}
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	sort.Strings(ids)
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
		driver.Rules = append(driver.Rules, sarifRuleFor(id, byRule[id]))
	}

	results := make([]sarifResult, 0, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		fp := f.Fingerprint
		if fp == "" {
			fp = f.ComputeFingerprint()
		}
		results = append(results, sarifResult{
			RuleID:    f.RuleID,
			RuleIndex: index[f.RuleID],
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: sarifMessage(f)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysicalLocation{
				ArtifactLocation: sarifArtifactLocation{URI: sarifURI(f.Location.Path), URIBaseID: "%SRCROOT%"},
				Region:           sarifRegion{StartLine: max(f.Location.Line, 1)},
			}}},
			PartialFingerprints: map[string]string{FingerprintKey: fp},
		})
	}

	log := sarifLog{
		Schema:  sarifSchemaURI,
		Version: sarifVersion,
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifRuleFor describes one rule from the findings that carry it.
func sarifRuleFor(id string, fs []*finding.Finding) sarifRule {
	first := fs[0] // the most severe, as findings are sorted
	title := strings.TrimSpace(first.Title)
	if title == "" {
		title = id
	}
	full := strings.TrimSpace(first.Description)
	if full == "" {
		full = title
	}
	worst := first.Severity
	tags := []string{"security", string(first.Kind)}
	for _, f := range fs {
		if f.Package != nil && f.Package.Ecosystem != "" && !slices.Contains(tags, f.Package.Ecosystem) {
			tags = append(tags, f.Package.Ecosystem)
		}
	}
	slices.Sort(tags[2:])
	if len(tags) > maxSARIFTags {
		tags = tags[:maxSARIFTags]
	}
	text, markdown := sarifHelpFor(id, title, full, fs)
	return sarifRule{
		ID:                   id,
		Name:                 id,
		ShortDescription:     sarifText{Text: title},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifHelp{Text: text, Markdown: markdown},
		HelpURI:              helpURI(first),
		DefaultConfiguration: sarifConfig{Level: sarifLevel(worst)},
		Properties: sarifRuleProps{
			SecuritySeverity: securitySeverity(fs),
			Tags:             tags,
		},
	}
}

// affected is one package a rule was found in, for the rule's help.
type affected struct {
	name, version, ecosystem, fixed, upgrade string
}

func affectedPackages(fs []*finding.Finding) []affected {
	seen := make(map[string]bool)
	var out []affected
	for _, f := range fs {
		if f.Package == nil || seen[packageKey(f.Package)] {
			continue
		}
		seen[packageKey(f.Package)] = true
		a := affected{name: f.Package.Name, version: f.Package.Version, ecosystem: f.Package.Ecosystem}
		if f.Fix != nil {
			a.fixed = strings.Join(f.Fix.FixedVersions, ", ")
			a.upgrade = f.Fix.Upgrade
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ecosystem != out[j].ecosystem {
			return out[i].ecosystem < out[j].ecosystem
		}
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].version < out[j].version
	})
	return out
}

func sarifHelpFor(id, title, full string, fs []*finding.Finding) (text, markdown string) {
	var t, m strings.Builder
	first := fs[0]
	fmt.Fprintf(&t, "%s: %s\n", id, title)
	fmt.Fprintf(&m, "**%s**: %s\n", id, mdEscape(title))
	if full != title {
		fmt.Fprintf(&t, "\n%s\n", full)
		fmt.Fprintf(&m, "\n%s\n", full)
	}
	if pkgs := affectedPackages(fs); len(pkgs) > 0 {
		t.WriteString("\nAffected packages:\n")
		m.WriteString("\n| Package | Ecosystem | Installed | Fixed in | Upgrade to |\n| --- | --- | --- | --- | --- |\n")
		for _, a := range pkgs {
			fixed, upgrade := a.fixed, a.upgrade
			if fixed == "" {
				fixed = "no fixed version"
			}
			advice := "no fixed version"
			if upgrade != "" {
				advice = "upgrade to " + upgrade
			} else {
				upgrade = "none"
			}
			fmt.Fprintf(&t, "- %s %s (%s): fixed in %s; %s\n", a.name, a.version, a.ecosystem, fixed, advice)
			fmt.Fprintf(&m, "| %s | %s | %s | %s | %s |\n",
				mdCell(a.name), mdCell(a.ecosystem), mdCell(a.version), mdCell(fixed), mdCell(upgrade))
		}
	}
	if first.Fix != nil && first.Fix.Remediation != "" {
		fmt.Fprintf(&t, "\nRemediation: %s\n", first.Fix.Remediation)
		fmt.Fprintf(&m, "\n**Remediation:** %s\n", first.Fix.Remediation)
	}
	if len(first.Aliases) > 0 {
		fmt.Fprintf(&t, "\nAliases: %s\n", strings.Join(first.Aliases, ", "))
		fmt.Fprintf(&m, "\n**Aliases:** %s\n", mdEscape(strings.Join(first.Aliases, ", ")))
	}
	if len(first.References) > 0 {
		t.WriteString("\nReferences:\n")
		m.WriteString("\n**References:**\n\n")
		for _, ref := range first.References {
			fmt.Fprintf(&t, "- %s\n", ref)
			fmt.Fprintf(&m, "- <%s>\n", mdURL.Replace(ref))
		}
	}
	return strings.TrimSuffix(t.String(), "\n"), strings.TrimSuffix(m.String(), "\n")
}

// Markdown escapers; a strings.Replacer is immutable and safe for concurrent use.
var (
	mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;")
	mdURL     = strings.NewReplacer("<", "%3C", ">", "%3E")
)

// mdEscape escapes the characters that would start Markdown markup inline.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

// mdCell escapes text for one cell of a Markdown table.
func mdCell(s string) string {
	return strings.ReplaceAll(mdEscape(strings.Join(strings.Fields(s), " ")), "|", `\|`)
}

// helpURI is the first http(s) reference, or the OSV page of a vulnerability.
func helpURI(f *finding.Finding) string {
	for _, ref := range f.References {
		u, err := url.Parse(ref)
		if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			return u.String()
		}
	}
	if f.Kind == finding.KindVulnerability {
		return "https://osv.dev/vulnerability/" + url.PathEscape(f.RuleID)
	}
	return ""
}

// severityScore is security-severity for a rule without a CVSS score, chosen
// inside the bands GitHub maps to critical (9.0+), high (7.0-8.9), medium
// (4.0-6.9) and low (0.1-3.9); "" for unknown.
func severityScore(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "9.5"
	case finding.SeverityHigh:
		return "8.0"
	case finding.SeverityMedium:
		return "5.5"
	case finding.SeverityLow:
		return "2.0"
	}
	return ""
}

// securitySeverity is the highest CVSS base score among the rule's findings,
// else a score for their highest severity, else "" (unknown).
func securitySeverity(fs []*finding.Finding) string {
	best := -1.0
	worst := finding.SeverityUnknown
	for _, f := range fs {
		worst = max(worst, f.Severity)
		for _, c := range f.CVSS {
			if c.Score > best && c.Score <= 10 {
				best = c.Score
			}
		}
	}
	if best > 0 {
		return strconv.FormatFloat(best, 'f', 1, 64)
	}
	return severityScore(worst)
}

func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

func sarifMessage(f *finding.Finding) string {
	if f.Kind == finding.KindVulnerability && f.Package != nil {
		advice := "no fixed version"
		if f.Fix != nil && f.Fix.Upgrade != "" {
			advice = "upgrade to " + f.Fix.Upgrade
		}
		return fmt.Sprintf("%s@%s is affected by %s (%s); %s", f.Package.Name, f.Package.Version, f.RuleID, f.Severity, advice)
	}
	title := f.Title
	if title == "" {
		title = f.RuleID
	}
	msg := fmt.Sprintf("%s (%s, %s)", title, f.RuleID, f.Severity)
	if f.Evidence != "" {
		msg += "; evidence: " + f.Evidence
	}
	return msg
}

// sarifURI turns a location path into a relative URI reference: slashes are
// kept, other characters are percent-encoded where needed, a leading slash is
// dropped, and a first segment with a colon is not read as a scheme.
func sarifURI(p string) string {
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "."
	}
	return (&url.URL{Path: p}).String()
}

// semanticVersion returns v without a leading "v" when it is a semantic
// version (major.minor.patch with optional pre-release and build), else "".
func semanticVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	core, _, _ := strings.Cut(v, "+")
	core, _, _ = strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return ""
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" || (len(p) > 1 && p[0] == '0') {
			return ""
		}
	}
	return v
}
