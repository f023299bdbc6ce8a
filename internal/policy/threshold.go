// Package policy is the gate between findings and a build: it drops the
// findings that an ignore file excepts, decides whether what is left blocks
// the build, and says why in words.
//
// The command line turns a Decision into an exit code with ExitPass,
// ExitBlocked and ExitError.
package policy

import (
	"fmt"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
)

// Exit codes of a command that runs the gate.
const (
	ExitPass    = 0 // the gate passed
	ExitBlocked = 1 // the gate blocked the build
	ExitError   = 2 // usage or runtime error; no decision was made
)

// Threshold is the lowest severity that blocks a build. The zero value is
// "none": it never blocks.
type Threshold struct {
	min    finding.Severity
	active bool
}

// FailAt returns the threshold that blocks findings of severity s and above.
// FailAt(finding.SeverityUnknown) blocks every finding.
func FailAt(s finding.Severity) Threshold { return Threshold{min: s, active: true} }

// ParseThreshold reads a threshold: a severity name (critical, high, medium,
// low, unknown; see finding.ParseSeverity) or "none" (also "never", "off")
// for a gate that never blocks.
func ParseThreshold(s string) (Threshold, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "none", "never", "off":
		return Threshold{}, nil
	case "":
		return Threshold{}, fmt.Errorf("empty fail-on threshold (want critical, high, medium, low, unknown or none)")
	}
	sev, err := finding.ParseSeverity(v)
	if err != nil {
		return Threshold{}, fmt.Errorf("fail-on threshold: %w", err)
	}
	return FailAt(sev), nil
}

// Blocks reports whether a finding of severity s blocks the build.
func (t Threshold) Blocks(s finding.Severity) bool { return t.active && s >= t.min }

// Severity returns the lowest blocking severity, and false for "none".
func (t Threshold) Severity() (finding.Severity, bool) { return t.min, t.active }

// String returns the severity name, or "none".
func (t Threshold) String() string {
	if !t.active {
		return "none"
	}
	return t.min.String()
}

// MarshalText writes the threshold as String does.
func (t Threshold) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a threshold as ParseThreshold does.
func (t *Threshold) UnmarshalText(b []byte) error {
	v, err := ParseThreshold(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Set reads a threshold from a command-line flag value.
func (t *Threshold) Set(s string) error { return t.UnmarshalText([]byte(s)) }

// Type names the flag value type in help text.
func (t *Threshold) Type() string { return "severity" }
