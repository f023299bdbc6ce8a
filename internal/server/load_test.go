package server

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// TestLoad drives the real server on loopback with a bounded mix of
// uploads (200-finding reports over 10 targets) and finding-list reads from
// 8 clients: at most 400 requests or 20 seconds. It reports throughput and
// latency percentiles, and fails on any error or when no request finished.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	ts := newTestServer(t, Config{})
	up := ts.client(ts.token(t, "ci", store.ScopeUpload))
	rd := ts.client(ts.token(t, "dash", store.ScopeRead))
	reports := make([][]byte, 10)
	for i := range reports {
		tg := finding.Target{Kind: "image", Name: fmt.Sprintf("registry.example/app-%d:1", i)}
		var fs []finding.Finding
		for j := range 200 {
			f := testFinding(fmt.Sprintf("GO-%d-%d", i, j), fmt.Sprintf("p%d", j%20), finding.Severity(j%5))
			f.Target = tg
			f.SetFingerprint()
			fs = append(fs, f)
		}
		reports[i] = jsonReportFor(t, tg, fs)
	}
	const maxRequests, workers = 400, 8
	deadline := time.Now().Add(20 * time.Second)
	var next atomic.Int64
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n := next.Add(1)
				if n > maxRequests {
					return
				}
				kind := "list"
				t0 := time.Now()
				var err error
				if n%4 == 0 {
					kind = "upload"
					_, err = up.Upload(context.Background(), reports[n%10], UploadOptions{Product: "load", ScanID: fmt.Sprintf("scan-%d", n)})
				} else {
					_, err = rd.Findings(context.Background(), url.Values{"state": {"open"}, "severity": {"critical,high"}, "limit": {"100"}})
				}
				d := time.Since(t0)
				if err != nil {
					errs <- fmt.Errorf("%s %d: %w", kind, n, err)
					return
				}
				mu.Lock()
				lat[kind] = append(lat[kind], d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	total := 0
	for _, kind := range []string{"upload", "list"} {
		l := lat[kind]
		if len(l) == 0 {
			t.Fatalf("no %s request finished", kind)
		}
		slices.Sort(l)
		total += len(l)
		pct := func(p int) time.Duration { return l[(len(l)*p+99)/100-1] }
		t.Logf("%-6s %4d requests  p50 %8v  p95 %8v  max %8v", kind, len(l), pct(50).Round(time.Microsecond), pct(95).Round(time.Microsecond), l[len(l)-1].Round(time.Microsecond))
	}
	t.Logf("total  %4d requests in %v: %.0f requests/s (%d clients)", total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), workers)
}
