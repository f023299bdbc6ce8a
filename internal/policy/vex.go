package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// Limits on an OpenVEX document. A document past them is refused.
const (
	MaxVEXFileSize      = 16 << 20 // bytes
	MaxVEXStatements    = 50000    // statements in one document
	MaxVEXProducts      = 10000    // products, or subcomponents of one product, in one statement
	maxVEXIDLen         = 2048     // bytes in an id, alias or PURL
	maxVEXStatementText = 16 << 10 // bytes in a justification, impact or action statement
)

// VEXStatus is the status of an OpenVEX statement.
type VEXStatus string

// The OpenVEX statuses. Only VEXNotAffected and VEXFixed suppress findings.
const (
	VEXNotAffected        VEXStatus = "not_affected"
	VEXAffected           VEXStatus = "affected"
	VEXFixed              VEXStatus = "fixed"
	VEXUnderInvestigation VEXStatus = "under_investigation"
)

// VEXProduct is a product of an OpenVEX statement.
type VEXProduct struct {
	// ID is the product's @id: a PURL, an image reference or digest, or any IRI.
	ID string
	// PURL is identifiers.purl, when given.
	PURL string
	// Subcomponents are the @id or identifiers.purl of the components of
	// the product the statement is about.
	Subcomponents []string
}

// VEXStatement is one statement of an OpenVEX document. The types are
// plain structs decoded here (not github.com/openvex/go-vex) so that the
// gate does not pull in go-vex's attestation dependencies; both the v0.2.0
// shapes and the older string forms of vulnerability and product decode.
type VEXStatement struct {
	// Vulnerability is the vulnerability's name (CVE-…, GHSA-…, GO-…).
	Vulnerability string
	// Aliases are the vulnerability's aliases and @id.
	Aliases []string
	// Products the statement is about; a finding must match one.
	Products []VEXProduct
	// Status is what the author says about the products.
	Status VEXStatus
	// Justification is the not_affected justification label.
	Justification string
	// ImpactStatement and ActionStatement are the author's words.
	ImpactStatement string
	ActionStatement string
	// Timestamp is when the statement (or else its document) was made;
	// the latest matching statement decides.
	Timestamp time.Time
	// Document is the @id of the document; File the file it was read from
	// and Index the statement's index in it.
	Document string
	File     string
	Index    int
}

// Where returns "file: statements[i]".
func (s *VEXStatement) Where() string {
	return fmt.Sprintf("%s: statements[%d]", s.File, s.Index)
}

// Suppresses reports whether the statement's status takes matching
// findings out of the gate (not_affected and fixed).
func (s *VEXStatement) Suppresses() bool {
	return s.Status == VEXNotAffected || s.Status == VEXFixed
}

// Explain says in words what the statement says, for reports.
func (s *VEXStatement) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "VEX %s", s.Status)
	if s.Justification != "" {
		fmt.Fprintf(&b, " (%s)", s.Justification)
	}
	if s.ImpactStatement != "" {
		fmt.Fprintf(&b, ": %s", s.ImpactStatement)
	} else if s.ActionStatement != "" {
		fmt.Fprintf(&b, ": %s", s.ActionStatement)
	}
	fmt.Fprintf(&b, " [%s]", s.Where())
	return b.String()
}

// Applies reports whether the statement is about f: its vulnerability or
// an alias names f's rule id or an alias, and one of its products matches
// f's package PURL (qualifiers ignored; a product without a version matches
// every version) or f's target (name, digest, reference@digest or
// pkg:oci PURL with that digest). A product with subcomponents must match
// the target or package and a subcomponent the package.
func (s *VEXStatement) Applies(f *finding.Finding) bool {
	if f.Kind != finding.KindVulnerability || !s.namesVuln(f) {
		return false
	}
	for i := range s.Products {
		if productMatches(&s.Products[i], f) {
			return true
		}
	}
	return false
}

func (s *VEXStatement) ids() []string {
	return append([]string{s.Vulnerability}, s.Aliases...)
}

func (s *VEXStatement) namesVuln(f *finding.Finding) bool {
	for _, id := range s.ids() {
		if id == "" {
			continue
		}
		if strings.EqualFold(id, f.RuleID) {
			return true
		}
		for _, a := range f.Aliases {
			if strings.EqualFold(id, a) {
				return true
			}
		}
	}
	return false
}

func productMatches(p *VEXProduct, f *finding.Finding) bool {
	ids := []string{p.ID, p.PURL}
	self := false
	for _, id := range ids {
		if id != "" && (matchesPackage(id, f) || matchesTarget(id, f)) {
			self = true
			break
		}
	}
	if !self {
		return false
	}
	if len(p.Subcomponents) == 0 {
		return true
	}
	for _, sc := range p.Subcomponents {
		if matchesPackage(sc, f) {
			return true
		}
	}
	return false
}

