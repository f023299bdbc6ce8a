package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/server/oidctest"
	"github.com/redline-sec/redline/internal/store"
)

// oidcServer is a real server with OIDC sign-in against a test issuer.
type oidcServer struct {
	*httptest.Server
	srv    *Server
	store  *store.DB
	admin  string
	issuer *oidctest.Issuer
}

func newOIDCServer(t *testing.T, dev bool) *oidcServer {
	t.Helper()
	is := oidctest.New(t)
	st, err := store.OpenSQLite(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, err := st.BootstrapToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })
	var hs *httptest.Server
	if dev {
		hs = httptest.NewServer(proxy)
	} else {
		hs = httptest.NewTLSServer(proxy)
	}
	t.Cleanup(hs.Close)
	roles, err := ParseRoleMap("redline-admins=admin, appsec=security, shop-devs=developer@shop")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: st, Logger: slog.New(slog.DiscardHandler), DevCookies: dev, OIDC: &OIDCConfig{
		Issuer: is.URL, ClientID: is.ClientID, ClientSecret: is.ClientSecret, RedirectURL: hs.URL + "/auth/callback",
		RoleClaim: "groups", RoleMap: roles,
	}})
	if err != nil {
		t.Fatal(err)
	}
	h = srv.Handler()
	return &oidcServer{Server: hs, srv: srv, store: st, admin: admin, issuer: is}
}

// browser is an http.Client with a cookie jar that does not follow
// redirects by itself, so each hop can be checked.
func (ts *oidcServer) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: ts.Client().Transport, Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// follow GETs u and follows redirects by hand; it returns every response
// (bodies read into the second result).
func follow(t *testing.T, c *http.Client, u string) ([]*http.Response, []string) {
	t.Helper()
	var resps []*http.Response
	var bodies []string
	for range 10 {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resps, bodies = append(resps, resp), append(bodies, string(b))
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return resps, bodies
		}
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		u = next.String()
	}
	t.Fatal("too many redirects")
	return nil, nil
}

// signIn runs the whole browser flow and returns the last response.
func (ts *oidcServer) signIn(t *testing.T, c *http.Client, returnTo string) (*http.Response, string, []*http.Response) {
	t.Helper()
	resps, bodies := follow(t, c, ts.URL+"/auth/login?return_to="+url.QueryEscape(returnTo))
	return resps[len(resps)-1], bodies[len(bodies)-1], resps
}

