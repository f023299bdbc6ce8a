package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/redline-sec/redline/internal/store"
)

// OIDCConfig configures sign-in for people with an OpenID Connect provider
// (authorization code flow with PKCE, state and nonce).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; discovery happens at the first
	// sign-in, so the server starts while the provider is down.
	Issuer string
	// ClientID and ClientSecret are the server's client registration.
	ClientID, ClientSecret string
	// RedirectURL is this server's /auth/callback as the browser reaches it.
	RedirectURL string
	// RoleClaim names the ID-token claim (a string or a list of strings,
	// such as "groups") whose values RoleMap maps to roles.
	RoleClaim string
	// RoleMap maps a claim value to roles; see ParseRoleMap.
	RoleMap map[string][]store.RoleBinding
	// HTTPClient reaches the provider; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock ID-token expiry is checked against; time.Now when nil.
	Now func() time.Time
}

// Limits of the role map and of claims.
const (
	maxRoleMapEntries = 1000
	maxClaimValues    = 1000
	maxReturnTo       = 1024
	loginCookieMaxAge = 600 // seconds a sign-in may take at the provider
)

// ParseRoleMap reads a role map: comma-separated value=role entries, where
// role is viewer, developer, security or admin, optionally @product to
// bind it to one product (else it holds on every product). A value may
// appear more than once.
//
//	redline-admins=admin,appsec=security,shop-devs=developer@shop
func ParseRoleMap(spec string) (map[string][]store.RoleBinding, error) {
	out := map[string][]store.RoleBinding{}
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	entries := strings.Split(spec, ",")
	if len(entries) > maxRoleMapEntries {
		return nil, fmt.Errorf("role map: more than %d entries", maxRoleMapEntries)
	}
	for _, e := range entries {
		value, binding, ok := strings.Cut(strings.TrimSpace(e), "=")
		value = strings.TrimSpace(value)
		if !ok || value == "" {
			return nil, fmt.Errorf("role map entry %q: want claim-value=role or claim-value=role@product", e)
		}
		role, product, scoped := strings.Cut(strings.TrimSpace(binding), "@")
		if !scoped {
			product = store.AllProducts
		}
		r, err := store.ParseRole(role)
		if err != nil {
			return nil, fmt.Errorf("role map entry %q: %w", e, err)
		}
		if product == "" || len(product) > 256 {
			return nil, fmt.Errorf("role map entry %q: empty or overlong product", e)
		}
		out[value] = append(out[value], store.RoleBinding{Product: product, Role: r})
	}
	return out, nil
}

// oidcClient is the relying party: configured at start, discovered lazily.
type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDC(cfg OIDCConfig) (*oidcClient, error) {
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || iss.Host == "" || (iss.Scheme != "https" && iss.Scheme != "http") {
		return nil, fmt.Errorf("oidc issuer %q: want an http(s) URL", cfg.Issuer)
	}
	red, err := url.Parse(cfg.RedirectURL)
	if err != nil || red.Host == "" || (red.Scheme != "https" && red.Scheme != "http") {
		return nil, fmt.Errorf("oidc redirect URL %q: want this server's absolute http(s) URL of /auth/callback", cfg.RedirectURL)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("oidc: a client id is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &oidcClient{cfg: cfg}, nil
}

// discover fetches the provider's metadata once it is reachable.
func (o *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.cfg.HTTPClient), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("oidc discovery at %s: %w", o.cfg.Issuer, err)
	}
	scopes := []string{oidc.ScopeOpenID, "profile", "email"}
	if o.cfg.RoleClaim == "groups" {
		scopes = append(scopes, "groups")
	}
	o.oauth = &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: scopes}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now})
	return o.oauth, o.verifier, nil
}

// loginState travels in the short-lived login cookie from /auth/login to
// /auth/callback: the browser that started a sign-in must finish it.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r"`
}

// maxLoginCookie bounds the login cookie a callback reads.
const maxLoginCookie = 4096