// matchesTarget reports whether id names the scanned target.
func matchesTarget(id string, f *finding.Finding) bool {
	t := f.Target
	if t.Name != "" && id == t.Name {
		return true
	}
	if t.Digest == "" {
		return false
	}
	if id == t.Digest || strings.HasSuffix(id, "@"+t.Digest) {
		return true
	}
	if p, err := packageurl.FromString(id); err == nil && p.Type == packageurl.TypeOCI {
		return p.Version == t.Digest
	}
	return false
}

// matchesPackage reports whether id is a PURL of f's package: same type,
// namespace and name, and version when id has one. Qualifiers and subpath
// are ignored.
func matchesPackage(id string, f *finding.Finding) bool {
	if f.Package == nil || f.Package.PURL == "" || !strings.HasPrefix(id, "pkg:") {
		return false
	}
	want, err := packageurl.FromString(id)
	if err != nil {
		return false
	}
	got, err := packageurl.FromString(f.Package.PURL)
	if err != nil {
		return false
	}
	if !strings.EqualFold(want.Type, got.Type) || want.Namespace != got.Namespace {
		return false
	}
	wn, gn := want.Name, got.Name
	if strings.EqualFold(want.Type, packageurl.TypePyPi) {
		wn, gn = inventory.NormalizePyPI(wn), inventory.NormalizePyPI(gn)
	}
	if wn != gn {
		return false
	}
	return want.Version == "" || want.Version == got.Version
}

// LoadVEX reads OpenVEX documents and returns their statements, in the
// order of paths and then of each document.
func LoadVEX(paths ...string) ([]VEXStatement, error) {
	var out []VEXStatement
	for _, name := range paths {
		data, err := readLimited(name, MaxVEXFileSize, "VEX document")
		if err != nil {
			return nil, err
		}
		st, err := ParseVEX(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, st...)
	}
	return out, nil
}

func readLimited(name string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes", name, what, limit)
	}
	return data, nil
}

type vexDocJSON struct {
	Context     string            `json:"@context"`
	ID          string            `json:"@id"`
	Timestamp   *time.Time        `json:"timestamp"`
	LastUpdated *time.Time        `json:"last_updated"`
	Statements  []json.RawMessage `json:"statements"`
}

type vexStatementJSON struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.1: statement level
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	ActionStatement string            `json:"action_statement"`
	Timestamp       *time.Time        `json:"timestamp"`
	LastUpdated     *time.Time        `json:"last_updated"`
}

type vexVulnJSON struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

