package finding

import (
	"fmt"
	"strings"
)

// Severity is ordered: unknown < low < medium < high < critical.
type Severity int

// The severities, lowest first.
const (
	SeverityUnknown Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "low", "medium", "high", "critical"}

// String returns the lower-case name of the severity.
func (s Severity) String() string {
	if s < SeverityUnknown || s > SeverityCritical {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name in any case. "moderate" (GitHub's word)
// means medium and "none" means unknown.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unknown", "none", "":
		return SeverityUnknown, nil
	case "low":
		return SeverityLow, nil
	case "medium", "moderate":
		return SeverityMedium, nil
	case "high", "important":
		return SeverityHigh, nil
	case "critical":
		return SeverityCritical, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want critical, high, medium, low or unknown)", s)
}

// SeverityFromScore maps a CVSS base score to its qualitative rating
// (the same bands in CVSS v3.x and v4.0).
func SeverityFromScore(score float64) Severity {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	case score > 0:
		return SeverityLow
	}
	return SeverityUnknown
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