// decodeLoginState reads the login cookie (untrusted: the browser sends
// it back).
func decodeLoginState(v string) (loginState, error) {
	var st loginState
	if len(v) > maxLoginCookie {
		return st, errors.New("login cookie too large")
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return st, fmt.Errorf("login cookie: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("login cookie: %w", err)
	}
	if st.State == "" || st.Nonce == "" || st.Verifier == "" {
		return st, errors.New("login cookie: incomplete")
	}
	st.ReturnTo = safeReturn(st.ReturnTo)
	return st, nil
}

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// safeReturn keeps a post-sign-in destination on this server: a path, not
// a URL another site could use for an open redirect.
func safeReturn(v string) string {
	if v == "" || len(v) > maxReturnTo || !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") ||
		strings.ContainsAny(v, "\\\r\n\t") || strings.HasPrefix(v, "/auth/") {
		return "/"
	}
	return v
}

// startSignInStep begins both steps of a sign-in: nothing is cached, OIDC
// must be configured, and the address must be within its rate limit. It
// answers the request itself and returns false when the step must stop.
func (s *Server) startSignInStep(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Set("Cache-Control", "no-store")
	if s.oidc == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "sign-in with OIDC is not configured on this server"})
		return false
	}
	if !s.signIn.byAddr.allow(remoteHost(r), time.Now()) {
		s.signInFailed(w, r, "", http.StatusTooManyRequests, "too many sign-in attempts from this address")
		return false
	}
	return true
}

// login starts a sign-in: it sends the browser to the provider with a
// fresh state, nonce and PKCE challenge, kept in the login cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.startSignInStep(w, r) {
		return
	}
	oc, _, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.Error("oidc discovery", "err", err)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "the sign-in provider is unreachable"})
		return
	}
	st := loginState{Verifier: oauth2.GenerateVerifier(), ReturnTo: safeReturn(r.URL.Query().Get("return_to"))}
	if st.State, err = randomString(); err == nil {
		st.Nonce, err = randomString()
	}
	if err != nil {
		s.writeError(w, r, "GET /auth/login", &call{}, err)
		return
	}
	b, _ := json.Marshal(st)
	s.setCookie(w, s.loginCookie(), base64.RawURLEncoding.EncodeToString(b), loginCookieMaxAge)
	http.Redirect(w, r, oc.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

// idClaims are the ID-token claims sign-in reads.
type idClaims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
	Name          string `json:"name"`
}

func verified(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		ok, _ := strconv.ParseBool(x)
		return ok
	}
	return false
}

