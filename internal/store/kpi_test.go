package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func TestKPIs(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		day := 24 * time.Hour
		t0 := clk.Now()
		c1, h1 := vuln("GO-C1", "c", finding.SeverityCritical), vuln("GO-H1", "h", finding.SeverityHigh)
		m1, l1 := vuln("GO-M1", "m", finding.SeverityMedium), vuln("GO-L1", "l", finding.SeverityLow)
		m1.CVSS = []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N", Score: 6.1}}
		s := scanOf("a1", c1, h1, m1, l1)
		s.Blocked, s.FailOn, s.Blocking = true, "high", []string{c1.Fingerprint, h1.Fingerprint}
		mustIngest(t, d, s)
		other := finding.Target{Kind: "repository", Name: "git.example/billing"}
		c2 := vulnIn(other, "GO-C2", "x", finding.SeverityCritical)
		mustIngest(t, d, &Scan{ID: "b1", Product: "billing", Target: other, Findings: []finding.Finding{c2},
			Blocked: true, FailOn: "critical", Blocking: []string{c2.Fingerprint}})
		clk.Advance(2 * day)
		mustIngest(t, d, scanOf("a2", h1, m1, l1))
		clk.Advance(8 * day)
		mustIngest(t, d, scanOf("a3", m1, l1))
		clk.Advance(30 * day)

		kpis := func(q KPIQuery) map[string]any {
			t.Helper()
			rep, err := d.KPIs(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			// Compare through JSON, as clients see it.
			b, _ := json.Marshal(rep.KPIs)
			var out map[string]any
			_ = json.Unmarshal(b, &out)
			return out
		}
		all := kpis(KPIQuery{})
		day0 := t0.Format("2006-01-02")
		checks := []struct {
			name string
			got  any
			want any
		}{
			{"builds blocked", all["builds_blocked"], map[string]any{"total": 2.0, "by_day": []any{map[string]any{"day": day0, "count": 2.0}}}},
			{"cves blocked", all["cves_blocked"], map[string]any{"total": 3.0, "by_day": []any{map[string]any{"day": day0, "count": 3.0}}}},
			{"ttr critical", all["time_to_remediate"].([]any)[0], map[string]any{"severity": "critical", "fixed": 1.0,
				"median_seconds": 172800.0, "p90_seconds": 172800.0, "median_days": 2.0, "p90_days": 2.0}},
			{"ttr high", all["time_to_remediate"].([]any)[1].(map[string]any)["median_days"], 10.0},
			{"ttr medium", all["time_to_remediate"].([]any)[2].(map[string]any)["fixed"], 0.0},
			{"age critical", all["open_by_age"].([]any)[0], map[string]any{"severity": "critical", "0-30": 0.0, "31-60": 1.0, "61-90": 0.0, "over_90": 0.0, "total": 1.0}},
			{"age high", all["open_by_age"].([]any)[1].(map[string]any)["total"], 0.0},
			{"age low", all["open_by_age"].([]any)[3].(map[string]any)["31-60"], 1.0},
			{"sla breached", all["sla"].(map[string]any)["breached"], 1.0},
			{"sla critical", all["sla"].(map[string]any)["by_severity"].([]any)[0], map[string]any{"severity": "critical", "days": 7.0, "open": 1.0, "breached": 1.0}},
			{"sla breach", all["sla"].(map[string]any)["breaches"].([]any)[0].(map[string]any)["rule_id"], "GO-C2"},
			{"sla overdue", all["sla"].(map[string]any)["breaches"].([]any)[0].(map[string]any)["days_overdue"], 33.0},
			{"risk", all["mean_open_risk"], map[string]any{"open": 3.0, "mean": 5.87, "total": 17.6}},
		}
		shop := kpis(KPIQuery{Product: "shop"})
		checks = append(checks, []struct {
			name string
			got  any
			want any
		}{
			{"shop builds", shop["builds_blocked"].(map[string]any)["total"], 1.0},
			{"shop cves", shop["cves_blocked"].(map[string]any)["total"], 2.0},
			{"shop sla", shop["sla"].(map[string]any)["breached"], 0.0},
			{"shop risk", shop["mean_open_risk"], map[string]any{"open": 2.0, "mean": 4.05, "total": 8.1}},
		}...)
		// A tighter SLA and a period that excludes the first days.
		tight := kpis(KPIQuery{SLA: SLA{Critical: 7, High: 30, Medium: 30, Low: 30}, Since: t0.Add(day), Names: []string{"sla", "builds_blocked", "time_to_remediate"}})
		checks = append(checks, []struct {
			name string
			got  any
			want any
		}{
			{"tight sla", tight["sla"].(map[string]any)["breached"], 3.0},
			{"period builds", tight["builds_blocked"].(map[string]any)["total"], 0.0},
			{"period ttr", tight["time_to_remediate"].([]any)[0].(map[string]any)["fixed"], 1.0},
			{"names", len(tight), 3},
		}...)
		for _, c := range checks {
			gb, _ := json.Marshal(c.got)
			wb, _ := json.Marshal(c.want)
			if string(gb) != string(wb) {
				t.Errorf("%s: got %s, want %s", c.name, gb, wb)
			}
		}
		if _, err := d.KPIs(ctx, KPIQuery{Names: []string{"nope"}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown KPI: %v", err)
		}
		if _, err := d.KPIs(ctx, KPIQuery{Since: clk.Now(), Until: clk.Now()}); !errors.Is(err, ErrInvalid) {
			t.Errorf("empty period: %v", err)
		}
	})
}

func TestPercentile(t *testing.T) {
	v := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for p, want := range map[float64]int64{0.5: 5, 0.9: 9, 1: 10, 0.01: 1} {
		if got := percentile(v, p); got != want {
			t.Errorf("p%v = %d, want %d", p, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("empty")
	}
}
