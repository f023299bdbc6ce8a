package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// benchStore loads a SQLite store with 50,000 findings: 10 products of 5
// targets with 1,000 findings each, scanned twice over 90 days (the scans of
// every fifth target blocked), 100 findings of each target fixed by its
// second scan, and 300 findings accepted.
func benchStore(b *testing.B) *store.DB {
	b.Helper()
	ctx := context.Background()
	clock := now.AddDate(0, 0, -90)
	st, err := store.OpenSQLite(ctx, b.TempDir(), store.Options{Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	for t := range 50 {
		tg := finding.Target{Kind: "image", Name: fmt.Sprintf("registry.example/p%d/svc%d:1", t/5, t)}
		fs := make([]finding.Finding, 1000)
		for i := range fs {
			fs[i] = vuln(tg, fmt.Sprintf("GHSA-%04d-%04d", t, i), fmt.Sprintf("pkg-%d", i%300), finding.Severity(i%5))
		}
		for scan := range 2 {
			clock = now.AddDate(0, 0, -90+t+scan*30)
			s := &store.Scan{ID: fmt.Sprintf("s-%d-%d", t, scan), Product: fmt.Sprintf("product-%d", t/5), Actor: "ci", Target: tg,
				Findings: fs[:1000-scan*100], FailOn: "high"}
			if t%5 == 0 {
				s.Blocked = true
				for _, f := range s.Findings[:20] {
					s.Blocking = append(s.Blocking, f.Fingerprint)
				}
			}
			if _, err := st.Ingest(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	}
	clock = now
	page, err := st.Findings(ctx, store.FindingQuery{States: []store.State{store.StateOpen}, Limit: 300})
	if err != nil {
		b.Fatal(err)
	}
	for i, f := range page.Findings {
		if _, err := st.Transition(ctx, f.ID, store.Change{To: store.StateAccepted, Actor: "sec", Reason: "bench", Owner: "team",
			Until: now.AddDate(0, 0, 1+i%60)}); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkPages renders the dashboard's pages over a store of 50,000
// findings.
func BenchmarkPages(b *testing.B) {
	st := benchStore(b)
	auth := &testAuth{csrf: "x", users: map[string]User{"sec": {Name: "sec", CanRead: allow, CanTriage: allow, CanAccept: allow}}}
	d := New(Config{Store: st, Auth: auth, Now: func() time.Time { return now }})
	for _, p := range []struct{ name, path string }{
		{"overview", "/ui/"},
		{"overview-product", "/ui/?product=product-3"},
		{"findings", "/ui/findings?state=open&severity=critical"},
		{"finding", "/ui/findings/1"},
		{"exceptions", "/ui/exceptions"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest("GET", p.path, nil)
				r.Header.Set("X-Test-User", "sec")
				w := httptest.NewRecorder()
				d.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.path, w.Code, w.Body.String())
				}
			}
		})
	}
}

// bigModelReview stores the review of the example SaaS model grown to 500
// components (copies of its own, each with its own id).
func bigModelReview(b *testing.B) (*store.DB, int64) {
	b.Helper()
	st, err := store.OpenSQLite(context.Background(), b.TempDir(), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	m := saasModel(b)
	orig := len(m.Components)
	for i := 0; len(m.Components) < 500; i++ {
		c := m.Components[i%orig]
		c.ID = fmt.Sprintf("%s-copy%d", c.ID, i)
		c.Name = c.ID
		m.Components = append(m.Components, c)
	}
	rv := submitReview(b, st, m)
	return st, rv.ID
}

// BenchmarkReviewPage renders the detail page of a review of a model with
// 500 components, again and again (the repeat views a review meeting makes).
func BenchmarkReviewPage(b *testing.B) {
	st, id := bigModelReview(b)
	auth := &testAuth{csrf: "x", users: map[string]User{"sec": {Name: "sec", CanRead: allow, CanContribute: allow, CanApprove: allow}}}
	d := New(Config{Store: st, Auth: auth, Now: func() time.Time { return now }})
	path := fmt.Sprintf("/ui/reviews/%d", id)
	for b.Loop() {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("X-Test-User", "sec")
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<svg ") {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
		}
	}
}
