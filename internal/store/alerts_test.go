package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func TestAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		sup := Suppressed{Finding: vuln("CVE-SUP", "s", finding.SeverityCritical), Owner: "o", Reason: "r", Expires: clk.Now().Add(48 * time.Hour)}
		s := scanOf("s1", vuln("CVE-C1", "a", finding.SeverityCritical), vuln("CVE-C2", "b", finding.SeverityCritical),
			vuln("CVE-H1", "c", finding.SeverityHigh))
		s.Suppressed = []Suppressed{sup}
		mustIngest(t, d, s)

		// The two open criticals are queued; the suppressed one is not.
		b, err := d.ClaimAlerts(ctx, AlertNewCritical, time.Minute, 1)
		if err != nil {
			t.Fatal(err)
		}
		if b.Total != 2 || len(b.Findings) != 1 || b.Findings[0].Severity != finding.SeverityCritical {
			t.Fatalf("claimed %+v", b)
		}
		// Held by the claim: a second sweep gets nothing.
		if b2, err := d.ClaimAlerts(ctx, AlertNewCritical, time.Minute, 10); err != nil || b2.Total != 0 {
			t.Fatalf("second claim %+v, %v", b2, err)
		}
		// A failed delivery returns them to the queue.
		if err := d.ReleaseAlerts(ctx, b.Claim, false); err != nil {
			t.Fatal(err)
		}
		b, err = d.ClaimAlerts(ctx, AlertNewCritical, time.Minute, 10)
		if err != nil || b.Total != 2 || len(b.Findings) != 2 {
			t.Fatalf("reclaim %+v, %v", b, err)
		}
		if err := d.ReleaseAlerts(ctx, b.Claim, true); err != nil {
			t.Fatal(err)
		}
		// Delivered: never again, also not when the finding is fixed and
		// comes back.
		mustIngest(t, d, scanOf("s2", vuln("CVE-H1", "c", finding.SeverityHigh)))
		mustIngest(t, d, scanOf("s3", vuln("CVE-C1", "a", finding.SeverityCritical), vuln("CVE-H1", "c", finding.SeverityHigh)))
		if b, err := d.ClaimAlerts(ctx, AlertNewCritical, time.Minute, 10); err != nil || b.Total != 0 {
			t.Fatalf("after delivery %+v, %v", b, err)
		}
		// A lapsed claim (a sweep that died) is taken over.
		mustIngest(t, d, scanOf("s4", vuln("CVE-C1", "a", finding.SeverityCritical), vuln("CVE-H1", "c", finding.SeverityHigh),
			vuln("CVE-C3", "d", finding.SeverityCritical)))
		if b, err := d.ClaimAlerts(ctx, AlertNewCritical, time.Minute, 10); err != nil || b.Total != 1 {
			t.Fatalf("claim C3 %+v, %v", b, err)
		}
		clk.Advance(2 * time.Minute)
		if b, err := d.ClaimAlerts(ctx, AlertNewCritical, time.Minute, 10); err != nil || b.Total != 1 || b.Findings[0].RuleID != "CVE-C3" {
			t.Fatalf("take over %+v, %v", b, err)
		}

		// SLA: high 30 days. Nothing breaches yet.
		sla := SLA{Critical: 7, High: 30, Medium: 90, Low: 180}
		if n, err := d.QueueSLABreaches(ctx, sla); err != nil || n != 0 {
			t.Fatalf("queued %d, %v", n, err)
		}
		clk.Advance(8 * 24 * time.Hour)
		// C1 (reopened; first seen at s1) and C3 breach 7 days; H1 does not.
		if n, err := d.QueueSLABreaches(ctx, sla); err != nil || n != 2 {
			t.Fatalf("queued %d, %v", n, err)
		}
		if n, err := d.QueueSLABreaches(ctx, sla); err != nil || n != 0 {
			t.Fatalf("queued again %d, %v", n, err)
		}
		clk.Advance(30 * 24 * time.Hour)
		if n, err := d.QueueSLABreaches(ctx, sla); err != nil || n != 1 {
			t.Fatalf("queued high %d, %v", n, err)
		}
		b, err = d.ClaimAlerts(ctx, AlertSLABreach, time.Minute, 10)
		if err != nil || b.Total != 3 {
			t.Fatalf("claim breaches %+v, %v", b, err)
		}
		if got := fmt.Sprintln(b.Findings[0].RuleID, b.Findings[1].RuleID, b.Findings[2].RuleID); got != "CVE-C1 CVE-C3 CVE-H1\n" {
			t.Fatalf("order %s", got)
		}
		if _, err := d.ClaimAlerts(ctx, "bogus", time.Minute, 1); err == nil {
			t.Fatal("unknown kind accepted")
		}
	})
}

// TestAlertClaimReplicas has several replicas claim at once: every alert
// is claimed by exactly one.
func TestAlertClaimReplicas(t *testing.T) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) {
			d1, reopen := b.open(t, Options{})
			var fs []finding.Finding
			for i := range 50 {
				fs = append(fs, vuln(fmt.Sprintf("CVE-%03d", i), "p", finding.SeverityCritical))
			}
			mustIngest(t, d1, scanOf("seed", fs...))
			dbs := []*DB{d1}
			for range 3 {
				d, err := reopen(Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				dbs = append(dbs, d)
			}
			var mu sync.Mutex
			claimed := 0
			var wg sync.WaitGroup
			for _, d := range dbs {
				for range 3 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						b, err := d.ClaimAlerts(context.Background(), AlertNewCritical, time.Hour, 0)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						claimed += b.Total
						mu.Unlock()
					}()
				}
			}
			wg.Wait()
			if claimed != 50 {
				t.Fatalf("claimed %d alerts in all, want 50", claimed)
			}
		})
	}
}
