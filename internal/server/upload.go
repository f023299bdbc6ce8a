package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// Limits on one uploaded report, besides its size in bytes.
const (
	maxTextField  = 64 << 10 // title, description, evidence, one reference
	maxShortField = 1024     // ids, names, paths, versions
	maxListField  = 1000     // aliases, references, CVSS entries, fixed versions
)

// uploadedReport is the part of a JSON report (schema version 1,
// docs/output.md) the server keeps. Fields it does not know are ignored, as
// the schema's stability rules ask of every reader.
type uploadedReport struct {
	SchemaVersion string `json:"schema_version"`
	Tool          struct {
		Version string `json:"version"`
	} `json:"tool"`
	Target     finding.Target    `json:"target"`
	Decision   *uploadedDecision `json:"decision"`
	Findings   []finding.Finding `json:"findings"`
	Suppressed []struct {
		Finding finding.Finding `json:"finding"`
		Ignore  struct {
			Owner   string `json:"owner"`
			Reason  string `json:"reason"`
			Expires string `json:"expires"`
		} `json:"ignore"`
	} `json:"suppressed"`
}

type uploadedDecision struct {
	FailOn   string   `json:"fail_on"`
	Blocked  bool     `json:"blocked"`
	Blocking []string `json:"blocking"`
}

// badReport is a client error in an uploaded report.
type badReport struct{ msg string }

func (e *badReport) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badReport{msg: fmt.Sprintf(format, args...)} }

// decodeReport reads a JSON report into a scan ready to ingest. The body
// must be exactly one JSON object of schema version 1; every finding must
// carry the fingerprint its own fields give (so one record per problem
// cannot be forged apart or together), and every limit holds. Errors are
// *badReport, with a reason a client can act on.
func decodeReport(body []byte) (*store.Scan, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var r uploadedReport
	if err := dec.Decode(&r); err != nil {
		return nil, bad("malformed report: %s", jsonError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("malformed report: data after the JSON object")
	}
	if r.SchemaVersion != "1" {
		return nil, bad("report schema_version %q: this server reads schema version 1 (redline scan --format json)", r.SchemaVersion)
	}
	if r.Target.Kind == "" || r.Target.Name == "" {
		return nil, bad("report names no target (target.kind and target.name are required)")
	}
	if len(r.Target.Kind) > 64 || len(r.Target.Name) > maxShortField || len(r.Target.Digest) > 256 || len(r.Tool.Version) > 256 {
		return nil, bad("report target or tool field too long")
	}
	if n := len(r.Findings) + len(r.Suppressed); n > store.MaxScanFindings {
		return nil, bad("report holds %d findings; at most %d are accepted", n, store.MaxScanFindings)
	}
	s := &store.Scan{Target: r.Target, ToolVersion: r.Tool.Version, Findings: r.Findings}
	fps := make(map[string]bool, len(r.Findings))
	for i := range r.Findings {
		if err := checkFinding(&r.Findings[i]); err != nil {
			return nil, bad("findings[%d]: %v", i, err)
		}
		fps[r.Findings[i].Fingerprint] = true
	}
	for i, sup := range r.Suppressed {
		if err := checkFinding(&sup.Finding); err != nil {
			return nil, bad("suppressed[%d].finding: %v", i, err)
		}
		day, err := time.Parse(time.DateOnly, sup.Ignore.Expires)
		if err != nil {
			return nil, bad("suppressed[%d].ignore.expires %q: want YYYY-MM-DD", i, sup.Ignore.Expires)
		}
		if sup.Ignore.Owner == "" || sup.Ignore.Reason == "" || len(sup.Ignore.Owner) > maxShortField || len(sup.Ignore.Reason) > store.MaxReasonLength {
			return nil, bad("suppressed[%d].ignore: owner and reason are required (reason at most %d bytes)", i, store.MaxReasonLength)
		}
		// An ignore holds through the whole of its expiry day (UTC).
		s.Suppressed = append(s.Suppressed, store.Suppressed{Finding: sup.Finding, Owner: sup.Ignore.Owner, Reason: sup.Ignore.Reason, Expires: day.AddDate(0, 0, 1)})
	}
	if d := r.Decision; d != nil {
		if _, err := finding.ParseSeverity(d.FailOn); err != nil && d.FailOn != "none" {
			return nil, bad("decision.fail_on %q: want critical, high, medium, low, unknown or none", d.FailOn)
		}
		if len(d.Blocking) > store.MaxScanFindings {
			return nil, bad("decision.blocking is too long")
		}
		for _, fp := range d.Blocking {
			if !fps[fp] {
				return nil, bad("decision.blocking names %q, which is not among the findings", fp)
			}
		}
		if d.Blocked && len(d.Blocking) == 0 {
			return nil, bad("decision.blocked is true but decision.blocking is empty")
		}
		s.Blocked, s.FailOn, s.Blocking = d.Blocked, d.FailOn, d.Blocking
	}
	sum := sha256.Sum256(body)
	s.ReportSHA256 = hex.EncodeToString(sum[:])
	return s, nil
}

// knownKinds are the finding kinds of schema version 1.
var knownKinds = map[finding.Kind]bool{
	finding.KindVulnerability: true, finding.KindSecret: true, finding.KindMisconfiguration: true,
	finding.KindRBAC: true, finding.KindDesign: true, finding.KindRuntime: true, finding.KindSupplyChain: true,
}

func checkFinding(f *finding.Finding) error {
	switch {
	case !knownKinds[f.Kind]:
		return fmt.Errorf("unknown kind %q", f.Kind)
	case f.RuleID == "" || len(f.RuleID) > maxShortField:
		return errors.New("rule_id is required (at most 1024 bytes)")
	case len(f.Title) > maxTextField || len(f.Description) > maxTextField || len(f.Evidence) > maxTextField:
		return errors.New("title, description or evidence longer than 64 KiB")
	case len(f.Location.Path) > 4*maxShortField || len(f.Location.Layer) > maxShortField || len(f.Location.Object) > maxShortField || len(f.Location.CreatedBy) > maxTextField:
		return errors.New("location field too long")
	case len(f.Aliases) > maxListField || len(f.References) > maxListField || len(f.CVSS) > maxListField || len(f.Mappings) > maxListField:
		return errors.New("too many aliases, references, CVSS entries or mappings")
	case f.Package != nil && (len(f.Package.Name) > maxShortField || len(f.Package.Version) > maxShortField || len(f.Package.Ecosystem) > maxShortField || len(f.Package.PURL) > 4*maxShortField):
		return errors.New("package field too long")
	case f.Fix != nil && (len(f.Fix.FixedVersions) > maxListField || len(f.Fix.Remediation) > maxTextField):
		return errors.New("fix too long")
	}
	for _, c := range f.CVSS {
		if c.Score < 0 || c.Score > 10 {
			return fmt.Errorf("CVSS score %v out of 0–10", c.Score)
		}
	}
	if want := f.ComputeFingerprint(); f.Fingerprint != want {
		return fmt.Errorf("fingerprint %q does not match the finding (want %s)", f.Fingerprint, want)
	}
	return nil
}

// jsonError words a decoding error without echoing large input.
func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s: %s where %s was expected (byte %d)", te.Field, te.Value, te.Type, te.Offset)
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}
