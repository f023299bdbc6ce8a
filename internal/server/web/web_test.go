package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testAuth signs in whoever sends the X-Test-User header.
type testAuth struct {
	users map[string]User
	csrf  string
}

func (a *testAuth) User(r *http.Request) (User, bool) {
	u, ok := a.users[r.Header.Get("X-Test-User")]
	return u, ok
}

func (a *testAuth) SignIn(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/auth/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

func (a *testAuth) CSRFToken(*http.Request) string { return a.csrf }

func (a *testAuth) CheckCSRF(r *http.Request) error {
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(CSRFField)), []byte(a.csrf)) != 1 {
		return errors.New("bad CSRF token")
	}
	return nil
}

func allow(string) bool { return true }

var (
	now       = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	webTarget = finding.Target{Kind: "image", Name: "registry.example/shop/web:1.0"}
	apiTarget = finding.Target{Kind: "image", Name: "registry.example/shop/api:2.3"}
)

func vuln(tg finding.Target, id, pkg string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: id, Aliases: []string{"CVE-2026-" + id}, Title: id + " in " + pkg,
		Description: "A flaw in " + pkg + ".", Severity: sev, Target: tg, Location: finding.Location{Path: "app/go.mod"},
		Package:    &finding.Package{Name: pkg, Version: "1.0.0", Ecosystem: "Go"},
		Fix:        &finding.Fix{FixedVersions: []string{"1.0.1"}, Upgrade: "1.0.1", Remediation: "Upgrade " + pkg + " to 1.0.1."},
		References: []string{"https://osv.dev/vulnerability/" + id, "javascript:alert(1)"},
	}
	f.SetFingerprint()
	return f
}

type fixture struct {
	st   *store.DB
	dash *Dashboard
	auth *testAuth
	// ids of findings by rule id
	ids map[string]int64
}