func (ts *oidcServer) do(t *testing.T, c *http.Client, method, path, csrf string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (ts *oidcServer) sessionInfo(t *testing.T, c *http.Client) SessionInfo {
	t.Helper()
	code, body := ts.do(t, c, "GET", "/auth/session", "", nil)
	if code != 200 {
		t.Fatalf("session: %d %s", code, body)
	}
	var si SessionInfo
	if err := json.Unmarshal([]byte(body), &si); err != nil {
		t.Fatal(err)
	}
	return si
}

func (ts *oidcServer) auditActions(t *testing.T) []string {
	t.Helper()
	es, err := ts.store.Audit(context.Background(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Actor+" "+e.Action+" "+e.Detail)
	}
	return out
}

func hasEntry(entries []string, parts ...string) bool {
	for _, e := range entries {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(e, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestOIDCSignInFlow(t *testing.T) {
	ts := newOIDCServer(t, false)
	ts.issuer.SetUser(oidctest.User{Subject: "alice-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"redline-admins"}})
	c := ts.browser(t)

	last, body, hops := ts.signIn(t, c, "/api/v1/products")
	if last.StatusCode != 200 || !strings.Contains(body, `"products"`) {
		t.Fatalf("after sign-in: %d %s", last.StatusCode, body)
	}
	// The hops: login -> provider -> callback -> the page asked for.
	if len(hops) != 4 || hops[0].Request.URL.Path != "/auth/login" || hops[1].Request.URL.Path != "/authorize" || hops[2].Request.URL.Path != "/auth/callback" {
		t.Fatalf("hops %v", hopPaths(hops))
	}
	authz := hops[1].Request.URL.Query()
	if authz.Get("code_challenge_method") != "S256" || authz.Get("nonce") == "" || authz.Get("state") == "" {
		t.Fatalf("authorization request %v", authz)
	}
	var session *http.Cookie
	for _, ck := range hops[2].Cookies() {
		if ck.Name == "__Host-redline_session" && ck.Value != "" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie %+v", session)
	}
	si := ts.sessionInfo(t, c)
	if si.Kind != PrincipalUser || si.Email != "alice@example.com" || si.CSRFToken == "" || len(si.Roles) != 1 || si.Roles[0].String() != "admin@*" {
		t.Fatalf("session info %+v", si)
	}

	// Cookie-authenticated mutations need the CSRF token; bearer calls do not.
	newTok := []byte(`{"name":"from-browser","scopes":["read"]}`)
	if code, body := ts.do(t, c, "POST", "/api/v1/tokens", "", newTok); code != 403 || !strings.Contains(body, "CSRF") {
		t.Fatalf("no CSRF token: %d %s", code, body)
	}
	if code, body := ts.do(t, c, "POST", "/api/v1/tokens", "wrong", newTok); code != 403 {
		t.Fatalf("wrong CSRF token: %d %s", code, body)
	}
	if code, body := ts.do(t, c, "POST", "/api/v1/tokens", si.CSRFToken, newTok); code != 201 {
		t.Fatalf("with CSRF token: %d %s", code, body)
	}
	// The actor of the change is the person.
	toks, _ := ts.store.Tokens(context.Background())
	if toks[len(toks)-1].CreatedBy != "alice@example.com" {
		t.Fatalf("created by %q", toks[len(toks)-1].CreatedBy)
	}

	// A second sign-in with other groups changes the claim roles.
	ts.issuer.SetUser(oidctest.User{Subject: "alice-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Groups: []string{"appsec"}})
	if last, body, _ := ts.signIn(t, c, "/"); last.StatusCode != 401 && last.StatusCode != 404 {
		// "/" is not an API endpoint; only the redirect there matters.
		t.Fatalf("second sign-in: %d %s", last.StatusCode, body)
	}
	si = ts.sessionInfo(t, c)
	if len(si.Roles) != 1 || si.Roles[0].String() != "security@*" {
		t.Fatalf("roles after second sign-in %+v", si.Roles)
	}
	if code, _ := ts.do(t, c, "GET", "/api/v1/tokens", "", nil); code != 403 {
		t.Fatalf("security lists tokens: %d", code)
	}

	// Sign out: the session ends on the server, not only in the browser.
	if code, _ := ts.do(t, c, "POST", "/auth/logout", "", nil); code != 403 {
		t.Fatalf("sign-out without CSRF: %d", code)
	}
	if code, body := ts.do(t, c, "POST", "/auth/logout", si.CSRFToken, nil); code != 200 {
		t.Fatalf("sign-out: %d %s", code, body)
	}
	if code, _ := ts.do(t, c, "GET", "/api/v1/products", "", nil); code != 401 {
		t.Fatalf("after sign-out: %d", code)
	}
	replay := httptest.NewRequest("GET", "/api/v1/products", nil)
	replay.AddCookie(session)
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, replay)
	if rec.Code != 401 {
		t.Fatalf("replayed cookie after sign-out: %d", rec.Code)
	}

	audit := ts.auditActions(t)
	for _, want := range [][]string{
		{"alice@example.com sign-in", "first sign-in", "admin@*"},
		{"oidc grant role", "security@*", "claim groups"},
		{"oidc revoke role", "admin@*"},
		{"alice@example.com POST /api/v1/tokens"},
		{"alice@example.com sign-out"},
	} {
		if !hasEntry(audit, want...) {
			t.Errorf("audit log lacks %q:\n%s", want, strings.Join(audit, "\n"))
		}
	}
}

func hopPaths(rs []*http.Response) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Request.URL.Path)
	}
	return out
}

func TestOIDCRejects(t *testing.T) {
	ts := newOIDCServer(t, false)
	ts.issuer.SetUser(oidctest.User{Subject: "eve-1", Email: "eve@example.com", EmailVerified: true, Groups: []string{"redline-admins"}})
	cases := []struct {
		name   string
		tamper func(map[string]any)
		// editCallback changes the callback URL the provider sent.
		editCallback func(u *url.URL)
		want         int
		reason       string
	}{
		{name: "bad state", editCallback: func(u *url.URL) {
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
		}, want: 400, reason: "state mismatch"},
		{name: "bad nonce", tamper: func(c map[string]any) { c["nonce"] = "replayed" }, want: 401, reason: "nonce"},
		{name: "expired token", tamper: func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		}, want: 401, reason: "expired"},
		{name: "wrong audience", tamper: func(c map[string]any) { c["aud"] = "another-client" }, want: 401, reason: "audience"},
		{name: "wrong issuer", tamper: func(c map[string]any) { c["iss"] = "https://evil.example" }, want: 401, reason: "different provider"},
		{name: "no email", tamper: func(c map[string]any) { delete(c, "email") }, want: 403, reason: "email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts.issuer.SetTamper(tc.tamper)
			defer ts.issuer.SetTamper(nil)
			c := ts.browser(t)
			// Walk to the provider's redirect back, and change it if asked.
			resp, err := c.Get(ts.URL + "/auth/login")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			resp, err = c.Get(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cb, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || cb.Path != "/auth/callback" {
				t.Fatalf("provider redirect %v %v", cb, err)
			}
			if tc.editCallback != nil {
				tc.editCallback(cb)
			}
			resp, err = c.Get(cb.String())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want || !strings.Contains(string(b), tc.reason) {
				t.Fatalf("callback: %d %s", resp.StatusCode, b)
			}
			for _, ck := range resp.Cookies() {
				if ck.Name == "__Host-redline_session" && ck.Value != "" {
					t.Fatal("a rejected sign-in set a session cookie")
				}
			}
			if code, _ := ts.do(t, c, "GET", "/auth/session", "", nil); code != 401 {
				t.Fatalf("session after rejected sign-in: %d", code)
			}
		})
	}
	// A callback without a sign-in started in this browser.
	c := ts.browser(t)
	if code, body := ts.do(t, c, "GET", "/auth/callback?state=x&code=y", "", nil); code != 400 {
		t.Fatalf("callback without login: %d %s", code, body)
	}
	if !hasEntry(ts.auditActions(t), "sign-in failed", "state mismatch") || !hasEntry(ts.auditActions(t), "eve-1", "sign-in failed", "nonce") {
		t.Errorf("failed sign-ins not audited:\n%s", strings.Join(ts.auditActions(t), "\n"))
	}
	us, _ := ts.store.Users(context.Background())
	if len(us) != 0 {
		t.Fatalf("rejected sign-ins made users: %+v", us)
	}
}

func TestPerProductRoles(t *testing.T) {
	ts := newOIDCServer(t, false)
	ctx := context.Background()
	// Findings in two products.
	for _, up := range []struct {
		product string
		tg      finding.Target
		rule    string
	}{
		{"shop", finding.Target{Kind: "image", Name: "shop/web:1"}, "GO-SHOP"},
		{"bank", finding.Target{Kind: "image", Name: "bank/api:1"}, "GO-BANK"},
	} {
		f := testFinding(up.rule, "lib", finding.SeverityHigh)
		f.Target = up.tg
		f.SetFingerprint()
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/scans?product="+up.product, bytes.NewReader(jsonReportFor(t, up.tg, []finding.Finding{f})))
		req.Header.Set("Authorization", "Bearer "+ts.admin)
		resp, err := ts.Client().Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("upload %s: %v %v", up.product, resp, err)
		}
		resp.Body.Close()
	}
	page, _ := ts.store.Findings(ctx, store.FindingQuery{})
	ids := map[string]int64{}
	for _, f := range page.Findings {
		ids[f.Product] = f.ID
	}
	// Bob is pre-assigned developer on shop before his first sign-in.
	if _, _, err := ts.store.GrantRole(ctx, store.Grant{Email: "bob@example.com", Product: "shop", Role: store.RoleDeveloper, By: "test"}); err != nil {
		t.Fatal(err)
	}
	ts.issuer.SetUser(oidctest.User{Subject: "bob-1", Email: "bob@example.com", EmailVerified: true, Name: "Bob"})
	c := ts.browser(t)
	ts.signIn(t, c, "/")
	csrf := ts.sessionInfo(t, c).CSRFToken
	id := func(p string) string { return "/api/v1/findings/" + itoa(ids[p]) }
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"products lists only shop", "GET", "/api/v1/products", "", 200},
		{"findings of every product", "GET", "/api/v1/findings", "", 403},
		{"findings of shop", "GET", "/api/v1/findings?product=shop", "", 200},
		{"findings of bank", "GET", "/api/v1/findings?product=bank", "", 403},
		{"KPIs of shop", "GET", "/api/v1/kpis?product=shop", "", 200},
		{"KPIs of bank", "GET", "/api/v1/kpis?product=bank", "", 403},
		{"a shop finding", "GET", id("shop"), "", 200},
		{"a bank finding is not there", "GET", id("bank"), "", 404},
		{"triage a shop finding", "POST", id("shop") + "/state", `{"state":"in_triage","reason":"looking"}`, 200},
		{"triage a bank finding", "POST", id("bank") + "/state", `{"state":"in_triage","reason":"looking"}`, 404},
		{"developer cannot accept", "POST", id("shop") + "/state", `{"state":"accepted","reason":"r","until":"2099-01-01"}`, 403},
		{"tokens need admin", "GET", "/api/v1/tokens", "", 403},
		{"audit needs admin", "GET", "/api/v1/audit", "", 403},
	}
	for _, tc := range cases {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		code, got := ts.do(t, c, tc.method, tc.path, csrf, body)
		if code != tc.want {
			t.Errorf("%s: %d %s", tc.name, code, got)
		}
		if tc.name == "products lists only shop" && (!strings.Contains(got, `"shop"`) || strings.Contains(got, `"bank"`)) {
			t.Errorf("products: %s", got)
		}
	}
	// Bob may upload to shop, but not move bank's target into shop.
	bankImage := finding.Target{Kind: "image", Name: "bank/api:1"}
	if code, body := ts.do(t, c, "POST", "/api/v1/scans?product=shop", csrf, jsonReportFor(t, bankImage, nil)); code != 403 {
		t.Fatalf("move bank's target: %d %s", code, body)
	}
	if code, body := ts.do(t, c, "POST", "/api/v1/scans?product=shop", csrf, jsonReportFor(t, finding.Target{Kind: "image", Name: "shop/new:1"}, nil)); code != 201 {
		t.Fatalf("upload to shop: %d %s", code, body)
	}
	if code, _ := ts.do(t, c, "POST", "/api/v1/scans", csrf, jsonReportFor(t, finding.Target{Kind: "image", Name: "shop/new:2"}, nil)); code != 403 {
		t.Fatalf("upload without a product: %d", code)
	}
	// Granting security on shop lets Bob accept there.
	if _, _, err := ts.store.GrantRole(ctx, store.Grant{Email: "bob@example.com", Product: "shop", Role: store.RoleSecurity, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if code, body := ts.do(t, c, "POST", id("shop")+"/state", csrf, []byte(`{"state":"accepted","reason":"compensating control","until":"2099-01-01"}`)); code != 200 {
		t.Fatalf("security accepts: %d %s", code, body)
	}
	det, _ := ts.store.Finding(ctx, ids["shop"])
	if last := det.History[len(det.History)-1]; last.Actor != "bob@example.com" {
		t.Fatalf("history actor %q", last.Actor)
	}

	// A token bound to a product acts on that product only.
	secret, _, err := ts.store.CreateToken(ctx, store.NewToken{Name: "shop-reader", Scopes: []string{store.ScopeRead}, Product: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"/api/v1/findings?product=shop": 200, "/api/v1/findings?product=bank": 403, "/api/v1/findings": 403, id("bank"): 404, id("shop"): 200,
	} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("bound token %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPrincipalCan(t *testing.T) {
	user := func(bs ...string) Principal {
		p := Principal{Kind: PrincipalUser, Name: "u@example.com"}
		for _, b := range bs {
			role, product, _ := strings.Cut(b, "@")
			p.Roles = append(p.Roles, store.RoleBinding{Role: store.Role(role), Product: product})
		}
		return p
	}
	token := func(product string, scopes ...string) Principal {
		return Principal{Kind: PrincipalToken, Name: "t", Token: store.Token{Scopes: scopes, Product: product}}
	}
	cases := []struct {
		name    string
		p       Principal
		product string
		a       Action
		want    bool
	}{
		{"viewer reads", user("viewer@shop"), "shop", ActionRead, true},
		{"viewer cannot triage", user("viewer@shop"), "shop", ActionTriage, false},
		{"viewer of shop cannot read bank", user("viewer@shop"), "bank", ActionRead, false},
		{"viewer of shop cannot read all", user("viewer@shop"), store.AllProducts, ActionRead, false},
		{"global viewer reads bank", user("viewer@*"), "bank", ActionRead, true},
		{"developer triages", user("developer@shop"), "shop", ActionTriage, true},
		{"developer uploads", user("developer@shop"), "shop", ActionUpload, true},
		{"developer cannot accept", user("developer@shop"), "shop", ActionAccept, false},
		{"security accepts", user("security@shop"), "shop", ActionAccept, true},
		{"security approves", user("security@shop"), "shop", ActionApprove, true},
		{"security is not admin", user("security@*"), store.AllProducts, ActionAdmin, false},
		{"product admin is not global admin", user("admin@shop"), store.AllProducts, ActionAdmin, false},
		{"admin", user("admin@*"), store.AllProducts, ActionAdmin, true},
		{"no roles", user(), "shop", ActionRead, false},
		{"unknown role", user("root@*"), "shop", ActionRead, false},
		{"read token reads", token("", store.ScopeRead), "bank", ActionRead, true},
		{"read token cannot triage", token("", store.ScopeRead), "bank", ActionTriage, false},
		{"upload token uploads", token("", store.ScopeUpload), "bank", ActionUpload, true},
		{"admin token accepts", token("", store.ScopeAdmin), "bank", ActionAccept, true},
		{"bound token on its product", token("shop", store.ScopeAdmin), "shop", ActionAccept, true},
		{"bound token elsewhere", token("shop", store.ScopeAdmin), "bank", ActionRead, false},
		{"bound token on all", token("shop", store.ScopeAdmin), store.AllProducts, ActionAdmin, false},
		{"nobody", Principal{}, "shop", ActionRead, false},
	}
	for _, tc := range cases {
		if got := tc.p.Can(tc.product, tc.a); got != tc.want {
			t.Errorf("%s: Can(%q, %s) = %v", tc.name, tc.product, tc.a, got)
		}
	}
	if !user("viewer@shop").CanAny(ActionRead) || user("viewer@shop").CanAny(ActionTriage) || !token("shop", store.ScopeRead).CanAny(ActionRead) {
		t.Error("CanAny")
	}
	if !user("admin@shop").HasRole("shop", store.RoleSecurity) || user("developer@*").HasRole("shop", store.RoleSecurity) {
		t.Error("HasRole")
	}
}

func TestDevCookies(t *testing.T) {
	ts := newOIDCServer(t, true)
	ts.issuer.SetUser(oidctest.User{Subject: "d", Email: "dev@example.com", EmailVerified: true, Groups: []string{"appsec"}})
	c := ts.browser(t)
	_, _, hops := ts.signIn(t, c, "/")
	var got *http.Cookie
	for _, ck := range hops[2].Cookies() {
		if ck.Value != "" {
			got = ck
		}
	}
	if got == nil || got.Name != "redline_session" || got.Secure || !got.HttpOnly {
		t.Fatalf("dev cookie %+v", got)
	}
	if si := ts.sessionInfo(t, c); si.Email != "dev@example.com" {
		t.Fatalf("session %+v", si)
	}
}

func TestSignInRateLimit(t *testing.T) {
	ts := newOIDCServer(t, false)
	c := ts.browser(t)
	var limited int
	for range signInAddrBurst + 5 {
		resp, err := c.Get(ts.URL + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 5 {
		t.Fatalf("%d of %d sign-in starts limited, want 5", limited, signInAddrBurst+5)
	}
	if !hasEntry(ts.auditActions(t), "sign-in failed", "too many") {
		t.Error("rate-limited sign-in not audited")
	}
}

func TestKeyedLimiter(t *testing.T) {
	k := newKeyedLimiter(1, 2, 3)
	now := time.Unix(1000, 0)
	for i, want := range []bool{true, true, false} {
		if got := k.allow("a", now); got != want {
			t.Fatalf("take %d: %v, want %v (burst of 2)", i+1, got, want)
		}
	}
	if !k.allow("a", now.Add(time.Second)) {
		t.Fatal("refill after a second")
	}
	for _, key := range []string{"b", "c", "d", "e"} {
		k.allow(key, now)
	}
	if k.len() != 3 {
		t.Fatalf("%d keys remembered, want at most 3", k.len())
	}
	// "a" was least recently used, so it was forgotten and starts full.
	if !k.allow("a", now) {
		t.Fatal("forgotten key")
	}
}

func TestParseRoleMap(t *testing.T) {
	m, err := ParseRoleMap("redline-admins=admin, appsec=security,shop-devs=developer@shop,shop-devs=viewer@bank")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m["redline-admins"][0].String() != "admin@*" || len(m["shop-devs"]) != 2 || m["shop-devs"][1].String() != "viewer@bank" {
		t.Fatalf("map %+v", m)
	}
	for _, bad := range []string{"x", "=admin", "x=root", "x=admin@", strings.Repeat("a=admin,", 1001)} {
		if _, err := ParseRoleMap(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if m, err := ParseRoleMap(""); err != nil || len(m) != 0 {
		t.Fatalf("empty: %v %v", m, err)
	}
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/findings?x=1": "/findings?x=1", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/",
		"/auth/logout": "/", "relative": "/",
	} {
		if got := safeReturn(in); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUsersAPI(t *testing.T) {
	ts := newOIDCServer(t, false)
	admin := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ts.admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := admin("POST", "/api/v1/users/roles", `{"email":"carol@example.com","role":"viewer","product":"shop"}`); code != 200 || !strings.Contains(body, `"changed": true`) {
		t.Fatalf("grant: %d %s", code, body)
	}
	if code, body := admin("POST", "/api/v1/users/roles", `{"email":"carol@example.com","role":"owner"}`); code != 400 {
		t.Fatalf("bad role: %d %s", code, body)
	}
	ts.issuer.SetUser(oidctest.User{Subject: "carol-1", Email: "carol@example.com", EmailVerified: true})
	c := ts.browser(t)
	ts.signIn(t, c, "/")
	si := ts.sessionInfo(t, c)
	if len(si.Roles) != 1 || si.Roles[0].String() != "viewer@shop" {
		t.Fatalf("carol's roles %+v", si.Roles)
	}
	// A person without the admin role cannot use these endpoints.
	if code, _ := ts.do(t, c, "POST", "/api/v1/users/roles", si.CSRFToken, []byte(`{"email":"carol@example.com","role":"admin"}`)); code != 403 {
		t.Fatalf("viewer grants admin: %d", code)
	}
	code, body := admin("GET", "/api/v1/users", "")
	if code != 200 || !strings.Contains(body, `"subject": "carol-1"`) {
		t.Fatalf("users: %d %s", code, body)
	}
	if code, body := admin("DELETE", "/api/v1/users/roles?email=carol@example.com&role=viewer&product=shop", ""); code != 200 || !strings.Contains(body, `"changed": true`) {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, _ := ts.do(t, c, "GET", "/api/v1/products", "", nil); code != 403 {
		t.Fatalf("without roles: %d", code)
	}
	if code, body := admin("POST", "/api/v1/users/"+itoa(si.UserID)+"/disabled", `{"disabled":true}`); code != 204 {
		t.Fatalf("disable: %d %s", code, body)
	}
	if code, _ := ts.do(t, c, "GET", "/auth/session", "", nil); code != 401 {
		t.Fatalf("session of a disabled user: %d", code)
	}
	audit := ts.auditActions(t)
	for _, want := range [][]string{
		{"bootstrap-admin POST /api/v1/users/roles", "grant viewer@shop carol@example.com"},
		{"bootstrap-admin DELETE /api/v1/users/roles", "revoke viewer@shop carol@example.com"},
		{"bootstrap-admin POST /api/v1/users/{id}/disabled", "disabled true"},
		{"carol@example.com POST /api/v1/users/roles"},
	} {
		if !hasEntry(audit, want...) {
			t.Errorf("audit log lacks %q:\n%s", want, strings.Join(audit, "\n"))
		}
	}
}

// BenchmarkAuthenticate measures the per-request cost of authentication on
// SQLite: a session cookie (hash lookup, user and roles) and a bearer token.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	u, _, err := st.GrantRole(ctx, store.Grant{Email: "bench@example.com", Product: "shop", Role: store.RoleDeveloper})
	if err != nil {
		b.Fatal(err)
	}
	secret, _, err := st.CreateSession(ctx, u.ID, time.Hour, "bench")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := st.CreateToken(ctx, store.NewToken{Name: "bench", Scopes: []string{store.ScopeRead}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("session", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/api/v1/findings?product=shop", nil)
		r.AddCookie(&http.Cookie{Name: SessionCookieName(false), Value: secret})
		for b.Loop() {
			if p, err := srv.authenticate(r); err != nil || !p.Can("shop", ActionRead) {
				b.Fatal(err)
			}
		}
	})
	b.Run("token", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/api/v1/findings?product=shop", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		for b.Loop() {
			if _, err := srv.authenticate(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
