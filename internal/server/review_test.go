package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/store"
)

// reviewModelYAML is the review package's test model.
func reviewModelYAML(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../design/review/testdata/v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func submitBody(t *testing.T, yml string) []byte {
	t.Helper()
	b, err := json.Marshal(SubmitReviewRequest{Model: yml})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sessionFor signs a user in directly in the store and returns a request
// maker carrying the session cookie and its CSRF token.
func (ts *testServer) sessionFor(t *testing.T, email, product string, role store.Role) func(method, path string, body []byte) (int, string) {
	t.Helper()
	ctx := context.Background()
	u, _, err := ts.store.GrantRole(ctx, store.Grant{Email: email, Product: product, Role: role, By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := ts.store.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return func(method, path string, body []byte) (int, string) {
		req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: SessionCookieName(false), Value: secret})
		req.Header.Set("X-CSRF-Token", csrfToken(secret))
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// TestReviewPermissions checks who may do what to a review: approval and
// rejection need the security role on the review's product.
func TestReviewPermissions(t *testing.T) {
	ts := newTestServer(t, Config{})
	code, body := ts.request(t, "POST", "/api/v1/reviews", ts.admin, "application/json", submitBody(t, reviewModelYAML(t)))
	if code != http.StatusCreated || !strings.Contains(body, `"state": "draft"`) {
		t.Fatalf("submit: %d %s", code, body)
	}
	alice := ts.sessionFor(t, "alice@example.com", "shop", store.RoleSecurity)
	bob := ts.sessionFor(t, "bob@example.com", "bank", store.RoleSecurity)
	carol := ts.sessionFor(t, "carol@example.com", "shop", store.RoleDeveloper)
	for _, tc := range []struct {
		name string
		do   func(method, path string, body []byte) (int, string)
		path string
		body string
		want int
		text string
	}{
		{"security on another product", bob, "/api/v1/reviews/1/approve", `{}`, 403, "may not approve product"},
		{"developer", carol, "/api/v1/reviews/1/approve", `{}`, 403, "role needed: security"},
		{"security on the product: blockers", alice, "/api/v1/reviews/1/approve", `{}`, 409, "risk(s) neither mitigated nor accepted"},
		{"developer answers", carol, "/api/v1/reviews/1/items/GEN-DFD", `{"status":"met","evidence":"diagram v3"}`, 200, `"answered_by": "carol@example.com"`},
		{"bad status", carol, "/api/v1/reviews/1/items/GEN-DFD", `{"status":"done","evidence":"x"}`, 400, "want met, not-met or not-applicable"},
		{"unknown item", carol, "/api/v1/reviews/1/items/NOPE", `{"status":"met","evidence":"x"}`, 400, "no checklist item"},
		{"other product's reader", bob, "/api/v1/reviews/1", ``, 403, ""},
		{"reject without reason", alice, "/api/v1/reviews/1/reject", `{}`, 400, "needs a reason"},
		{"security rejects", alice, "/api/v1/reviews/1/reject", `{"reason":"query injection surface"}`, 200, `"state": "rejected"`},
		{"answer after the decision", carol, "/api/v1/reviews/1/items/GEN-IR", `{"status":"met","evidence":"x"}`, 400, "checklist is closed"},
	} {
		method := "POST"
		if tc.body == "" {
			method = "GET"
		}
		code, body := tc.do(method, tc.path, []byte(tc.body))
		if code != tc.want || !strings.Contains(body, tc.text) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	// The rejection stands when the same model is submitted again.
	code, body = ts.request(t, "POST", "/api/v1/reviews", ts.admin, "application/json", submitBody(t, reviewModelYAML(t)))
	if code != http.StatusOK || !strings.Contains(body, `"created": false`) || !strings.Contains(body, `"state": "rejected"`) {
		t.Fatalf("resubmit: %d %s", code, body)
	}
	code, body = ts.request(t, "GET", "/api/v1/reviews/gate?product=shop&release=2026.12", ts.admin, "", nil)
	if code != 200 || !strings.Contains(body, `"pass": false`) || !strings.Contains(body, "rejected: query injection surface") {
		t.Fatalf("gate: %d %s", code, body)
	}
	// The design risks are in the findings store as a model target.
	page, err := ts.store.Findings(context.Background(), store.FindingQuery{Product: "shop"})
	if err != nil || len(page.Findings) == 0 || page.Findings[0].Kind != "design" {
		t.Fatalf("design findings: %+v %v", page.Findings, err)
	}
}

func TestReviewBadInput(t *testing.T) {
	ts := newTestServer(t, Config{MaxUpload: 64 << 10})
	up := ts.token(t, "ci", store.ScopeUpload)
	yml := reviewModelYAML(t)
	for _, tc := range []struct {
		name, path, body string
		want             int
		text             string
	}{
		{"not JSON", "/api/v1/reviews", "model: x", 400, "malformed request body"},
		{"unknown field", "/api/v1/reviews", `{"model":"x","findings":[]}`, 400, "malformed request body"},
		{"not a model", "/api/v1/reviews", string(submitBody(t, "[1, 2")), 400, "invalid model"},
		{"includes", "/api/v1/reviews", string(submitBody(t, strings.Replace(yml, "kind: ArchitectureModel\n", "kind: ArchitectureModel\nincludes: [other.yaml]\n", 1))), 400, "includes"},
		{"unknown standard", "/api/v1/reviews", string(submitBody(t, strings.Replace(yml, "redline-baseline@2026H2", "corp@1", 1))), 400, "which this server does not have"},
		{"dangling reference", "/api/v1/reviews", string(submitBody(t, strings.Replace(yml, "to: db", "to: nowhere", 1))), 400, "nowhere"},
		{"too large", "/api/v1/reviews", string(submitBody(t, yml+"#"+strings.Repeat("x", 70<<10)+"\n")), 413, "larger than"},
		{"gate without release", "/api/v1/reviews/gate?product=shop", "", 400, "needs product and release"},
		{"unknown review", "/api/v1/reviews/77", "", 404, "not found"},
		{"bad state filter", "/api/v1/reviews?state=done", "", 400, "unknown review state"},
	} {
		method := "POST"
		if tc.body == "" {
			method = "GET"
		}
		tok := up
		if method == "GET" {
			tok = ts.admin
		}
		code, body := ts.request(t, method, tc.path, tok, "application/json", []byte(tc.body))
		if code != tc.want || !strings.Contains(body, tc.text) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
}

// acceptedModelYAML is the test model with every risk of the built-in
// standard accepted by an exception for a month.
func acceptedModelYAML(t *testing.T) string {
	t.Helper()
	m, err := model.Decode("v1.yaml", []byte(reviewModelYAML(t)), model.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	std, err := standard.Resolve(m.Metadata.Standard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := threat.Check(context.Background(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref()})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		_, el, _ := strings.Cut(f.Location.Object, "/")
		if f.Location.Object == model.ModelElement {
			el = model.ModelElement
		}
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: f.RuleID, Element: el, Reason: "SEC-1", Owner: "team", Expires: time.Now().AddDate(0, 1, 0)})
	}
	y, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(y)
}

// TestReviewSecurityUserApproves: a person with the security role on the
// product signs off, and the gate passes.
func TestReviewSecurityUserApproves(t *testing.T) {
	ts := newTestServer(t, Config{})
	dev := ts.token(t, "ci", store.ScopeUpload, store.ScopeRead)
	code, body := ts.request(t, "POST", "/api/v1/reviews", dev, "application/json", submitBody(t, acceptedModelYAML(t)))
	if code != http.StatusCreated {
		t.Fatalf("submit: %d %s", code, body)
	}
	var res SubmitReviewResponse
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	carol := ts.sessionFor(t, "carol@example.com", "shop", store.RoleDeveloper)
	for _, it := range res.Review.Checklist {
		if code, body := carol("POST", "/api/v1/reviews/1/items/"+it.ID, []byte(`{"status":"met","evidence":"design meeting 2026-11-28"}`)); code != 200 {
			t.Fatalf("answer %s: %d %s", it.ID, code, body)
		}
	}
	if code, body := carol("POST", "/api/v1/reviews/1/minutes", []byte(`{"text":"reviewed with the team"}`)); code != 200 {
		t.Fatalf("minutes: %d %s", code, body)
	}
	alice := ts.sessionFor(t, "alice@example.com", "shop", store.RoleSecurity)
	if code, body := alice("POST", "/api/v1/reviews/1/approve", []byte(`{"reason":"ok"}`)); code != 200 || !strings.Contains(body, `"state": "approved"`) {
		t.Fatalf("approve: %d %s", code, body)
	}
	code, body = ts.request(t, "GET", "/api/v1/reviews/gate?product=shop&release=2026.12&hash="+res.Review.ModelHash, dev, "", nil)
	if code != 200 || !strings.Contains(body, `"pass": true`) {
		t.Fatalf("gate: %d %s", code, body)
	}
	rv, err := ts.store.Review(context.Background(), 1)
	if err != nil || rv.Decisions[len(rv.Decisions)-1].Actor != "alice@example.com" {
		t.Fatalf("decision: %+v %v", rv.Decisions, err)
	}
}

// TestReviewReleasesKeepTheirRisks: each release's model is its own
// target, so submitting an older release again does not mark the newer
// release's design risks fixed, and a risk keeps its fingerprint from one
// release to the next.
func TestReviewReleasesKeepTheirRisks(t *testing.T) {
	ts := newTestServer(t, Config{})
	v1 := reviewModelYAML(t)
	next := strings.Replace(strings.Replace(v1, `release: "2026.12"`, `release: "2027.03"`, 1), "    sandbox: gvisor\n", "", 1)
	again := strings.Replace(v1, "owner: team-shop", "owner: team-shop-platform", 1)
	if next == v1 || again == v1 {
		t.Fatal("test models did not change")
	}
	open := func() map[string]map[string]string { // target -> fingerprint -> rule
		t.Helper()
		page, err := ts.store.Findings(context.Background(), store.FindingQuery{Product: "shop", States: []store.State{store.StateOpen}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]string{}
		for _, f := range page.Findings {
			if out[f.Target] == nil {
				out[f.Target] = map[string]string{}
			}
			out[f.Target][f.Fingerprint] = f.RuleID
		}
		return out
	}
	for i, yml := range []string{v1, next} {
		if code, body := ts.request(t, "POST", "/api/v1/reviews", ts.admin, "application/json", submitBody(t, yml)); code != http.StatusCreated {
			t.Fatalf("submit %d: %d %s", i, code, body)
		}
	}
	before := open()
	older, newer := before["shop@2026.12"], before["shop@2027.03"]
	if len(older) == 0 || len(newer) <= len(older) || len(before) != 2 {
		t.Fatalf("open design risks per target: %v", before)
	}
	for fp, rule := range older {
		if newer[fp] != rule {
			t.Errorf("risk %s (%s) of 2026.12 has another fingerprint in 2027.03", fp, rule)
		}
	}
	if code, body := ts.request(t, "POST", "/api/v1/reviews", ts.admin, "application/json", submitBody(t, again)); code != http.StatusCreated {
		t.Fatalf("resubmit 2026.12: %d %s", code, body)
	}
	if after := open(); !reflect.DeepEqual(after, before) {
		t.Errorf("open design risks changed when the older release was submitted again:\nbefore %v\nafter  %v", before, after)
	}
	// The design KPIs count the current release (2027.03) once, not every
	// release reviewed.
	rep, err := ts.store.KPIs(context.Background(), store.KPIQuery{Product: "shop", Names: []string{"design_open_risks"}})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range rep.KPIs["design_open_risks"].([]store.AgeBuckets) {
		total += b.Total
	}
	if total != len(newer) {
		t.Errorf("design_open_risks counts %d risks, want the %d of 2027.03", total, len(newer))
	}
}