type vexComponentJSON struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL string `json:"purl"`
	} `json:"identifiers"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

// ParseVEX decodes one OpenVEX JSON document; name is used in errors and
// recorded in each statement. Unknown fields are ignored; missing required
// ones, unknown statuses and not_affected statements with neither a
// justification nor an impact statement are errors.
func ParseVEX(name string, data []byte) ([]VEXStatement, error) {
	if len(data) > MaxVEXFileSize {
		return nil, fmt.Errorf("%s: VEX document is larger than %d bytes", name, MaxVEXFileSize)
	}
	var doc vexDocJSON
	if err := decodeJSON(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !strings.HasPrefix(doc.Context, "https://openvex.dev/ns") {
		return nil, fmt.Errorf("%s: not an OpenVEX document (@context %q, want https://openvex.dev/ns/…)", name, truncate(doc.Context))
	}
	if len(doc.Statements) > MaxVEXStatements {
		return nil, fmt.Errorf("%s: %d statements; at most %d are allowed", name, len(doc.Statements), MaxVEXStatements)
	}
	var docTime time.Time
	if doc.LastUpdated != nil {
		docTime = *doc.LastUpdated
	} else if doc.Timestamp != nil {
		docTime = *doc.Timestamp
	}
	out := make([]VEXStatement, 0, len(doc.Statements))
	for i, raw := range doc.Statements {
		s, err := parseStatement(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: statements[%d]: %w", name, i, err)
		}
		s.Document, s.File, s.Index = doc.ID, name, i
		if s.Timestamp.IsZero() {
			s.Timestamp = docTime
		}
		out = append(out, s)
	}
	return out, nil
}

func parseStatement(raw json.RawMessage) (VEXStatement, error) {
	var sj vexStatementJSON
	if err := decodeJSON(raw, &sj); err != nil {
		return VEXStatement{}, err
	}
	var s VEXStatement
	if err := parseVuln(sj.Vulnerability, &s); err != nil {
		return s, err
	}
	switch st := VEXStatus(sj.Status); st {
	case VEXNotAffected, VEXAffected, VEXFixed, VEXUnderInvestigation:
		s.Status = st
	case "":
		return s, errors.New("missing status")
	default:
		return s, fmt.Errorf("unknown status %q (want not_affected, affected, fixed or under_investigation)", truncate(sj.Status))
	}
	s.Justification, s.ImpactStatement, s.ActionStatement = sj.Justification, sj.ImpactStatement, sj.ActionStatement
	for _, t := range []string{s.Justification, s.ImpactStatement, s.ActionStatement} {
		if len(t) > maxVEXStatementText {
			return s, fmt.Errorf("statement text is longer than %d bytes", maxVEXStatementText)
		}
	}
	if s.Status == VEXNotAffected && s.Justification == "" && s.ImpactStatement == "" {
		return s, errors.New("not_affected needs a justification or an impact_statement")
	}
	if sj.LastUpdated != nil {
		s.Timestamp = *sj.LastUpdated
	} else if sj.Timestamp != nil {
		s.Timestamp = *sj.Timestamp
	}
	if len(sj.Products) == 0 {
		return s, errors.New("no products")
	}
	if len(sj.Products) > MaxVEXProducts || len(sj.Subcomponents) > MaxVEXProducts {
		return s, fmt.Errorf("more than %d products or subcomponents", MaxVEXProducts)
	}
	shared, err := parseComponents(sj.Subcomponents)
	if err != nil {
		return s, err
	}
	for j, pr := range sj.Products {
		p, subs, err := parseComponent(pr)
		if err != nil {
			return s, fmt.Errorf("products[%d]: %w", j, err)
		}
		if len(subs) > MaxVEXProducts {
			return s, fmt.Errorf("products[%d]: more than %d subcomponents", j, MaxVEXProducts)
		}
		sc, err := parseComponents(subs)
		if err != nil {
			return s, fmt.Errorf("products[%d]: %w", j, err)
		}
		p.Subcomponents = append(sc, shared...)
		s.Products = append(s.Products, p)
	}
	return s, nil
}

func parseVuln(raw json.RawMessage, s *VEXStatement) error {
	if len(raw) == 0 || string(raw) == "null" {
		return errors.New("missing vulnerability")
	}
	var name string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &name); err != nil {
			return fmt.Errorf("vulnerability: %w", err)
		}
	} else {
		var v vexVulnJSON
		if err := decodeJSON(raw, &v); err != nil {
			return fmt.Errorf("vulnerability: %w", err)
		}
		name = v.Name
		for _, a := range append(v.Aliases, v.ID) {
			if a != "" {
				s.Aliases = append(s.Aliases, a)
			}
		}
	}
	if name == "" && len(s.Aliases) == 0 {
		return errors.New("vulnerability has no name")
	}
	s.Vulnerability = name
	for _, id := range s.ids() {
		if len(id) > maxVEXIDLen {
			return fmt.Errorf("vulnerability id is longer than %d bytes", maxVEXIDLen)
		}
	}
	return nil
}

// parseComponent decodes a product or subcomponent: a string @id or an
// object with @id, identifiers.purl and subcomponents.
func parseComponent(raw json.RawMessage) (VEXProduct, []json.RawMessage, error) {
	var p VEXProduct
	var subs []json.RawMessage
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &p.ID); err != nil {
			return p, nil, err
		}
	} else {
		var c vexComponentJSON
		if err := decodeJSON(raw, &c); err != nil {
			return p, nil, err
		}
		p.ID, p.PURL, subs = c.ID, c.Identifiers.PURL, c.Subcomponents
	}
	if p.ID == "" && p.PURL == "" {
		return p, nil, errors.New("component has neither @id nor identifiers.purl")
	}
	if len(p.ID) > maxVEXIDLen || len(p.PURL) > maxVEXIDLen {
		return p, nil, fmt.Errorf("component id is longer than %d bytes", maxVEXIDLen)
	}
	return p, subs, nil
}

func parseComponents(raws []json.RawMessage) ([]string, error) {
	var out []string
	for k, raw := range raws {
		c, _, err := parseComponent(raw)
		if err != nil {
			return nil, fmt.Errorf("subcomponents[%d]: %w", k, err)
		}
		for _, id := range []string{c.ID, c.PURL} {
			if id != "" {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// decodeJSON unmarshals data into v and turns an offset in a syntax or type
// error into a line number.
func decodeJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off >= 0 && off <= int64(len(data)) {
		return fmt.Errorf("line %d: %w", bytes.Count(data[:off], []byte("\n"))+1, err)
	}
	return err
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// vexIndex finds the statements about a finding quickly.
type vexIndex map[string][]int

func newVEXIndex(sts []VEXStatement) vexIndex {
	idx := make(vexIndex)
	for i := range sts {
		seen := map[string]bool{}
		for _, id := range sts[i].ids() {
			k := strings.ToLower(id)
			if k != "" && !seen[k] {
				seen[k] = true
				idx[k] = append(idx[k], i)
			}
		}
	}
	return idx
}

// decide returns the statement that decides f's status, or -1: of the
// statements that apply, the latest by timestamp, the later in order on a tie.
func (idx vexIndex) decide(sts []VEXStatement, f *finding.Finding) int {
	best := -1
	seen := map[int]bool{}
	for _, id := range append([]string{f.RuleID}, f.Aliases...) {
		for _, i := range idx[strings.ToLower(id)] {
			if seen[i] {
				continue
			}
			seen[i] = true
			if !sts[i].Applies(f) {
				continue
			}
			if best < 0 || !sts[i].Timestamp.Before(sts[best].Timestamp) && (i > best || sts[i].Timestamp.After(sts[best].Timestamp)) {
				best = i
			}
		}
	}
	return best
}