// newFixture opens a real SQLite store at a fixed clock and loads two
// targets: one blocked scan of web (later rescanned, fixing one finding)
// and one of api with an accepted finding.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := now.AddDate(0, 0, -40)
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := vuln(webTarget, "GO-1", "alpha", finding.SeverityCritical)
	b := vuln(webTarget, "GO-2", "beta", finding.SeverityHigh)
	c := vuln(webTarget, "GO-3", "<script>alert(1)</script>", finding.SeverityLow)
	ingest := func(s *store.Scan) {
		t.Helper()
		if _, err := st.Ingest(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	ingest(&store.Scan{ID: "build-1", Product: "shop", Actor: "ci", Target: webTarget, Findings: []finding.Finding{a, b, c},
		Blocked: true, FailOn: "high", Blocking: []string{a.Fingerprint, b.Fingerprint}})
	clock = now.AddDate(0, 0, -5)
	ingest(&store.Scan{ID: "build-2", Product: "shop", Actor: "ci", Target: webTarget, Findings: []finding.Finding{a, c}, FailOn: "none"})
	d := vuln(apiTarget, "GO-4", "delta", finding.SeverityMedium)
	ingest(&store.Scan{ID: "api-1", Product: "payments", Actor: "ci", Target: apiTarget, Findings: []finding.Finding{d}, FailOn: "none"})
	clock = now
	f := &fixture{st: st, ids: map[string]int64{}}
	page, err := st.Findings(ctx, store.FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range page.Findings {
		f.ids[x.RuleID] = x.ID
	}
	if _, err := st.Transition(ctx, f.ids["GO-4"], store.Change{To: store.StateAccepted, Actor: "sec@example.com", Reason: "not reachable",
		Owner: "pay-team", Until: now.AddDate(0, 0, 10)}); err != nil {
		t.Fatal(err)
	}
	f.auth = &testAuth{csrf: "csrf-secret", users: map[string]User{
		"sec":    {Name: "sec@example.com", CanRead: allow, CanTriage: allow, CanAccept: allow},
		"dev":    {Name: "dev@example.com", CanRead: allow, CanTriage: allow},
		"viewer": {Name: "viewer@example.com", CanRead: allow},
		// A viewer of payments only.
		"pay": {Name: "pay@example.com", CanRead: func(p string) bool { return p == "payments" },
			CanTriage: func(p string) bool { return p == "payments" }},
		"nobody": {Name: "nobody@example.com"},
	}}
	f.dash = New(Config{Store: st, Auth: f.auth, Now: func() time.Time { return now }})
	return f
}

// do sends a request as user ("" for nobody) and returns the response and
// its body.
func (f *fixture) do(t testing.TB, method, target, user string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		r.Header.Set("X-Test-User", user)
	}
	w := httptest.NewRecorder()
	f.dash.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	id := func(rule string) string { return fmt.Sprint(f.ids[rule]) }
	cases := []struct {
		name, path string
		status     int
		want       []string
		not        []string
	}{
		{"overview", "/ui/", 200, []string{`<html lang="en">`, `href="#main"`, `id="open-total">2<`, `id="open-critical">1<`,
			`id="builds-blocked">1<`, `id="cves-blocked">2<`, `id="sla-breached">1<`, `<svg class="chart"`, "2026-05-06: 1"}, nil},
		{"overview of a product", "/ui/?product=payments", 200, []string{`id="open-total">0<`, `id="builds-blocked">0<`}, nil},
		{"findings", "/ui/findings", 200, []string{"GO-1", "GO-2", "GO-3", "GO-4", `<label for="f-q">`}, nil},
		{"filtered findings", "/ui/findings?state=open&severity=critical&q=alpha", 200, []string{"/ui/findings/" + id("GO-1")}, []string{"GO-2", "GO-3"}},
		{"findings by target", "/ui/findings?product=payments&kind=vulnerability", 200, []string{"GO-4"}, []string{"GO-1<"}},
		{"finding", "/ui/findings/" + id("GO-1"), 200, []string{"CVE-2026-GO-1", `id="fix-upgrade">1.0.1<`, "Upgrade alpha to 1.0.1.",
			`href="https://osv.dev/vulnerability/GO-1"`, `name="csrf_token" value="csrf-secret"`, `id="accept-form"`, "build-1"}, []string{`href="javascript:`}},
		{"escaped title", "/ui/findings/" + id("GO-3"), 200, []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>"}},
		{"fixed finding", "/ui/findings/" + id("GO-2"), 200, []string{"Fixed"}, []string{`id="accept-form"`, `id="triage-form"`}},
		{"targets", "/ui/targets", 200, []string{"registry.example/shop/web:1.0", "build-2", "api-1"}, nil},
		{"exceptions", "/ui/exceptions", 200, []string{"GO-4", "2026-06-25", ">10<"}, []string{"GO-1<"}},
		{"exceptions in 7 days", "/ui/exceptions?within=7", 200, []string{"No acceptance ends within 7 days"}, nil},
		{"blocked", "/ui/blocked", 200, []string{"build-1", "/ui/findings/" + id("GO-1")}, nil},
		{"css", "/ui/static/style.css", 200, []string{"--critical"}, nil},
		{"no such finding", "/ui/findings/99999", 404, []string{"Not found."}, nil},
		{"bad finding id", "/ui/findings/abc", 404, nil, nil},
		{"no such page", "/ui/nothing", 404, []string{"There is no such page."}, nil},
		{"bad severity", "/ui/findings?severity=urgent", 400, []string{"Unknown severity"}, nil},
		{"bad state", "/ui/findings?state=closed", 400, nil, nil},
		{"bad cursor", "/ui/findings?cursor=zz", 400, nil, nil},
		{"bad window", "/ui/exceptions?within=3", 400, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			user := "viewer"
			if c.name == "finding" {
				user = "sec" // who is offered the forms
			}
			res, body := f.do(t, "GET", c.path, user, nil)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d:\n%s", res.StatusCode, c.status, body)
			}
			checkBody(t, body, c.want, c.not)
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
		})
	}
	// Review completion joins the overview when the store computes it.
	if slices.Contains(kpiNames(), "review_completion") {
		if _, body := f.do(t, "GET", "/ui/", "viewer", nil); !strings.Contains(body, `id="review-rate">0%<`) {
			t.Error("overview lacks review completion")
		}
	}
	// The viewer may look but is offered no form.
	if _, body := f.do(t, "GET", "/ui/findings/"+id("GO-1"), "viewer", nil); strings.Contains(body, "<form method=\"post\"") {
		t.Error("a viewer is offered a state form")
	}
	// A developer may triage but not accept.
	if _, body := f.do(t, "GET", "/ui/findings/"+id("GO-1"), "dev", nil); !strings.Contains(body, `id="triage-form"`) || strings.Contains(body, `id="accept-form"`) {
		t.Error("a developer's forms are wrong")
	}
}

