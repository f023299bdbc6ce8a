package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// checkRollup compares open_rollup with the open findings counted directly.
func checkRollup(t *testing.T, d *DB) {
	t.Helper()
	ctx := context.Background()
	count := func(query string) map[string]string {
		rows, err := d.query(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var p, sev, day, n, r int64
			if err := rows.Scan(&p, &sev, &day, &n, &r); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("%d/%d/%d", p, sev, day)] = fmt.Sprintf("%d %d", n, r)
		}
		return out
	}
	direct := count(`SELECT t.product_id, f.severity, f.first_seen / 86400, COUNT(*), SUM(CAST(ROUND(f.risk * 10) AS BIGINT))
		FROM findings f JOIN targets t ON t.id = f.target_id WHERE f.state IN ('open', 'in_triage')
		GROUP BY t.product_id, f.severity, f.first_seen / 86400`)
	rolled := count("SELECT product_id, severity, first_day, n, risk10 FROM open_rollup WHERE n <> 0 OR risk10 <> 0")
	if fmt.Sprint(direct) != fmt.Sprint(rolled) {
		t.Fatalf("open_rollup drifted:\ncounted %v\nrollup  %v", direct, rolled)
	}
}

func TestRollupFollowsEveryWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		day := 24 * time.Hour
		a, b, c := vuln("GO-A", "a", finding.SeverityCritical), vuln("GO-B", "b", finding.SeverityHigh), vuln("GO-C", "c", finding.SeverityLow)
		a.CVSS = []finding.CVSS{{Version: "3.1", Vector: "x", Score: 9.8}}
		steps := []func(){
			func() { mustIngest(t, d, scanOf("s1", a, b, c)) },
			func() { clk.Advance(day); mustIngest(t, d, scanOf("s2", a, b)) },    // c fixed
			func() { clk.Advance(day); mustIngest(t, d, scanOf("s3", a, b, c)) }, // c reopened
			func() {
				b2 := b
				b2.Severity, b2.CVSS = finding.SeverityMedium, []finding.CVSS{{Version: "3.1", Vector: "y", Score: 5.3}}
				mustIngest(t, d, scanOf("s4", a, b2, c)) // severity and risk change
			},
			func() {
				if _, err := d.Transition(ctx, findingID(t, d, "GO-A"), Change{To: StateInTriage, Actor: "x", Reason: "y"}); err != nil {
					t.Fatal(err)
				}
			},
			func() {
				if _, err := d.Transition(ctx, findingID(t, d, "GO-A"), Change{To: StateAccepted, Actor: "x", Reason: "y", Owner: "o", Until: clk.Now().Add(day)}); err != nil {
					t.Fatal(err)
				}
			},
			func() {
				if _, err := d.Transition(ctx, findingID(t, d, "GO-C"), Change{To: StateFalsePositive, Actor: "x", Reason: "y"}); err != nil {
					t.Fatal(err)
				}
			},
			func() { clk.Advance(2 * day); mustIngest(t, d, scanOf("s5", a, b, c)) },        // acceptance of a expires
			func() { s := scanOf("s6", a, b, c); s.Product = "other"; mustIngest(t, d, s) }, // target moves product
			func() { mustIngest(t, d, scanOf("s7", b)) },                                    // a fixed, c stays false positive
			func() {
				if _, err := d.Transition(ctx, findingID(t, d, "GO-C"), Change{To: StateOpen, Actor: "x", Reason: "y"}); err != nil {
					t.Fatal(err)
				}
			},
			func() {
				s := scanOf("s8", b)
				s.Suppressed = []Suppressed{{Finding: vuln("GO-D", "d", finding.SeverityHigh), Owner: "o", Reason: "r", Expires: clk.Now().Add(day)}}
				mustIngest(t, d, s)
			},
			func() {
				clk.Advance(2 * day)
				if n, err := d.SweepExpired(ctx); err != nil || n != 1 {
					t.Fatalf("sweep %d %v", n, err)
				}
			},
		}
		for i, step := range steps {
			step()
			t.Run(fmt.Sprint("step", i), func(t *testing.T) { checkRollup(t, d) })
		}
	})
}