// callback finishes a sign-in: it checks the state against the login
// cookie, exchanges the code with the PKCE verifier, verifies the ID token
// (signature, issuer, audience, expiry) and its nonce, records the user and
// its claim-mapped roles, and starts a session.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	if !s.startSignInStep(w, r) {
		return
	}
	s.setCookie(w, s.loginCookie(), "", -1) // one use
	var st loginState
	ck, err := r.Cookie(s.loginCookie())
	if err == nil {
		st, err = decodeLoginState(ck.Value)
	}
	q := r.URL.Query()
	switch {
	case err != nil:
		s.signInFailed(w, r, "", http.StatusBadRequest, "no sign-in in progress in this browser (or it took longer than 10 minutes)")
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1:
		s.signInFailed(w, r, "", http.StatusBadRequest, "state mismatch")
		return
	case q.Get("error") != "":
		s.signInFailed(w, r, "", http.StatusUnauthorized, "the provider refused: "+truncate(q.Get("error"), 64))
		return
	case q.Get("code") == "":
		s.signInFailed(w, r, "", http.StatusBadRequest, "no authorization code")
		return
	}
	oc, verifier, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.Error("oidc discovery", "err", err)
		s.signInFailed(w, r, "", http.StatusBadGateway, "the sign-in provider is unreachable")
		return
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), s.oidc.cfg.HTTPClient), 15*time.Second)
	defer cancel()
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		s.log.Warn("oidc code exchange", "err", err)
		s.signInFailed(w, r, "", http.StatusUnauthorized, "the provider did not accept the authorization code")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.signInFailed(w, r, "", http.StatusUnauthorized, "the provider sent no ID token")
		return
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		s.signInFailed(w, r, "", http.StatusUnauthorized, "ID token rejected: "+truncate(err.Error(), 200))
		return
	}
	account := idt.Issuer + " " + idt.Subject
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		s.signInFailed(w, r, account, http.StatusUnauthorized, "ID token nonce mismatch")
		return
	}
	if !s.signIn.byAccount.allow(account, time.Now()) {
		s.signInFailed(w, r, account, http.StatusTooManyRequests, "too many sign-ins for this account")
		return
	}
	var c idClaims
	var all map[string]any
	if err := idt.Claims(&c); err != nil {
		s.signInFailed(w, r, account, http.StatusUnauthorized, "unreadable ID token claims")
		return
	}
	if err := idt.Claims(&all); err != nil {
		s.signInFailed(w, r, account, http.StatusUnauthorized, "unreadable ID token claims")
		return
	}
	res, err := s.store.SignIn(r.Context(), store.SignIn{Issuer: idt.Issuer, Subject: idt.Subject, Email: c.Email,
		EmailVerified: verified(c.EmailVerified), Name: c.Name, Roles: s.mapRoles(all)})
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrUnauthorized) || errors.Is(err, store.ErrInvalid) {
			status = http.StatusForbidden
		} else {
			s.log.Error("sign in", "err", err)
		}
		s.signInFailed(w, r, account, status, err.Error())
		return
	}
	if old, err := r.Cookie(s.sessionCookie()); err == nil && old.Value != "" {
		// A new sign-in replaces the browser's session: end the old one.
		if err := s.store.EndSession(r.Context(), old.Value); err != nil {
			s.log.Error("end replaced session", "err", err)
		}
	}
	secret, _, err := s.store.CreateSession(r.Context(), res.User.ID, s.cfg.SessionTTL, r.RemoteAddr)
	if err != nil {
		s.log.Error("create session", "err", err)
		s.signInFailed(w, r, account, http.StatusInternalServerError, "could not start a session")
		return
	}
	s.setCookie(w, s.sessionCookie(), secret, int(s.cfg.SessionTTL/time.Second))
	u := res.User
	detail := "roles " + bindingList(u.Roles)
	if res.Created {
		detail = "first sign-in; " + detail
	}
	s.appendAudit(r, store.AuditEntry{Actor: u.Email, Action: "sign-in", Object: userObject(u.ID), Status: http.StatusOK, Detail: detail})
	for _, b := range res.Granted {
		s.appendAudit(r, store.AuditEntry{Actor: "oidc", Action: "grant role", Object: userObject(u.ID), Status: http.StatusOK,
			Detail: u.Email + " " + b.String() + " from claim " + s.oidc.cfg.RoleClaim})
	}
	for _, b := range res.Revoked {
		s.appendAudit(r, store.AuditEntry{Actor: "oidc", Action: "revoke role", Object: userObject(u.ID), Status: http.StatusOK,
			Detail: u.Email + " " + b.String() + " no longer in claim " + s.oidc.cfg.RoleClaim})
	}
	s.log.Info("signed in", "user", u.Email, "remote", r.RemoteAddr, "first", res.Created)
	http.Redirect(w, r, st.ReturnTo, http.StatusSeeOther)
}

// mapRoles maps the role claim's values to role bindings.
func (s *Server) mapRoles(claims map[string]any) []store.RoleBinding {
	if s.oidc.cfg.RoleClaim == "" || len(s.oidc.cfg.RoleMap) == 0 {
		return nil
	}
	var values []string
	switch v := claims[s.oidc.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if str, ok := x.(string); ok {
				values = append(values, str)
			}
		}
	}
	if len(values) > maxClaimValues {
		values = values[:maxClaimValues]
	}
	var out []store.RoleBinding
	for _, v := range values {
		for _, b := range s.oidc.cfg.RoleMap[v] {
			if !slices.ContainsFunc(out, func(o store.RoleBinding) bool { return o.Product == b.Product && o.Role == b.Role }) {
				out = append(out, b)
			}
		}
	}
	return out
}

// signInFailed answers a failed sign-in and records it in the audit log.
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, account string, status int, reason string) {
	s.log.Warn("sign-in failed", "remote", r.RemoteAddr, "account", account, "status", status, "reason", reason)
	s.appendAudit(r, store.AuditEntry{Actor: actorOr(account), Action: "sign-in failed", Status: status, Detail: reason})
	writeJSON(w, status, map[string]string{"error": "sign-in failed: " + reason})
}

func actorOr(account string) string {
	if account == "" {
		return "anonymous"
	}
	return account
}

func userObject(id int64) string { return "user " + strconv.FormatInt(id, 10) }

func bindingList(bs []store.RoleBinding) string {
	if len(bs) == 0 {
		return "none"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.String()
	}
	return strings.Join(parts, ",")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
