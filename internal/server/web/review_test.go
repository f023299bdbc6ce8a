package web

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/store"
)

// saasModel loads the shipped multi-tenant example model.
func saasModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.Load(context.Background(), filepath.Join("..", "..", "..", "examples", "design", "saas", "model.yaml"), model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Includes = nil
	return m
}

// checkModel runs the threat check of m under its built-in standard.
func checkModel(t testing.TB, m *model.Model) (review.Submission, *standard.Standard) {
	t.Helper()
	std, err := standard.Resolve(m.Metadata.Standard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := threat.Check(context.Background(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref(),
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	y, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return review.Submission{Model: m, ModelYAML: y, Standard: std.Ref(), StandardHash: std.Hash(), RedLineRules: std.RedLines,
		Result: res, By: "dev@example.com", At: now}, std
}

// acceptAll adds a model exception for every open risk that is not a red
// line, so that the model can be approved.
func acceptAll(t testing.TB, m *model.Model) {
	t.Helper()
	sub, _ := checkModel(t, m)
	for _, f := range sub.Result.Findings {
		if sub.Result.IsRedLine(f.Fingerprint) {
			t.Fatalf("the example model has an open red line: %s on %s", f.RuleID, f.Location.Object)
		}
		el := f.Location.Object
		if _, id, ok := strings.Cut(el, "/"); ok {
			el = id
		}
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: f.RuleID, Element: el, Reason: "accepted for the test",
			Owner: "team-test", Expires: now.AddDate(0, 3, 0)})
	}
}

// submitReview opens (or supersedes) the review of m in the store.
func submitReview(t testing.TB, st store.Store, m *model.Model) review.Review {
	t.Helper()
	sub, _ := checkModel(t, m)
	rv, _, err := st.SubmitReview(context.Background(), m.Metadata.Product, m.Metadata.Release, func(cur *review.Review) (*review.Review, error) {
		return review.Submit(cur, sub)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// reviewFixture is the dashboard fixture with reviewers: rev-sec may
// approve and contribute, rev-dev contribute, rev-view only read.
func reviewFixture(t testing.TB) *fixture {
	f := newFixture(t)
	f.auth.users["rev-sec"] = User{Name: "sec@example.com", CanRead: allow, CanContribute: allow, CanApprove: allow}
	f.auth.users["rev-dev"] = User{Name: "dev2@example.com", CanRead: allow, CanContribute: allow}
	f.auth.users["rev-view"] = User{Name: "viewer@example.com", CanRead: allow}
	f.auth.users["rev-other"] = User{Name: "other@example.com", CanRead: allow, CanContribute: func(p string) bool { return p == "elsewhere" },
		CanApprove: func(p string) bool { return p == "elsewhere" }}
	// rev-shop reads only the shop product: no review of acme-ledger.
	f.auth.users["rev-shop"] = User{Name: "shop@example.com", CanRead: func(p string) bool { return p == "shop" },
		CanContribute: allow, CanApprove: allow}
	return f
}

func TestReviewPages(t *testing.T) {
	f := reviewFixture(t)
	m := saasModel(t)
	first := submitReview(t, f.st, m)
	// A changed model supersedes the first review and shows the diff.
	m2 := saasModel(t)
	m2.Metadata.Owner += "-platform"
	second := submitReview(t, f.st, m2)
	if second.Previous != first.ID {
		t.Fatalf("second review supersedes %d, want %d", second.Previous, first.ID)
	}
	url1, url2 := fmt.Sprintf("/ui/reviews/%d", first.ID), fmt.Sprintf("/ui/reviews/%d", second.ID)
	cases := []struct {
		name, path, user string
		status           int
		want, not        []string
	}{
		{"list", "/ui/reviews", "rev-view", 200, []string{`id="reviews"`, url1, url2, "Superseded", "Draft", m.Metadata.Product}, nil},
		{"list by state", "/ui/reviews?state=superseded", "rev-view", 200, []string{url1}, []string{url2 + `"`}},
		{"list bad state", "/ui/reviews?state=done", "rev-view", 400, []string{"Unknown review state"}, nil},
		{"detail for a viewer", url2, "rev-view", 200, []string{second.ModelHash, second.Standard, `id="checklist"`, `id="open-risks"`,
			`id="layers"`, `<svg role="img" aria-label="Data-flow diagram of `, `id="diff-architecture"`, "metadata", "Supersedes",
			"GEN-", `id="decisions"`},
			[]string{`id="minutes-form"`, `id="approve-form"`, `id="reject-form"`, `name="evidence"`}},
		{"detail for a developer", url2, "rev-dev", 200, []string{`id="minutes-form"`, `name="evidence"`, `name="csrf_token" value="csrf-secret"`},
			[]string{`id="reject-form"`}},
		{"detail for security", url2, "rev-sec", 200, []string{`id="reject-form"`, `id="blockers"`, "no meeting minutes recorded"},
			[]string{`id="approve-form"`}},
		{"other product's reviewer", url2, "rev-other", 200, nil, []string{`id="minutes-form"`, `id="reject-form"`}},
		{"superseded review is closed", url1, "rev-sec", 200, []string{"Superseded by"}, []string{`id="reject-form"`, `id="minutes-form"`}},
		{"unreadable product's review", url2, "rev-shop", 404, nil, []string{second.ModelHash}},
		{"unreadable product's list", "/ui/reviews", "rev-shop", 200, nil, []string{url1, url2}},
		{"unreadable product chosen", "/ui/reviews?product=" + m.Metadata.Product, "rev-shop", 404, nil, []string{url2}},
		{"no such review", "/ui/reviews/99999", "rev-view", 404, nil, nil},
		{"bad review id", "/ui/reviews/x", "rev-view", 404, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := f.do(t, "GET", c.path, c.user, nil)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d:\n%s", res.StatusCode, c.status, body)
			}
			checkBody(t, body, c.want, c.not)
		})
	}
}

func TestReviewWorkflow(t *testing.T) {
	f := reviewFixture(t)
	m := saasModel(t)
	acceptAll(t, m)
	rv := submitReview(t, f.st, m)
	if n := len(rv.Risks.Open); n != 0 {
		t.Fatalf("%d open risks after accepting all", n)
	}
	var decided []review.Action
	f.dash.cfg.ReviewDecided = func(_ context.Context, rv *review.Review, a review.Action) { decided = append(decided, a) }
	base := fmt.Sprintf("/ui/reviews/%d", rv.ID)
	post := func(t *testing.T, path, user string, form url.Values) (int, string, string) {
		t.Helper()
		res, body := f.do(t, "POST", path, user, form)
		return res.StatusCode, res.Header.Get("Location"), body
	}
	withCSRF := func(kv ...string) url.Values {
		v := url.Values{CSRFField: {"csrf-secret"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	// Refusals first: no CSRF token, no permission, bad input.
	refusals := []struct {
		name, path, user string
		form             url.Values
		status           int
		want             string
	}{
		{"no csrf", base + "/minutes", "rev-dev", url.Values{"text": {"x"}}, 403, "expired"},
		{"viewer adds minutes", base + "/minutes", "rev-view", withCSRF("text", "x"), 403, "may not"},
		{"developer approves", base + "/decision", "rev-dev", withCSRF("action", "approve"), 403, "may not"},
		{"other product approves", base + "/decision", "rev-other", withCSRF("action", "approve"), 403, "may not"},
		{"empty minutes", base + "/minutes", "rev-dev", withCSRF("text", "  "), 400, "Empty minutes"},
		{"answer without evidence", base + "/items/GEN-DFD", "rev-dev", withCSRF("status", "met"), 400, "evidence"},
		{"unreadable product", base + "/minutes", "rev-shop", withCSRF("text", "x"), 404, "Not found"},
		{"answer unknown item", base + "/items/NOPE-1", "rev-dev", withCSRF("status", "met", "evidence", "e"), 400, "no checklist item"},
		{"reject without reason", base + "/decision", "rev-sec", withCSRF("action", "reject"), 400, "needs a reason"},
		{"approve too early", base + "/decision", "rev-sec", withCSRF("action", "approve"), 400, "cannot be approved yet"},
		{"unknown decision", base + "/decision", "rev-sec", withCSRF("action", "maybe"), 400, "approve or reject"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := post(t, c.path, c.user, c.form)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("status %d, want %d with %q:\n%s", status, c.status, c.want, body)
			}
		})
	}

	// The developer answers every item and records the minutes.
	for _, it := range rv.Checklist {
		status, loc, body := post(t, base+"/items/"+it.ID, "rev-dev", withCSRF("status", "met", "evidence", "verified in the design meeting"))
		if status != 303 || loc != base+"?done=answer" {
			t.Fatalf("answer %s: status %d to %q:\n%s", it.ID, status, loc, body)
		}
	}
	if status, _, body := post(t, base+"/minutes", "rev-dev", withCSRF("text", "Walked through the <b>tenant</b> isolation.")); status != 303 {
		t.Fatalf("minutes: status %d:\n%s", status, body)
	}
	_, page := f.do(t, "GET", base+"?done=minutes", "rev-sec", nil)
	for _, w := range []string{`id="approve-form"`, "The minutes were added.", "&lt;b&gt;tenant&lt;/b&gt;", "verified in the design meeting", "In review"} {
		if !strings.Contains(page, w) {
			t.Errorf("review page lacks %q", w)
		}
	}
	if status, loc, body := post(t, base+"/decision", "rev-sec", withCSRF("action", "approve", "reason", "meets the baseline")); status != 303 || loc != base+"?done=approve" {
		t.Fatalf("approve: status %d to %q:\n%s", status, loc, body)
	}
	got, err := f.st.Review(context.Background(), rv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != review.StateApproved || got.Decisions[len(got.Decisions)-1].Actor != "sec@example.com" {
		t.Fatalf("review is %s, decisions %+v", got.State, got.Decisions)
	}
	if len(decided) != 1 || decided[0] != review.ActionApprove {
		t.Errorf("ReviewDecided saw %v, want [approve]", decided)
	}
	// Decided: no more answers or decisions.
	if status, _, _ := post(t, base+"/decision", "rev-sec", withCSRF("action", "reject", "reason", "changed my mind")); status != 400 {
		t.Errorf("reject after approval: status %d, want 400", status)
	}
	_, page = f.do(t, "GET", base, "rev-sec", nil)
	if strings.Contains(page, `id="reject-form"`) || !strings.Contains(page, "meets the baseline") {
		t.Errorf("approved review page offers a decision or lacks the approval note")
	}
	audit, err := f.st.Audit(context.Background(), store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range audit {
		if e.Action == "POST /ui/reviews/{id}/decision" && e.Actor == "sec@example.com" && e.Status == 303 && strings.HasPrefix(e.Detail, "approve") {
			found = true
		}
	}
	if !found {
		t.Error("no audit entry for the approval")
	}
}
