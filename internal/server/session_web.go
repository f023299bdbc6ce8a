package server

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/redline-sec/redline/internal/server/web"
)

// webAuth connects the dashboard to sign-in: the principal requireSignIn
// put in the request context, its permissions and its CSRF token.
func (s *Server) webAuth() web.Auth { return dashboardAuth{s: s} }

type dashboardAuth struct{ s *Server }

// User returns the signed-in person (or token) of a request.
func (a dashboardAuth) User(r *http.Request) (web.User, bool) {
	p, ok := principalFrom(r.Context())
	if !ok {
		return web.User{}, false
	}
	return web.User{
		Name:      p.Name,
		CanRead:   func(product string) bool { return p.Can(product, ActionRead) },
		CanTriage: func(product string) bool { return p.Can(product, ActionTriage) },
		CanAccept: func(product string) bool { return p.Can(product, ActionAccept) },
		// The same checks as the review API: answers and minutes need
		// upload, decisions approve, on the review's product.
		CanContribute: func(product string) bool { return p.Can(product, ActionUpload) },
		CanApprove:    func(product string) bool { return p.Can(product, ActionApprove) },
	}, true
}

// SignIn sends a browser to sign in and come back, or refuses a request
// that cannot follow a redirect.
func (a dashboardAuth) SignIn(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && a.s.oidc != nil {
		http.Redirect(w, r, "/auth/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in first"})
}

// CSRFToken is the token the session's forms carry.
func (a dashboardAuth) CSRFToken(r *http.Request) string {
	p, _ := principalFrom(r.Context())
	return p.CSRFToken
}

// CheckCSRF verifies a posted form's token (requireSignIn has checked it
// already for cookie requests; this keeps the dashboard safe on its own).
func (a dashboardAuth) CheckCSRF(r *http.Request) error {
	p, ok := principalFrom(r.Context())
	switch {
	case !ok:
		return errors.New("not signed in")
	case p.Kind == PrincipalToken:
		return nil // bearer tokens are not ambient credentials
	case !validCSRF(r, p.CSRFToken):
		return errors.New("missing or wrong CSRF token")
	}
	return nil
}
