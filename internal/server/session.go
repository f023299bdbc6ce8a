package server

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/redline-sec/redline/internal/store"
)

// Defaults of the session settings in Config.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSessionIdle = time.Hour
)

// SessionCookieName is the name of the session cookie: with the __Host-
// prefix (the browser then insists on Secure, Path=/ and no Domain), or
// without it in dev mode (plain HTTP on loopback).
func SessionCookieName(devCookies bool) string {
	if devCookies {
		return "redline_session"
	}
	return "__Host-redline_session"
}

func (s *Server) sessionCookie() string { return SessionCookieName(s.cfg.DevCookies) }

func (s *Server) loginCookie() string {
	if s.cfg.DevCookies {
		return "redline_login"
	}
	return "__Host-redline_login"
}

// setCookie sets (maxAge > 0) or clears (maxAge < 0) a cookie of ours.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: !s.cfg.DevCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// csrfToken derives the synchronizer token of a session from its secret,
// so nothing more is stored and the token dies with the session.
func csrfToken(sessionSecret string) string {
	m := hmac.New(sha256.New, []byte(sessionSecret))
	m.Write([]byte("redline csrf token v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// remoteHost is the address part of a request's remote address.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// requireSignIn authenticates a request (session cookie or API token) for a
// handler outside the API, such as a dashboard page, and puts the
// principal in its context. A browser that is not signed in is sent to
// sign in (GET) or refused (anything else); a mutating cookie request needs
// the session's CSRF token. Every mutating request makes exactly one audit
// entry: the handler's own (through auditHandled, with what it acted on),
// or else a generic one written here (refused or unhandled requests).
func (s *Server) requireSignIn(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := &statusWriter{ResponseWriter: rw}
		w.Header().Set("Cache-Control", "no-store")
		p, err := s.authenticate(r)
		if err == nil && !p.CanAny(ActionRead) {
			err = errorf(http.StatusForbidden, "%s holds no role yet: ask an admin for one", p.Name)
		}
		note := &auditNote{}
		switch {
		case err == nil:
			h.ServeHTTP(w, r.WithContext(context.WithValue(withPrincipal(r.Context(), p), auditNoteKey{}, note)))
		case r.Method == http.MethodGet && p.Name == "" && s.oidc != nil:
			http.Redirect(w, r, "/auth/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		default:
			s.writeError(w, r, r.URL.Path, &call{principal: p}, err)
		}
		if mutating(r.Method) && !note.written {
			status := w.status
			if status == 0 {
				status = http.StatusOK
			}
			s.appendAudit(r, store.AuditEntry{Actor: actorOf(p), Action: r.Method + " " + r.URL.Path, Status: status})
		}
	})
}

// auditNote records whether the handler behind requireSignIn wrote the
// request's audit entry itself.
type auditNote struct{ written bool }

type auditNoteKey struct{}

// auditHandled writes the audit entry a handler behind requireSignIn made
// for its request (the dashboard's form posts), in place of the generic
// entry requireSignIn would write.
func (s *Server) auditHandled(r *http.Request, e store.AuditEntry) {
	s.appendAudit(r, e)
	if n, ok := r.Context().Value(auditNoteKey{}).(*auditNote); ok {
		n.written = true
	}
}

func actorOf(p Principal) string {
	if p.Name == "" {
		return "anonymous"
	}
	return p.Name
}

// appendAudit appends an entry, filling in the remote address; the entry is
// written even when the client has gone.
func (s *Server) appendAudit(r *http.Request, e store.AuditEntry) {
	if e.Remote == "" {
		e.Remote = r.RemoteAddr
	}
	if err := s.store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("audit log", "err", err, "action", e.Action, "actor", e.Actor)
	}
}

// authRoutes registers sign-in, sign-out and the session endpoint.
func (s *Server) authRoutes() {
	s.mux.HandleFunc("GET /auth/login", s.login)
	s.mux.HandleFunc("GET /auth/callback", s.callback)
	s.mux.HandleFunc("POST /auth/logout", s.logout)
	s.mux.HandleFunc("GET /auth/session", s.session)
}

// SessionInfo is the body of GET /auth/session: who is signed in, and the
// CSRF token their mutating requests must carry.
type SessionInfo struct {
	Kind      string              `json:"kind"`
	Name      string              `json:"name"`
	UserID    int64               `json:"user_id,omitempty"`
	Email     string              `json:"email,omitempty"`
	Display   string              `json:"display_name,omitempty"`
	Roles     []store.RoleBinding `json:"roles"`
	CSRFToken string              `json:"csrf_token,omitempty"`
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, "GET /auth/session", &call{principal: p}, err)
		return
	}
	roles := p.Roles
	if roles == nil {
		roles = []store.RoleBinding{}
	}
	writeJSON(w, http.StatusOK, SessionInfo{Kind: p.Kind, Name: p.Name, UserID: p.UserID, Email: p.Email, Display: p.DisplayName,
		Roles: roles, CSRFToken: p.CSRFToken})
}

