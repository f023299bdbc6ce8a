package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/server/oidctest"
	"github.com/redline-sec/redline/internal/store"
)

// approvableModel is the shipped SaaS example with a model exception for
// every open risk that is not a red line, encoded as the CLI submits it.
func approvableModel(t *testing.T) (*model.Model, []byte) {
	t.Helper()
	ctx := context.Background()
	m, err := model.Load(ctx, filepath.Join("..", "..", "..", "examples", "design", "saas", "model.yaml"), model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Includes = nil
	std, err := standard.Resolve(m.Metadata.Standard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := threat.Check(ctx, m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref()})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if res.IsRedLine(f.Fingerprint) {
			t.Fatalf("the example model has an open red line: %s on %s", f.RuleID, f.Location.Object)
		}
		el := f.Location.Object
		if _, id, ok := strings.Cut(el, "/"); ok {
			el = id
		}
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: f.RuleID, Element: el, Reason: "tracked in the e2e test",
			Owner: "team-ledger", Expires: time.Now().UTC().AddDate(0, 2, 0)})
	}
	y, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, y
}

// TestReviewApprovalEndToEnd is the sign-off the review gate waits for:
// CI submits the architecture model and the gate blocks; the team answers
// the checklist and records the minutes through the API; a security user
// signs in with a real Chromium, opens the review from the list, sees the
// data-flow diagram and approves; the gate then passes, and a changed
// model re-opens the review so the gate blocks again.
func TestReviewApprovalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	chromium := chromiumPath(t)
	ctx := context.Background()

	st, base, upload := e2eServer(t, oidctest.User{Subject: "sam-1", Email: "sam@example.com", Name: "Sam",
		EmailVerified: true, Groups: []string{"appsec"}}, store.ScopeRead, store.ScopeUpload)

	// CI submits the model; the gate blocks until someone signs off.
	m, y := approvableModel(t)
	ci := &server.Client{BaseURL: base, Token: upload}
	sub, err := ci.SubmitReview(ctx, y)
	if err != nil || !sub.Created {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	rv := sub.Review
	gate := func(want bool) {
		t.Helper()
		v, err := ci.ReviewGate(ctx, m.Metadata.Product, m.Metadata.Release, rv.ModelHash)
		if err != nil || v.Pass != want {
			t.Fatalf("gate: %+v %v, want pass=%t", v, err, want)
		}
	}
	gate(false)
	for _, it := range rv.Checklist {
		if _, err := ci.AnswerReviewItem(ctx, rv.ID, it.ID, server.AnswerRequest{Status: "met", Evidence: "shown in the design meeting"}); err != nil {
			t.Fatalf("answer %s: %v", it.ID, err)
		}
	}
	if _, err := ci.AddReviewMinutes(ctx, rv.ID, "Walked through tenant isolation and the edge."); err != nil {
		t.Fatal(err)
	}

	bctx, do, text := e2eBrowser(t, chromium)

	// Sign in on the review list and open the review.
	do("reviews", chromedp.Navigate(base+"/ui/reviews"), chromedp.WaitVisible(chromedp.CSS("#reviews")))
	if who := text(".user strong"); who != "sam@example.com" {
		t.Fatalf("signed in as %q", who)
	}
	do("open review",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#reviews a[href="/ui/reviews/%d"]`, rv.ID))),
		chromedp.WaitVisible(chromedp.CSS("#approve-form")))
	if s := text("#review-state"); s != "In review" {
		t.Fatalf("state before approval: %q", s)
	}
	if h := text("#model-hash"); h != rv.ModelHash {
		t.Errorf("model hash on the page %q, want %q", h, rv.ModelHash)
	}
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#diagram svg g.component').length`)); err != nil || n != len(m.Components) {
		t.Errorf("diagram shows %d components (%v), want %d", n, err, len(m.Components))
	}
	do("approve",
		chromedp.SendKeys(chromedp.CSS("#d-note"), "Meets the 2026H2 baseline; exceptions tracked."),
		chromedp.Click(chromedp.CSS("#approve-form button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if s := text("#review-state"); s != "Approved" {
		t.Fatalf("state after approval: %q", s)
	}
	if h := text("#decisions"); !strings.Contains(h, "sam@example.com") || !strings.Contains(h, "Meets the 2026H2 baseline") {
		t.Errorf("state history lacks the approval: %s", h)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(e2eArtifacts(t), "dashboard-review-approved.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)

	// The overview's design-review section counts the approval.
	do("overview", chromedp.Navigate(base+"/ui/"), chromedp.WaitVisible(chromedp.CSS("#review-h")))
	for sel, want := range map[string]string{"#review-rate": "100%", "#review-redlines": "0", "#review-first-pass": "100%"} {
		if got := text(sel); got != want {
			t.Errorf("overview %s: %q, want %q", sel, got, want)
		}
	}
	if shot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	png = filepath.Join(e2eArtifacts(t), "dashboard-overview-design-reviews.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)

	// The gate passes now; a changed model re-opens the review.
	gate(true)
	m.Metadata.Owner += "-platform"
	y2, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	sub2, err := ci.SubmitReview(ctx, y2)
	if err != nil || !sub2.Created || sub2.Review.Previous != rv.ID {
		t.Fatalf("resubmit: %+v %v", sub2, err)
	}
	v, err := ci.ReviewGate(ctx, m.Metadata.Product, m.Metadata.Release, sub2.Review.ModelHash)
	if err != nil || v.Pass {
		t.Fatalf("gate after a model change: %+v %v, want blocked", v, err)
	}
	entries, log := auditLog(ctx, t, st)
	if !strings.Contains(log, "sam@example.com POST /ui/reviews/{id}/decision 303") {
		t.Errorf("audit log lacks the approval:\n%s", log)
	}
	// The approval is one entry: the dashboard's, not a generic one too.
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "POST /ui/reviews/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d audit entries for the one dashboard post:\n%s", n, log)
	}
}