func TestSignInRequired(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/ui/", "/ui/findings?q=x", "/ui/findings/1", "/ui/targets", "/ui/exceptions", "/ui/blocked", "/ui/nothing"} {
		res, _ := f.do(t, "GET", p, "", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/auth/login?return_to="+url.QueryEscape(p) {
			t.Errorf("%s: %d to %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, _ := f.do(t, "POST", "/ui/findings/1/state", "", url.Values{"state": {"in_triage"}, "reason": {"x"}, CSRFField: {"csrf-secret"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous post: %d", res.StatusCode)
	}
	// Without an Auth nobody gets in.
	d := New(Config{Store: f.st})
	w := httptest.NewRecorder()
	d.ServeHTTP(w, httptest.NewRequest("GET", "/ui/", nil))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("no auth: %d", w.Code)
	}
}

func TestChangeState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.ids["GO-1"]
	path := fmt.Sprintf("/ui/findings/%d/state", id)
	form := func(kv ...string) url.Values {
		v := url.Values{CSRFField: {"csrf-secret"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name, user string
		form       url.Values
		status     int
		want       string
		state      store.State
	}{
		{"no CSRF token", "sec", url.Values{"state": {"in_triage"}, "reason": {"x"}}, 403, "did not come from this site", store.StateOpen},
		{"wrong CSRF token", "sec", form("state", "in_triage", "reason", "x", CSRFField, "forged"), 403, "did not come from this site", store.StateOpen},
		{"viewer", "viewer", form("state", "in_triage", "reason", "x"), 403, "may not", store.StateOpen},
		{"developer cannot accept", "dev", form("state", "accepted", "reason", "x", "owner", "me", "until", "2026-07-01"), 403, "may not", store.StateOpen},
		{"no reason", "dev", form("state", "in_triage"), 400, "Give a reason", store.StateOpen},
		{"fixed is not a choice", "dev", form("state", "fixed", "reason", "x"), 400, "cannot move", store.StateOpen},
		{"unknown state", "dev", form("state", "gone", "reason", "x"), 400, "Choose a state", store.StateOpen},
		{"triage", "dev", form("state", "in_triage", "reason", "looking"), 303, "", store.StateInTriage},
		{"accept without expiry", "sec", form("state", "accepted", "reason", "WAF", "owner", "bob"), 400, "expiry as a date", store.StateInTriage},
		{"accept in the past", "sec", form("state", "accepted", "reason", "WAF", "owner", "bob", "until", "2026-01-01"), 400, "not in the future", store.StateInTriage},
		{"accept", "sec", form("state", "accepted", "reason", "WAF rule 942100", "owner", "bob", "until", "2026-07-01"), 303, "", store.StateAccepted},
		{"false positive", "dev", form("state", "false_positive", "reason", "test code only"), 303, "", store.StateFalsePositive},
	}
	for _, c := range cases {
		res, body := f.do(t, "POST", path, c.user, c.form)
		if res.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", c.name, res.StatusCode, c.status, c.want, body)
		}
		if c.status == 303 && res.Header.Get("Location") != fmt.Sprintf("/ui/findings/%d?changed=1", id) {
			t.Errorf("%s: redirect to %q", c.name, res.Header.Get("Location"))
		}
		det, err := f.st.Finding(ctx, id)
		if err != nil || det.State != c.state {
			t.Fatalf("%s: state %s, want %s (%v)", c.name, det.State, c.state, err)
		}
	}
	det, _ := f.st.Finding(ctx, id)
	if len(det.Exceptions) != 1 || det.Exceptions[0].Owner != "bob" || !det.Exceptions[0].ExpiresAt.Equal(time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("exception %+v", det.Exceptions)
	}
	if last := det.History[len(det.History)-1]; last.Actor != "dev@example.com" || last.Reason != "test code only" {
		t.Errorf("history %+v", last)
	}
	// Every post is in the audit log with who, what and the outcome.
	entries, err := f.st.Audit(ctx, store.AuditQuery{})
	if err != nil || len(entries) != len(cases) {
		t.Fatalf("%d audit entries, want %d (%v)", len(entries), len(cases), err)
	}
	for i, e := range entries {
		if e.Action != "POST /ui/findings/{id}/state" || e.Object != fmt.Sprintf("finding %d", id) || e.Status != cases[i].status || e.Actor == "" {
			t.Errorf("audit entry %d: %+v", i, e)
		}
	}
	// The detail page says what happened.
	if _, body := f.do(t, "GET", fmt.Sprintf("/ui/findings/%d?changed=1", id), "sec", nil); !strings.Contains(body, "was changed") || !strings.Contains(body, "False positive") {
		t.Error("detail after change")
	}
}

func TestFindingsPaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg := finding.Target{Kind: "repository", Name: "git.example/many"}
	var fs []finding.Finding
	for i := range 2*explorerPageSize + 7 {
		fs = append(fs, vuln(tg, fmt.Sprintf("GO-M%03d", i), "m", finding.Severity(i%3)))
	}
	if _, err := f.st.Ingest(ctx, &store.Scan{ID: "many", Product: "many", Actor: "ci", Target: tg, Findings: fs, FailOn: "none"}); err != nil {
		t.Fatal(err)
	}
	// link returns the page's link with rel, "" when there is none.
	link := func(body, rel string) string {
		i := strings.Index(body, `rel="`+rel+`"`)
		if i < 0 {
			return ""
		}
		j := strings.LastIndex(body[:i], `href="`)
		return strings.ReplaceAll(body[j+len(`href="`):i-2], "&amp;", "&")
	}
	rows := regexp.MustCompile(`<a href="/ui/findings/(\d+)">`)
	ids := func(body string) string {
		var out []string
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return strings.Join(out, ",")
	}
	// Forward: 50, 50 and 7 findings; the first page has no way back.
	var pages []string
	path := "/ui/findings?product=many"
	for _, want := range []int{explorerPageSize, explorerPageSize, 7} {
		res, body := f.do(t, "GET", path, "viewer", nil)
		if res.StatusCode != 200 || strings.Count(ids(body), ",")+1 != want {
			t.Fatalf("page %d (%s): %d, %d findings\n%s", len(pages)+1, path, res.StatusCode, strings.Count(ids(body), ",")+1, body)
		}
		if (len(pages) == 0) != (link(body, "prev") == "") || (len(pages) == 0) == strings.Contains(body, "First page") {
			t.Fatalf("page %d: previous/first links wrong", len(pages)+1)
		}
		pages = append(pages, ids(body))
		path = link(body, "next")
		if (len(pages) == 3) != (path == "") {
			t.Fatalf("page %d: next link %q", len(pages), path)
		}
	}
	// Back by the Previous links: the same pages.
	_, body := f.do(t, "GET", "/ui/findings?product=many", "viewer", nil)
	for i := 0; i < 2; i++ {
		_, body = f.do(t, "GET", link(body, "next"), "viewer", nil)
	}
	for i := 1; i >= 0; i-- {
		prev := link(body, "prev")
		if prev == "" {
			t.Fatalf("page %d: no previous link", i+2)
		}
		_, body = f.do(t, "GET", prev, "viewer", nil)
		if got := ids(body); got != pages[i] {
			t.Fatalf("page %d going back: %s, want %s", i+1, got, pages[i])
		}
	}
	if link(body, "prev") != "" || link(body, "next") == "" {
		t.Error("first page reached backwards: want only a next link")
	}
}

func TestBarChartGolden(t *testing.T) {
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	got := string(barChart(`Builds <blocked> & "more"`, since, since.AddDate(0, 0, 30),
		[]store.DayCount{{Day: "2026-03-01", Count: 3}, {Day: "2026-03-15", Count: 7}, {Day: "2026-03-30", Count: 1}, {Day: "2026-04-30", Count: 9}}))
	golden := filepath.Join("testdata", "chart.svg")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("chart differs from %s (run with -update to accept):\n%s", golden, got)
	}
	if strings.Contains(got, "<blocked>") || strings.Count(got, "<rect") != 3 {
		t.Error("chart escaping or bars wrong")
	}
}

