package vulndb

import (
	"math"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/redline-sec/redline/internal/finding"
)

// OSV severity types that carry a CVSS vector or a word.
const (
	severityCVSSv3 = "CVSS_V3"
	severityCVSSv4 = "CVSS_V4"
	severityUbuntu = "Ubuntu"
)

// ScoreCVSS computes the base score of a CVSS v3.0, v3.1 or v4.0 vector. It
// reports false for any other version and for vectors that do not parse.
func ScoreCVSS(vector string) (finding.CVSS, bool) {
	vector = strings.TrimSpace(vector)
	var (
		version string
		score   float64
	)
	switch {
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return finding.CVSS{}, false
		}
		version, score = "3.0", v.BaseScore()
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return finding.CVSS{}, false
		}
		version, score = "3.1", v.BaseScore()
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return finding.CVSS{}, false
		}
		version, score = "4.0", v.Score()
	default:
		return finding.CVSS{}, false
	}
	if math.IsNaN(score) || score < 0 || score > 10 {
		return finding.CVSS{}, false
	}
	// Scores are defined to one decimal; strip float noise so that equal
	// scores compare equal.
	return finding.CVSS{Version: version, Vector: vector, Score: math.Round(score*10) / 10}, true
}

// severityScores collects CVSS scores and severity words from one or more
// OSV severity lists and picks the severity they support.
type severityScores struct {
	cvss     []finding.CVSS
	maxV4    float64
	hasV4    bool
	maxV3    float64
	hasV3    bool
	fallback finding.Severity // highest severity word seen (Ubuntu type)
}

// add scores one OSV severity entry. Entries that do not parse are ignored:
// a bad vector must not cost the record.
func (s *severityScores) add(typ, score string) {
	switch typ {
	case severityCVSSv3, severityCVSSv4:
		c, ok := ScoreCVSS(score)
		if !ok {
			return
		}
		for _, have := range s.cvss {
			if have.Vector == c.Vector {
				return
			}
		}
		s.cvss = append(s.cvss, c)
		if c.Version == "4.0" {
			s.hasV4 = true
			s.maxV4 = max(s.maxV4, c.Score)
		} else {
			s.hasV3 = true
			s.maxV3 = max(s.maxV3, c.Score)
		}
	case severityUbuntu:
		s.fallback = max(s.fallback, parseSeverityWord(score))
	}
}

// severity returns the severity of the highest v4 score, else of the
// highest v3 score, else of the highest severity word, else unknown.
func (s *severityScores) severity() finding.Severity {
	switch {
	case s.hasV4:
		return finding.SeverityFromScore(s.maxV4)
	case s.hasV3:
		return finding.SeverityFromScore(s.maxV3)
	}
	return s.fallback
}

// parseSeverityWord reads a severity word such as GitHub's LOW, MODERATE,
// HIGH and CRITICAL; anything else is unknown.
func parseSeverityWord(s string) finding.Severity {
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return finding.SeverityUnknown
	}
	return sev
}
