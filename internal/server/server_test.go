package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/store"
)

// testServer is a real server over a real SQLite store.
type testServer struct {
	*httptest.Server
	store *store.DB
	admin string
	logs  *bytes.Buffer
}

func newTestServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, err := st.BootstrapToken(context.Background())
	if err != nil || admin == "" {
		t.Fatalf("bootstrap: %v", err)
	}
	logs := &bytes.Buffer{}
	cfg.Store = st
	cfg.Logger = slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: hs, store: st, admin: admin, logs: logs}
}

// lockedWriter serializes log writes from concurrent requests.
type lockedWriter struct {
	mu chan struct{}
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	if l.mu == nil {
		l.mu = make(chan struct{}, 1)
	}
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.w.Write(p)
}

func (ts *testServer) token(t testing.TB, name string, scopes ...string) string {
	t.Helper()
	secret, _, err := ts.store.CreateToken(context.Background(), store.NewToken{Name: name, Scopes: scopes, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func (ts *testServer) client(token string) *Client {
	return &Client{BaseURL: ts.URL, Token: token, HTTP: ts.Client()}
}

// request sends a raw request and returns status and body.
func (ts *testServer) request(t testing.TB, method, path, token, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var webTarget = finding.Target{Kind: "image", Name: "registry.example/shop/web:1.0"}

func testFinding(id, pkg string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: id, Aliases: []string{"CVE-" + id}, Title: id + " in " + pkg, Severity: sev, Target: webTarget,
		Location: finding.Location{Path: "app/go.mod"},
		Package:  &finding.Package{Name: pkg, Version: "1.0.0", Ecosystem: "Go"},
		Fix:      &finding.Fix{FixedVersions: []string{"1.0.1"}, Upgrade: "1.0.1"},
	}
	f.SetFingerprint()
	return f
}

// jsonReport writes findings as the real JSON report of a gated scan.
func jsonReport(t testing.TB, failOn string, fs ...finding.Finding) []byte {
	t.Helper()
	return gatedReport(t, webTarget, failOn, fs)
}

// jsonReportFor writes an ungated report of another target.
func jsonReportFor(t testing.TB, tg finding.Target, fs []finding.Finding) []byte {
	t.Helper()
	return gatedReport(t, tg, "none", fs)
}

func gatedReport(t testing.TB, tg finding.Target, failOn string, fs []finding.Finding) []byte {
	t.Helper()
	r := &report.Report{Tool: report.Tool{Name: "redline", Version: "test"}, Target: tg}
	th, err := policy.ParseThreshold(failOn)
	if err != nil {
		t.Fatal(err)
	}
	d := (&policy.Gate{FailOn: th}).Evaluate(fs)
	r.SetDecision(d)
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatJSON, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHealth(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := ts.request(t, "GET", p, "", "", nil); code != 200 {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

func TestAuthorization(t *testing.T) {
	ts := newTestServer(t, Config{})
	read := ts.token(t, "reader", store.ScopeRead)
	upload := ts.token(t, "ci", store.ScopeUpload)
	rep := jsonReport(t, "high", testFinding("GO-1", "a", finding.SeverityLow))
	cases := []struct {
		name, method, path, token string
		body                      []byte
		want                      int
	}{
		{"no token", "GET", "/api/v1/findings", "", nil, 401},
		{"bad token", "GET", "/api/v1/findings", "rl_forged", nil, 401},
		{"not bearer", "GET", "/api/v1/findings", "", nil, 401},
		{"metrics need a token", "GET", "/metrics", "", nil, 401},
		{"unknown path needs a token", "GET", "/api/v1/nothing", "", nil, 401},
		{"unknown path", "GET", "/api/v1/nothing", read, nil, 404},
		{"read cannot upload", "POST", "/api/v1/scans", read, rep, 403},
		{"upload cannot read", "GET", "/api/v1/findings", upload, nil, 403},
		{"read cannot change state", "POST", "/api/v1/findings/1/state", read, []byte(`{}`), 403},
		{"read cannot list tokens", "GET", "/api/v1/tokens", read, nil, 403},
		{"read cannot read the audit log", "GET", "/api/v1/audit", read, nil, 403},
		{"upload", "POST", "/api/v1/scans", upload, rep, 201},
		{"read", "GET", "/api/v1/findings", read, nil, 200},
		{"admin reads", "GET", "/api/v1/findings", ts.admin, nil, 200},
		{"metrics", "GET", "/metrics", read, nil, 200},
	}
	for _, c := range cases {
		code, body := ts.request(t, c.method, c.path, c.token, "application/json", c.body)
		if code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.want)
		}
		if code >= 400 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s: error body %q", c.name, body)
		}
	}
	// Denials are logged, and mutating ones audited with who and where from.
	if n := strings.Count(ts.logs.String(), `"msg":"access denied"`); n != 10 {
		t.Errorf("%d denials logged, want 10:\n%s", n, ts.logs.String())
	}
	if strings.Contains(ts.logs.String(), read) || strings.Contains(ts.logs.String(), upload) {
		t.Error("a token secret reached the log")
	}
	entries := auditEntries(t, ts, "")
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %s %d", e.Actor, e.Action, e.Status))
		if !strings.HasPrefix(e.Remote, "127.0.0.1:") {
			t.Errorf("audit remote %q", e.Remote)
		}
	}
	want := []string{"reader POST /api/v1/scans 403", "reader POST /api/v1/findings/{id}/state 403", "ci POST /api/v1/scans 201"}
	if !slices.Equal(got, want) {
		t.Errorf("audit log %q, want %q", got, want)
	}
}

func auditEntries(t *testing.T, ts *testServer, query string) []store.AuditEntry {
	t.Helper()
	code, body := ts.request(t, "GET", "/api/v1/audit"+query, ts.admin, "", nil)
	if code != 200 {
		t.Fatalf("audit: %d %s", code, body)
	}
	var out []store.AuditEntry
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var e store.AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestUploadAndLifecycle(t *testing.T) {
	ts := newTestServer(t, Config{})
	ctx := context.Background()
	ci := ts.client(ts.token(t, "ci", store.ScopeUpload))
	admin := ts.client(ts.admin)
	a, b := testFinding("GO-A", "a", finding.SeverityCritical), testFinding("GO-B", "b", finding.SeverityMedium)

	res, err := ci.Upload(ctx, jsonReport(t, "high", a, b), UploadOptions{Product: "shop", ScanID: "build-1"})
	if err != nil || res.New != 2 || !res.Blocked || res.Product != "shop" {
		t.Fatalf("upload: %+v %v", res, err)
	}
	res, err = ci.Upload(ctx, jsonReport(t, "high", a), UploadOptions{ScanID: "build-1"})
	if err != nil || !res.Duplicate || res.New != 2 {
		t.Fatalf("repeat upload: %+v %v", res, err)
	}
	// Without a scan id the report's hash names the upload.
	rep2 := jsonReport(t, "none", a)
	res, err = ci.Upload(ctx, rep2, UploadOptions{})
	if err != nil || res.Fixed != 1 || res.Product != "shop" {
		t.Fatalf("second scan: %+v %v", res, err)
	}
	if res, _ = ci.Upload(ctx, rep2, UploadOptions{}); !res.Duplicate {
		t.Fatalf("same bytes again: %+v", res)
	}

	page, err := admin.Findings(ctx, url.Values{"state": {"open"}, "severity": {"critical,high"}})
	if err != nil || len(page.Findings) != 1 || page.Findings[0].RuleID != "GO-A" {
		t.Fatalf("list: %+v %v", page, err)
	}
	id := page.Findings[0].ID
	f, err := admin.SetState(ctx, id, StateChange{State: "accepted", Reason: "WAF rule 942100", Owner: "bob@example.com", Until: "2099-01-31"})
	if err != nil || f.State != store.StateAccepted || f.AcceptedUntil.Format(time.DateOnly) != "2099-02-01" {
		t.Fatalf("accept: %+v %v", f, err)
	}
	if _, err := admin.SetState(ctx, id, StateChange{State: "accepted", Reason: "x", Owner: "bob", Until: "2001-01-01"}); err == nil || err.(*APIError).Status != 400 {
		t.Fatalf("accept in the past: %v", err)
	}
	det, err := admin.Finding(ctx, id)
	if err != nil || len(det.History) != 2 || det.History[1].Actor != store.BootstrapTokenName || len(det.Exceptions) != 1 || det.Raw.Aliases[0] != "CVE-GO-A" {
		t.Fatalf("detail: %+v %v", det, err)
	}
	if _, err := admin.Finding(ctx, 9999); err == nil || err.(*APIError).Status != 404 {
		t.Fatalf("missing finding: %v", err)
	}

	for _, p := range []string{"/api/v1/products", "/api/v1/targets?product=shop", "/api/v1/blocked-builds", "/api/v1/kpis?product=shop&kpi=builds_blocked,sla", "/api/v1/tokens"} {
		code, body := ts.request(t, "GET", p, ts.admin, "", nil)
		if code != 200 {
			t.Errorf("%s: %d %s", p, code, body)
		}
		if p == "/api/v1/blocked-builds" && !strings.Contains(body, `"scan_id": "build-1"`) {
			t.Errorf("blocked builds: %s", body)
		}
		if strings.HasPrefix(p, "/api/v1/kpis") && !strings.Contains(body, `"builds_blocked"`) {
			t.Errorf("kpis: %s", body)
		}
	}
	for _, p := range []string{"/api/v1/findings?state=closed", "/api/v1/findings?severity=urgent", "/api/v1/findings?limit=0",
		"/api/v1/findings?cursor=zz", "/api/v1/findings?target=x", "/api/v1/findings?kind=x", "/api/v1/kpis?since=yesterday",
		"/api/v1/kpis?kpi=nope", "/api/v1/kpis?sla=critical=0", "/api/v1/findings/abc", "/api/v1/audit?after=-1"} {
		if code, body := ts.request(t, "GET", p, ts.admin, "", nil); code != 400 {
			t.Errorf("%s: %d %s, want 400", p, code, body)
		}
	}

	// Tokens: create (secret shown once), use, revoke.
	code, body := ts.request(t, "POST", "/api/v1/tokens", ts.admin, "application/json", []byte(`{"name":"dash","scopes":["read"]}`))
	var nt NewTokenResponse
	if code != 201 || json.Unmarshal([]byte(body), &nt) != nil || !strings.HasPrefix(nt.Secret, store.TokenPrefix) {
		t.Fatalf("create token: %d %s", code, body)
	}
	if code, _ := ts.request(t, "GET", "/api/v1/products", nt.Secret, "", nil); code != 200 {
		t.Fatalf("new token: %d", code)
	}
	if code, body := ts.request(t, "POST", "/api/v1/tokens", ts.admin, "application/json", []byte(`{"name":"x","scopes":["read"],"extra":1}`)); code != 400 {
		t.Fatalf("unknown field: %d %s", code, body)
	}
	if code, _ := ts.request(t, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", nt.ID), ts.admin, "", nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := ts.request(t, "GET", "/api/v1/products", nt.Secret, "", nil); code != 401 {
		t.Fatalf("revoked token: %d", code)
	}

	entries := auditEntries(t, ts, "")
	if len(entries) != 9 {
		t.Fatalf("%d audit entries, want 9: %+v", len(entries), entries)
	}
	if e := entries[4]; e.Action != "POST /api/v1/findings/{id}/state" || e.Object != fmt.Sprintf("finding %d", id) || e.Actor != store.BootstrapTokenName || e.Status != 200 {
		t.Fatalf("audit entry %+v", e)
	}
	if got := auditEntries(t, ts, "?after=2&limit=3"); len(got) != 3 || got[0].ID != 3 {
		t.Fatalf("audit page %+v", got)
	}
}

func TestUploadRejects(t *testing.T) {
	ts := newTestServer(t, Config{MaxUpload: 64 << 10})
	tok := ts.token(t, "ci", store.ScopeUpload)
	good := string(jsonReport(t, "high", testFinding("GO-A", "a", finding.SeverityHigh)))
	a := testFinding("GO-A", "a", finding.SeverityHigh)
	big := make([]finding.Finding, 300)
	for i := range big {
		big[i] = testFinding(fmt.Sprintf("GO-%03d", i), "p", finding.SeverityLow)
	}
	cases := []struct {
		name, path, ctype, body string
		want                    int
		reason                  string
	}{
		{"empty", "/api/v1/scans", "application/json", "", 400, "empty body"},
		{"not json", "/api/v1/scans", "application/json", "<html>", 400, "invalid JSON"},
		{"truncated", "/api/v1/scans", "application/json", good[:len(good)/2], 400, "truncated"},
		{"trailing data", "/api/v1/scans", "application/json", good + "{}", 400, "data after"},
		{"array", "/api/v1/scans", "application/json", "[]", 400, "malformed report"},
		{"schema version", "/api/v1/scans", "application/json", strings.Replace(good, `"schema_version": "1"`, `"schema_version": "2"`, 1), 400, "schema version 1"},
		{"no target", "/api/v1/scans", "application/json", `{"schema_version":"1","findings":[]}`, 400, "no target"},
		{"forged fingerprint", "/api/v1/scans", "application/json", strings.Replace(good, a.Fingerprint, strings.Repeat("0", 32), -1), 400, "does not match"},
		{"bad severity", "/api/v1/scans", "application/json", strings.Replace(good, `"severity": "high"`, `"severity": "urgent"`, 1), 400, "unknown severity"},
		{"wrong type", "/api/v1/scans", "application/json", strings.Replace(good, `"severity": "high"`, `"severity": 3`, 1), 400, "malformed report"},
		{"unknown kind", "/api/v1/scans", "application/json", strings.Replace(good, `"kind": "vulnerability"`, `"kind": "gossip"`, 1), 400, "unknown kind"},
		{"blocking unknown", "/api/v1/scans", "application/json", strings.Replace(good, `"blocking": [`+"\n      \""+a.Fingerprint, `"blocking": [`+"\n      \"ffff", 1), 400, "not among the findings"},
		{"too large", "/api/v1/scans", "application/json", string(jsonReport(t, "high", big...)), 413, "larger than"},
		{"content type", "/api/v1/scans", "text/plain", good, 415, "application/json"},
		{"bad scan id", "/api/v1/scans?scan_id=../../etc", "application/json", good, 400, "scan_id"},
		{"bad product", "/api/v1/scans?product=a%00b", "application/json", good, 400, "product"},
	}
	for _, c := range cases {
		code, body := ts.request(t, "POST", c.path, tok, c.ctype, []byte(c.body))
		if code != c.want || !strings.Contains(body, c.reason) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, body, c.want, c.reason)
		}
	}
	// Nothing of a rejected upload was stored.
	ps, err := ts.store.Products(context.Background())
	if err != nil || len(ps) != 0 {
		t.Fatalf("products after rejected uploads: %+v %v", ps, err)
	}
	if code, body := ts.request(t, "POST", "/api/v1/scans", tok, "application/json", []byte(good)); code != 201 {
		t.Fatalf("good upload: %d %s", code, body)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	srv, _ := New(Config{Store: &store.DB{}})
	for _, rt := range srv.apiRoutes() {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("OpenAPI paths differ from the routes:\ndocumented %q\nserved     %q", documented, served)
	}
	// And the server serves it.
	ts := newTestServer(t, Config{})
	code, body := ts.request(t, "GET", "/api/v1/openapi.json", ts.admin, "", nil)
	if code != 200 || !strings.Contains(body, `"openapi": "3.1.0"`) {
		t.Fatalf("openapi.json: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, Config{})
	tok := ts.token(t, "ci", store.ScopeUpload)
	ts.request(t, "POST", "/api/v1/scans", tok, "application/json", jsonReport(t, "high", testFinding("GO-A", "a", finding.SeverityHigh)))
	code, body := ts.request(t, "GET", "/metrics", ts.admin, "", nil)
	for _, want := range []string{`redline_http_requests_total{code="201",method="POST",route="POST /api/v1/scans"} 1`,
		`redline_ingested_findings_total 1`, `redline_uploads_total{result="new"} 1`, "go_goroutines"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestGracefulShutdown cancels the server while an upload is half sent:
// the upload still completes and is stored, and Run returns.
func TestGracefulShutdown(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _ := st.BootstrapToken(context.Background())
	srv, _ := New(Config{Store: st, ShutdownGrace: 20 * time.Second})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx, l) }()

	rep := jsonReport(t, "high", testFinding("GO-A", "a", finding.SeverityHigh))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+l.Addr().String()+"/api/v1/scans?scan_id=inflight", pr)
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(rep))
	respc := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		respc <- resp
	}()
	if _, err := pw.Write(rep[:len(rep)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the request is being read
	cancel()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-runErr:
		t.Fatalf("Run returned with an upload in flight: %v", err)
	default:
	}
	if _, err := pw.Write(rep[len(rep)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	resp := <-respc
	if resp == nil || resp.StatusCode != 201 {
		t.Fatalf("in-flight upload: %+v", resp)
	}
	resp.Body.Close()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	ts, _ := st.Targets(context.Background(), "")
	if len(ts) != 1 || ts[0].LastScanID != "inflight" {
		t.Fatalf("upload not stored: %+v", ts)
	}
	if _, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		t.Fatal("server still accepts connections")
	}
}

// TestRunListenerClosed: Run returns (does not hang) when serving fails.
func TestRunListenerClosed(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, _ := New(Config{Store: st})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background(), l) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run on a closed listener returned nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run hung after its listener failed")
	}
}
