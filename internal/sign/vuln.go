package sign

import (
	"encoding/json"
	"time"
)

// VulnPredicate is cosign's vulnerability-scan predicate
// (https://cosign.sigstore.dev/attestation/vuln/v1): who scanned, with
// which database, when, and the scanner's own report as the result.
type VulnPredicate struct {
	Invocation VulnInvocation `json:"invocation"`
	Scanner    VulnScanner    `json:"scanner"`
	Metadata   VulnMetadata   `json:"metadata"`
}

// VulnInvocation says how the scan was run.
type VulnInvocation struct {
	Parameters []string `json:"parameters"`
	URI        string   `json:"uri"`
	EventID    string   `json:"event_id"`
	BuilderID  string   `json:"builder.id"`
}

// VulnScanner names the scanner and holds its report.
type VulnScanner struct {
	URI     string          `json:"uri"`
	Version string          `json:"version"`
	DB      VulnDB          `json:"db"`
	Result  json.RawMessage `json:"result"`
}

// VulnDB names the vulnerability database the scan used.
type VulnDB struct {
	URI     string `json:"uri"`
	Version string `json:"version"`
}

// VulnMetadata holds the scan's start and finish times.
type VulnMetadata struct {
	ScanStartedOn  time.Time `json:"scanStartedOn"`
	ScanFinishedOn time.Time `json:"scanFinishedOn"`
}