// logout ends the session of the cookie (the request needs its CSRF
// token, so another site cannot sign a user out).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p, err := s.authenticate(r)
	if err == nil && p.Kind != PrincipalUser {
		err = errorf(http.StatusBadRequest, "sign-out ends a browser session; revoke a token instead")
	}
	if err != nil {
		s.writeError(w, r, "POST /auth/logout", &call{principal: p}, err)
		s.appendAudit(r, store.AuditEntry{Actor: actorOf(p), Action: "sign-out", Status: http.StatusForbidden, Detail: err.Error()})
		return
	}
	if err := s.store.EndSession(r.Context(), p.session); err != nil {
		s.writeError(w, r, "POST /auth/logout", &call{principal: p}, err)
		return
	}
	s.setCookie(w, s.sessionCookie(), "", -1)
	s.appendAudit(r, store.AuditEntry{Actor: p.Name, Action: "sign-out", Object: userObject(p.UserID), Status: http.StatusOK})
	s.log.Info("signed out", "user", p.Name, "remote", r.RemoteAddr)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed out"})
}

// Sign-in rate limits: per remote address, and per account.
const (
	signInPerAddr       = rate.Limit(10.0 / 60) // 10 a minute
	signInAddrBurst     = 20
	signInPerAccount    = rate.Limit(5.0 / 60) // 5 a minute
	signInAccountBurst  = 10
	signInLimiterMaxKey = 10000
)

// signInLimits are the rate limits of sign-in attempts.
type signInLimits struct {
	byAddr, byAccount *keyedLimiter
}

func newSignInLimits() signInLimits {
	return signInLimits{
		byAddr:    newKeyedLimiter(signInPerAddr, signInAddrBurst, signInLimiterMaxKey),
		byAccount: newKeyedLimiter(signInPerAccount, signInAccountBurst, signInLimiterMaxKey),
	}
}

// keyedLimiter is a token bucket per key with bounded memory: past max
// keys, the least recently used bucket is forgotten (a forgotten key starts
// again with a full bucket, so the bound trades a little precision under
// an attack from very many addresses for memory).
type keyedLimiter struct {
	limit rate.Limit
	burst int
	max   int

	mu   sync.Mutex
	lru  *list.List // of *limiterEntry, most recent first
	keys map[string]*list.Element
}

type limiterEntry struct {
	key string
	lim *rate.Limiter
}

func newKeyedLimiter(limit rate.Limit, burst, max int) *keyedLimiter {
	return &keyedLimiter{limit: limit, burst: burst, max: max, lru: list.New(), keys: map[string]*list.Element{}}
}

// allow takes a token from key's bucket and reports whether there was one.
func (k *keyedLimiter) allow(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if el, ok := k.keys[key]; ok {
		k.lru.MoveToFront(el)
		return el.Value.(*limiterEntry).lim.AllowN(now, 1)
	}
	if k.lru.Len() >= k.max {
		old := k.lru.Back()
		k.lru.Remove(old)
		delete(k.keys, old.Value.(*limiterEntry).key)
	}
	e := &limiterEntry{key: key, lim: rate.NewLimiter(k.limit, k.burst)}
	k.keys[key] = k.lru.PushFront(e)
	return e.lim.AllowN(now, 1)
}

// len is how many keys the limiter remembers.
func (k *keyedLimiter) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lru.Len()
}
