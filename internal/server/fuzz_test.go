package server

import (
	"errors"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

// FuzzDecodeReport feeds arbitrary bodies to the upload decoder: it must
// never panic, and must either reject with a *badReport or return a scan
// whose every finding carries its own fingerprint.
func FuzzDecodeReport(f *testing.F) {
	f.Add(jsonReport(f, "high", testFinding("GO-A", "a", finding.SeverityHigh), testFinding("GO-B", "b", finding.SeverityLow)))
	f.Add([]byte(`{"schema_version":"1","target":{"kind":"image","name":"x"},"findings":[],"suppressed":[{"finding":{},"ignore":{"expires":"2026-02-30"}}]}`))
	f.Add([]byte(`{"schema_version":"1","target":{"kind":"image","name":"x"},"decision":{"fail_on":"high","blocked":true,"blocking":[]}}`))
	f.Add([]byte(`[[[[[[[[[[`))
	f.Add([]byte(`{"schema_version":"1"} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := decodeReport(body)
		if err != nil {
			var br *badReport
			if !errors.As(err, &br) {
				t.Fatalf("error %v is not a badReport", err)
			}
			return
		}
		for i := range s.Findings {
			if s.Findings[i].Fingerprint != s.Findings[i].ComputeFingerprint() {
				t.Fatal("accepted a finding with a foreign fingerprint")
			}
		}
		if s.Target.Name == "" || s.ReportSHA256 == "" {
			t.Fatal("accepted a report without target or hash")
		}
	})
}
