package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// BenchmarkUpload10k posts a 10,000-finding JSON report over loopback to
// the real server on SQLite: decode, fingerprint checks and ingest.
func BenchmarkUpload10k(b *testing.B) {
	ts := newTestServer(b, Config{})
	c := ts.client(ts.token(b, "ci", store.ScopeUpload))
	fs := make([]finding.Finding, 10_000)
	for i := range fs {
		fs[i] = testFinding(fmt.Sprintf("GHSA-%05d", i), fmt.Sprintf("pkg-%d", i%500), finding.Severity(i%5))
		fs[i].Description = "A long enough description of the vulnerability to be realistic in size."
	}
	rep := jsonReport(b, "high", fs...)
	b.SetBytes(int64(len(rep)))
	b.ResetTimer()
	for i := range b.N {
		res, err := c.Upload(context.Background(), rep, UploadOptions{ScanID: fmt.Sprintf("bench-%d-%d", b.N, i)})
		if err != nil || res.Duplicate {
			b.Fatalf("%+v %v", res, err)
		}
	}
}
