package finding

// Rule describes one check an analyzer can report: the catalogue entry
// behind a finding's RuleID, printed by `redline checks list`.
type Rule struct {
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	// Rationale says why the rule matters.
	Rationale string `json:"rationale"`
	// Remediation says what to change, with the exact code where it can.
	Remediation string   `json:"remediation"`
	References  []string `json:"references,omitempty"`
	// Mappings to frameworks: "ms-k8s-matrix": ["MS-TA9013"], "cwe": […].
	Mappings map[string][]string `json:"mappings,omitempty"`
}
