package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// TestOverviewDesignReviews checks the overview's design-review section
// over a real store: an approved review, open design risks by age, a
// design exception ending soon, and the product filter of a person who
// reads only another product.
func TestOverviewDesignReviews(t *testing.T) {
	f := reviewFixture(t)
	ctx := context.Background()
	// Three design risks of shop, one accepted until ten days from now.
	tg := finding.Target{Kind: "repository", Name: "git.example/shop-design"}
	var fs []finding.Finding
	for i, sev := range []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityHigh} {
		d := finding.Finding{Kind: finding.KindDesign, RuleID: fmt.Sprintf("TM-%d", i), Title: "design risk", Severity: sev, Target: tg,
			Location: finding.Location{Path: "model.yaml", Object: fmt.Sprintf("service/s%d", i)}}
		d.SetFingerprint()
		fs = append(fs, d)
	}
	if _, err := f.st.Ingest(ctx, &store.Scan{ID: "design-1", Product: "shop", Actor: "ci", Target: tg, Findings: fs, FailOn: "none"}); err != nil {
		t.Fatal(err)
	}
	page, err := f.st.Findings(ctx, store.FindingQuery{Kinds: []finding.Kind{finding.KindDesign}})
	if err != nil || len(page.Findings) != 3 {
		t.Fatalf("design findings: %+v %v", page, err)
	}
	var accepted int64
	for _, x := range page.Findings {
		if x.RuleID == "TM-2" {
			accepted = x.ID
		}
	}
	if _, err := f.st.Transition(ctx, accepted, store.Change{To: store.StateAccepted, Actor: "sec@example.com", Reason: "compensating control",
		Owner: "shop-team", Until: now.AddDate(0, 0, 10)}); err != nil {
		t.Fatal(err)
	}
	// One review, approved at its first decision.
	m := saasModel(t)
	acceptAll(t, m)
	rv := submitReview(t, f.st, m)
	base := fmt.Sprintf("/ui/reviews/%d", rv.ID)
	for _, it := range rv.Checklist {
		if res, body := f.do(t, "POST", base+"/items/"+it.ID, "rev-dev", url.Values{CSRFField: {"csrf-secret"}, "status": {"met"}, "evidence": {"e"}}); res.StatusCode != 303 {
			t.Fatalf("answer %s: %d\n%s", it.ID, res.StatusCode, body)
		}
	}
	if res, body := f.do(t, "POST", base+"/minutes", "rev-dev", url.Values{CSRFField: {"csrf-secret"}, "text": {"walked through"}}); res.StatusCode != 303 {
		t.Fatalf("minutes: %d\n%s", res.StatusCode, body)
	}
	if res, body := f.do(t, "POST", base+"/decision", "rev-sec", url.Values{CSRFField: {"csrf-secret"}, "action": {"approve"}, "reason": {"ok"}}); res.StatusCode != 303 {
		t.Fatalf("approve: %d\n%s", res.StatusCode, body)
	}

	cases := []struct {
		name, user, path string
		want, not        []string
	}{
		{"every product", "rev-sec", "/ui/", []string{`id="review-h">Design reviews<`, `id="review-rate">100%<`, `id="review-redlines">0<`,
			`id="review-lead">0.0<`, `id="review-first-pass">100%<`, `id="design-risks">2<`, `id="design-expiring">1<`,
			`<caption>Open design risks`, `<span class="sev sev-critical">critical</span></th><td class="num">1</td>`,
			fmt.Sprintf(`<a href="/ui/findings/%d">TM-2</a></td><td>shop</td><td>shop-team</td>`, accepted)},
			[]string{"tile alert", `id="redline-approvals"`}},
		{"one product", "rev-sec", "/ui/?product=payments", []string{`id="review-rate">0%<`, `id="design-risks">0<`, `id="design-expiring">0<`,
			"No design exception ends within 30 days."}, []string{"TM-2"}},
		{"a reader of payments only", "pay", "/ui/", []string{`id="design-risks">0<`, `id="review-first-pass">–<`}, []string{"TM-2", "acme-ledger"}},
		{"another product is not found", "pay", "/ui/?product=shop", []string{"no such product"}, []string{"TM-2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, body := f.do(t, "GET", c.path, c.user, nil)
			checkBody(t, body, c.want, c.not)
		})
	}
}

// TestOverviewRedLineAlert renders the design-review section with an
// approval taken over open red lines: the tile is highlighted, says that
// the number must be 0, and links the review.
func TestOverviewRedLineAlert(t *testing.T) {
	d := New(Config{Store: newFixture(t).st})
	for _, c := range []struct {
		red  store.RedLinesAtApproval
		want []string
		not  []string
	}{
		{store.RedLinesAtApproval{Approvals: 3, Violations: 1, Reviews: []int64{7}},
			[]string{`<li class="tile alert"><span class="n" id="review-redlines">1<`, "must be 0", `<a href="/ui/reviews/7">review 7</a>`}, nil},
		{store.RedLinesAtApproval{Approvals: 3, Reviews: []int64{}},
			[]string{`<li class="tile"><span class="n" id="review-redlines">0<`}, []string{"tile alert", "/ui/reviews/7"}},
	} {
		red := c.red
		w := httptest.NewRecorder()
		d.render(w, httptest.NewRequest("GET", "/ui/", nil), http.StatusOK, "overview", &overviewPage{Design: &designSection{RedLines: &red}})
		t.Logf("%d violations", red.Violations)
		checkBody(t, w.Body.String(), c.want, c.not)
	}
}
