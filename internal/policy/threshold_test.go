package policy

import (
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"high", "high", false},
		{" CRITICAL ", "critical", false},
		{"moderate", "medium", false},
		{"low", "low", false},
		{"unknown", "unknown", false},
		{"none", "none", false},
		{"Never", "none", false},
		{"off", "none", false},
		{"", "", true},
		{"severe", "", true},
	}
	for _, tt := range tests {
		got, err := ParseThreshold(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseThreshold(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got.String() != tt.want {
			t.Errorf("ParseThreshold(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestThresholdBlocks(t *testing.T) {
	tests := []struct {
		th   Threshold
		sev  finding.Severity
		want bool
	}{
		{Threshold{}, finding.SeverityCritical, false},
		{FailAt(finding.SeverityHigh), finding.SeverityCritical, true},
		{FailAt(finding.SeverityHigh), finding.SeverityHigh, true},
		{FailAt(finding.SeverityHigh), finding.SeverityMedium, false},
		{FailAt(finding.SeverityUnknown), finding.SeverityUnknown, true},
		{FailAt(finding.SeverityLow), finding.SeverityUnknown, false},
	}
	for _, tt := range tests {
		if got := tt.th.Blocks(tt.sev); got != tt.want {
			t.Errorf("%s.Blocks(%s) = %v, want %v", tt.th, tt.sev, got, tt.want)
		}
	}
}

func TestThresholdText(t *testing.T) {
	var th Threshold
	if err := th.Set("medium"); err != nil {
		t.Fatal(err)
	}
	b, _ := th.MarshalText()
	if string(b) != "medium" || th.Type() != "severity" {
		t.Errorf("got %q %q", b, th.Type())
	}
	if err := th.UnmarshalText([]byte("bogus")); err == nil {
		t.Error("UnmarshalText(bogus) succeeded")
	}
	if th.String() != "medium" {
		t.Errorf("failed UnmarshalText changed the value to %s", th)
	}
}
