package store

import (
	"context"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

func TestExpiringAcceptances(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		a, b, c := vuln("GO-A", "a", finding.SeverityHigh), vuln("GO-B", "b", finding.SeverityHigh), vuln("GO-C", "c", finding.SeverityLow)
		s := scanOf("s1", a, c)
		s.Suppressed = []Suppressed{{Finding: b, Owner: "dave", Reason: "vendor fix pending", Expires: clk.Now().Add(72 * time.Hour)}}
		mustIngest(t, d, s)
		other := vulnIn(finding.Target{Kind: "image", Name: "other"}, "GO-X", "x", finding.SeverityHigh)
		mustIngest(t, d, &Scan{ID: "o1", Product: "billing", Actor: "ci", Target: other.Target, Findings: []finding.Finding{other}, FailOn: "none"})
		accept := func(rule string, until time.Duration) {
			t.Helper()
			if _, err := d.Transition(ctx, findingID(t, d, rule), Change{To: StateAccepted, Actor: "alice", Reason: "why " + rule, Owner: "bob", Until: clk.Now().Add(until)}); err != nil {
				t.Fatal(err)
			}
		}
		accept("GO-A", 24*time.Hour)
		accept("GO-C", 60*24*time.Hour)
		accept("GO-X", 48*time.Hour)
		// GO-C was accepted, reopened and accepted again: only the live
		// acceptance counts.
		if _, err := d.Transition(ctx, findingID(t, d, "GO-C"), Change{To: StateOpen, Actor: "alice", Reason: "reconsider"}); err != nil {
			t.Fatal(err)
		}
		accept("GO-C", 10*24*time.Hour)

		tests := []struct {
			name  string
			q     ExpiringQuery
			want  []string
			total int
		}{
			{"week", ExpiringQuery{Before: clk.Now().Add(7 * 24 * time.Hour)}, []string{"GO-A", "GO-X", "GO-B"}, 3},
			{"month", ExpiringQuery{Before: clk.Now().Add(30 * 24 * time.Hour)}, []string{"GO-A", "GO-X", "GO-B", "GO-C"}, 4},
			{"product", ExpiringQuery{Product: "shop", Before: clk.Now().Add(30 * 24 * time.Hour)}, []string{"GO-A", "GO-B", "GO-C"}, 3},
			{"limit", ExpiringQuery{Before: clk.Now().Add(30 * 24 * time.Hour), Limit: 2}, []string{"GO-A", "GO-X"}, 4},
			{"none", ExpiringQuery{Before: clk.Now()}, nil, 0},
		}
		for _, tt := range tests {
			got, err := d.ExpiringAcceptances(ctx, tt.q)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var rules []string
			for _, e := range got.Acceptances {
				rules = append(rules, e.Finding.RuleID)
				if e.Finding.RuleID == "GO-B" && (e.Exception.Owner != "dave" || e.Exception.Reason != "vendor fix pending") {
					t.Errorf("GO-B acceptance %+v", e.Exception)
				}
				if e.Finding.RuleID == "GO-C" && (e.Exception.Reason != "why GO-C" || !e.Exception.ExpiresAt.Equal(clk.Now().Add(10*24*time.Hour).Truncate(time.Second))) {
					t.Errorf("GO-C acceptance %+v", e.Exception)
				}
			}
			if len(rules) != len(tt.want) || got.Total != tt.total {
				t.Fatalf("%s: %v (total %d), want %v (%d)", tt.name, rules, got.Total, tt.want, tt.total)
			}
			for i := range rules {
				if rules[i] != tt.want[i] {
					t.Fatalf("%s: %v, want %v", tt.name, rules, tt.want)
				}
			}
		}
		if _, err := d.ExpiringAcceptances(ctx, ExpiringQuery{Limit: MaxPageSize + 1}); err == nil {
			t.Error("oversized limit accepted")
		}
	})
}