func TestNiceCeil(t *testing.T) {
	for _, c := range [][2]int{{0, 2}, {1, 2}, {2, 2}, {3, 4}, {5, 10}, {10, 10}, {11, 20}, {21, 40}, {41, 100}, {999, 1000}} {
		if got := niceCeil(c[0]); got != c[1] {
			t.Errorf("niceCeil(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

func TestFindingsManyTargets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range maxTargetOptions {
		tg := finding.Target{Kind: "repository", Name: fmt.Sprintf("git.example/r%03d", i)}
		if _, err := f.st.Ingest(ctx, &store.Scan{ID: fmt.Sprintf("r%d", i), Product: "many", Actor: "ci", Target: tg,
			Findings: []finding.Finding{vuln(tg, "GO-R", "r", finding.SeverityLow)}, FailOn: "none"}); err != nil {
			t.Fatal(err)
		}
	}
	// 502 targets: the explorer asks for an id instead of listing them.
	_, body := f.do(t, "GET", "/ui/findings?target=3", "viewer", nil)
	if strings.Contains(body, `<select id="f-target"`) || !strings.Contains(body, `<input id="f-target" name="target" inputmode="numeric" pattern="[0-9]*" value="3"`) {
		t.Fatalf("target control with many targets:\n%s", body)
	}
	// One product's targets are still few enough to list.
	if _, body := f.do(t, "GET", "/ui/findings?product=shop", "viewer", nil); !strings.Contains(body, `<select id="f-target"`) {
		t.Fatal("target choices of one product")
	}
}

// TestProductScope checks that a person who reads one product sees
// nothing of another: not its findings, targets, KPIs, acceptances or
// blocked builds.
func TestProductScope(t *testing.T) {
	f := newFixture(t)
	id := func(rule string) string { return fmt.Sprint(f.ids[rule]) }
	// GO-1..3 and build-1/2 belong to shop; GO-4 and api-1 to payments.
	shop := []string{"GO-1", "GO-2", "GO-3", "registry.example/shop/web:1.0", "build-1", `value="shop"`}
	cases := []struct {
		name, path, user string
		status           int
		want, not        []string
	}{
		{"overview", "/ui/", "pay", 200, []string{`id="open-total">0<`, `id="builds-blocked">0<`, `value="payments" selected`},
			[]string{`id="open-total">2<`, "All products", `value="shop"`}},
		{"overview of the other product", "/ui/?product=shop", "pay", 404, nil, []string{"GO-1"}},
		{"findings", "/ui/findings", "pay", 200, []string{"GO-4"}, append([]string{"Any product"}, shop...)},
		{"findings of the other product", "/ui/findings?product=shop", "pay", 404, nil, shop},
		{"search across products", "/ui/findings?q=alpha", "pay", 200, nil, shop},
		{"target of the other product", "/ui/findings?target=1", "pay", 200, nil, shop},
		{"finding of the other product", "/ui/findings/" + id("GO-1"), "pay", 404, nil, []string{"CVE-2026-GO-1"}},
		{"own finding", "/ui/findings/" + id("GO-4"), "pay", 200, []string{"GO-4", `id="triage-form"`}, nil},
		{"targets", "/ui/targets", "pay", 200, []string{"api-1"}, shop},
		{"exceptions", "/ui/exceptions", "pay", 200, []string{"GO-4", "pay-team", "not reachable"}, shop},
		{"blocked", "/ui/blocked", "pay", 200, nil, shop},
		{"no product at all", "/ui/findings", "nobody", 403, []string{"ask an admin"}, shop},
		{"global viewer", "/ui/findings", "viewer", 200, []string{"Any product", "GO-1", "GO-4"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := f.do(t, "GET", c.path, c.user, nil)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, body)
			}
			checkBody(t, body, c.want, c.not)
		})
	}
}

// checkBody fails t for each string of want that body lacks and each
// string of not that it holds.
func checkBody(t *testing.T, body string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, w := range not {
		if strings.Contains(body, w) {
			t.Errorf("page holds %q", w)
		}
	}
}
