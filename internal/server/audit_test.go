package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// formPoster signs a user in directly in the store and returns a function
// posting dashboard forms with the session cookie (and, unless csrf is
// false, the session's CSRF token in the form), answering the status.
func (ts *testServer) formPoster(t *testing.T, email string, role store.Role) func(path string, form url.Values, csrf bool) int {
	t.Helper()
	ctx := context.Background()
	u, _, err := ts.store.GrantRole(ctx, store.Grant{Email: email, Product: store.AllProducts, Role: role, By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := ts.store.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	client := *ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return func(path string, form url.Values, csrf bool) int {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if csrf {
			f.Set("csrf_token", csrfToken(secret))
		}
		req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(f.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: SessionCookieName(false), Value: secret})
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
}

// TestDashboardPostsAuditedOnce posts dashboard forms (accept a finding,
// answer a review item, a post refused for its CSRF token, a post to no
// page) and checks that each makes exactly one audit entry, the specific
// one where the dashboard handled the post.
func TestDashboardPostsAuditedOnce(t *testing.T) {
	ts := newTestServer(t, Config{})
	ctx := context.Background()
	ci := ts.token(t, "ci", store.ScopeUpload, store.ScopeRead)
	if _, err := ts.client(ci).Upload(ctx, jsonReport(t, "none", testFinding("GO-A", "a", finding.SeverityHigh)), UploadOptions{Product: "shop"}); err != nil {
		t.Fatal(err)
	}
	page, err := ts.client(ci).Findings(ctx, url.Values{})
	if err != nil || len(page.Findings) != 1 {
		t.Fatalf("findings: %+v %v", page, err)
	}
	fid := page.Findings[0].ID
	code, body := ts.request(t, "POST", "/api/v1/reviews", ci, "application/json", submitBody(t, reviewModelYAML(t)))
	if code != http.StatusCreated {
		t.Fatalf("submit review: %d %s", code, body)
	}
	var sub SubmitReviewResponse
	if err := json.Unmarshal([]byte(body), &sub); err != nil || len(sub.Review.Checklist) == 0 {
		t.Fatalf("submit review: %v %s", err, body)
	}
	post := ts.formPoster(t, "sec@example.com", store.RoleSecurity)
	cases := []struct {
		name   string
		path   string
		form   url.Values
		csrf   bool
		status int
		// want is the one audit entry: action, object and a part of the detail.
		action, object, detail string
	}{
		{"accept finding", fmt.Sprintf("/ui/findings/%d/state", fid),
			url.Values{"state": {"accepted"}, "reason": {"behind the WAF"}, "owner": {"team"}, "until": {"2099-01-31"}}, true,
			http.StatusSeeOther, "POST /ui/findings/{id}/state", fmt.Sprintf("finding %d", fid), "to accepted"},
		{"review answer", fmt.Sprintf("/ui/reviews/%d/items/%s", sub.Review.ID, sub.Review.Checklist[0].ID),
			url.Values{"status": {"met"}, "evidence": {"design meeting"}}, true,
			http.StatusSeeOther, "POST /ui/reviews/{id}/items/{item}", fmt.Sprintf("review %d", sub.Review.ID), "item " + sub.Review.Checklist[0].ID + ": met"},
		{"refused post", fmt.Sprintf("/ui/findings/%d/state", fid), url.Values{"state": {"open"}, "reason": {"x"}}, false,
			http.StatusForbidden, fmt.Sprintf("POST /ui/findings/%d/state", fid), "", ""},
		{"no such page", "/ui/nowhere", url.Values{}, true,
			http.StatusNotFound, "POST /ui/nowhere", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := auditEntries(t, ts, "")
			if got := post(c.path, c.form, c.csrf); got != c.status {
				t.Fatalf("post %s: %d, want %d", c.path, got, c.status)
			}
			// The audit read itself is a GET: not audited.
			added := auditEntries(t, ts, "")[len(before):]
			if len(added) != 1 {
				t.Fatalf("%d audit entries, want 1: %+v", len(added), added)
			}
			e := added[0]
			if e.Action != c.action || e.Object != c.object || !strings.Contains(e.Detail, c.detail) || e.Status != c.status ||
				e.Actor != "sec@example.com" || !strings.HasPrefix(e.Remote, "127.0.0.1") {
				t.Errorf("audit entry %+v", e)
			}
		})
	}
}
