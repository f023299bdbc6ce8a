package vulndb

import (
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

// The expected scores were computed with two independent calculators (see
// testdata/README.md); the vectors come from the records in testdata.
func TestScoreCVSS(t *testing.T) {
	tests := []struct {
		vector  string
		version string
		score   float64
		ok      bool
	}{
		{"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.0", 8.1, true},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", "3.1", 6.5, true},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "3.1", 10, true},
		{"CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", "4.0", 2.3, true},
		{"CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:L/VI:H/VA:N/SC:H/SI:H/SA:H", "4.0", 7.3, true},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 9.3, true},
		{"  CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N ", "3.1", 6.5, true},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", "", 0, false}, // v2 is not scored
		{"CVSS:3.1/AV:N", "", 0, false},
		{"CVSS:4.0/garbage", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		got, ok := ScoreCVSS(tt.vector)
		if ok != tt.ok || got.Version != tt.version || got.Score != tt.score {
			t.Errorf("ScoreCVSS(%q) = %+v, %v; want version %q score %v, %v", tt.vector, got, ok, tt.version, tt.score, tt.ok)
		}
	}
}

func TestSeverityPreference(t *testing.T) {
	type entry struct{ typ, score string }
	tests := []struct {
		name    string
		entries []entry
		want    finding.Severity
	}{
		{"v4 beats a higher v3", []entry{{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}, {"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"}}, finding.SeverityLow},
		{"highest v3", []entry{{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N"}, {"CVSS_V3", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}}, finding.SeverityHigh},
		{"Ubuntu word", []entry{{"Ubuntu", "medium"}}, finding.SeverityMedium},
		{"CVSS beats a word", []entry{{"Ubuntu", "high"}, {"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N"}}, finding.SeverityMedium},
		{"unparsable vector", []entry{{"CVSS_V3", "CVSS:3.1/nope"}}, finding.SeverityUnknown},
		{"nothing", nil, finding.SeverityUnknown},
	}
	for _, tt := range tests {
		var s severityScores
		for _, e := range tt.entries {
			s.add(e.typ, e.score)
		}
		if got := s.severity(); got != tt.want {
			t.Errorf("%s: severity = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseSeverityWord(t *testing.T) {
	for word, want := range map[string]finding.Severity{
		"LOW": finding.SeverityLow, "MODERATE": finding.SeverityMedium, "HIGH": finding.SeverityHigh,
		"CRITICAL": finding.SeverityCritical, "bogus": finding.SeverityUnknown, "": finding.SeverityUnknown,
	} {
		if got := parseSeverityWord(word); got != want {
			t.Errorf("parseSeverityWord(%q) = %v, want %v", word, got, want)
		}
	}
}
