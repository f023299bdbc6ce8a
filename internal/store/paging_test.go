package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

// TestFindingsPagingBack walks forward through the pages of a query and
// back again by the Prev cursors: going back yields the same pages, and
// the first page (either way) has no Prev.
func TestFindingsPagingBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		var fs []finding.Finding
		for i := range 200 {
			fs = append(fs, vuln(fmt.Sprintf("GO-%03d", i), fmt.Sprintf("pkg%d", i%10), finding.Severity(i%5)))
		}
		mustIngest(t, d, scanOf("s1", fs...))
		page, err := d.Findings(ctx, FindingQuery{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		// Two states, so the per-state probes are merged both ways.
		for _, f := range page.Findings[:20] {
			if _, err := d.Transition(ctx, f.ID, Change{To: StateInTriage, Actor: "t", Reason: "look"}); err != nil {
				t.Fatal(err)
			}
		}
		queries := []struct {
			name string
			q    FindingQuery
			// pages is how many pages the walk has.
			pages int
		}{
			{"all", FindingQuery{Limit: 30}, 7},
			{"exact pages", FindingQuery{Limit: 40}, 5},
			{"two states", FindingQuery{States: []State{StateOpen, StateInTriage}, Limit: 17}, 12},
			{"filtered", FindingQuery{Severities: []finding.Severity{finding.SeverityHigh, finding.SeverityLow}, Text: "pkg", Limit: 9}, 9},
			{"one page", FindingQuery{Product: "shop", Limit: 500}, 1},
		}
		ids := func(p FindingPage) []int64 {
			var out []int64
			for _, f := range p.Findings {
				out = append(out, f.ID)
			}
			return out
		}
		for _, c := range queries {
			t.Run(c.name, func(t *testing.T) {
				var forward []FindingPage
				q := c.q
				for {
					p, err := d.Findings(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					forward = append(forward, p)
					if p.Next == "" {
						break
					}
					q.Cursor = p.Next
				}
				if len(forward) != c.pages {
					t.Fatalf("%d pages forward, want %d", len(forward), c.pages)
				}
				if forward[0].Prev != "" {
					t.Error("the first page has a Prev cursor")
				}
				// Back from the last page, one Prev at a time.
				cur := forward[len(forward)-1]
				for i := len(forward) - 2; i >= 0; i-- {
					if cur.Prev == "" {
						t.Fatalf("page %d has no Prev", i+2)
					}
					q := c.q
					q.Cursor = cur.Prev
					back, err := d.Findings(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(ids(back), ids(forward[i])) {
						t.Fatalf("page %d going back: %v, want %v", i+1, ids(back), ids(forward[i]))
					}
					if back.Next != forward[i].Next {
						t.Errorf("page %d going back: Next %q, want %q", i+1, back.Next, forward[i].Next)
					}
					if (i == 0) != (back.Prev == "") {
						t.Errorf("page %d going back: Prev %q", i+1, back.Prev)
					}
					cur = back
				}
			})
		}
	})
}

// TestFindingsPagingBackToChangedStart: when the findings before a page
// left the filter since it was reached, going back answers with the first
// page as it is now, never an empty page without links.
func TestFindingsPagingBackToChangedStart(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		var fs []finding.Finding
		for i := range 12 {
			fs = append(fs, vuln(fmt.Sprintf("GO-%03d", i), "pkg", finding.SeverityHigh))
		}
		mustIngest(t, d, scanOf("s1", fs...))
		open := FindingQuery{States: []State{StateOpen}, Limit: 5}
		first, err := d.Findings(ctx, open)
		if err != nil {
			t.Fatal(err)
		}
		q := open
		q.Cursor = first.Next
		second, err := d.Findings(ctx, q)
		if err != nil || second.Prev == "" {
			t.Fatalf("second page: prev %q, %v", second.Prev, err)
		}
		for _, f := range first.Findings {
			if _, err := d.Transition(ctx, f.ID, Change{To: StateInTriage, Actor: "t", Reason: "look"}); err != nil {
				t.Fatal(err)
			}
		}
		q.Cursor = second.Prev
		back, err := d.Findings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		now, err := d.Findings(ctx, open)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Findings) != 5 || back.Prev != "" || back.Next != now.Next || back.Findings[0].ID != now.Findings[0].ID {
			t.Errorf("back from the second page: %d findings, prev %q, next %q; the first page now starts at %d, next %q",
				len(back.Findings), back.Prev, back.Next, now.Findings[0].ID, now.Next)
		}
	})
}
