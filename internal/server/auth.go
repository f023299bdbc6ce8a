package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// Action is something a principal may be allowed to do on a product.
type Action string

// The actions, and the least role each needs on the product (or on every
// product, store.AllProducts):
//
//	read     viewer     products, targets, findings, blocked builds, KPIs
//	upload   developer  upload scan reports
//	triage   developer  move a finding to in_triage, false_positive or open
//	accept   security   accept a risk (with owner, reason and expiry)
//	approve  security   approve or reject a design review
//	admin    admin      API tokens, users and roles, the audit log
//
// API tokens keep their scopes: read allows read, upload allows upload and
// admin allows everything; a token bound to a product acts only on it.
const (
	ActionRead    Action = "read"
	ActionUpload  Action = "upload"
	ActionTriage  Action = "triage"
	ActionAccept  Action = "accept"
	ActionApprove Action = "approve"
	ActionAdmin   Action = "admin"
)

// leastRole is the role matrix: the least role allowing each action.
var leastRole = map[Action]store.Role{
	ActionRead:    store.RoleViewer,
	ActionUpload:  store.RoleDeveloper,
	ActionTriage:  store.RoleDeveloper,
	ActionAccept:  store.RoleSecurity,
	ActionApprove: store.RoleSecurity,
	ActionAdmin:   store.RoleAdmin,
}

// Kinds of principal.
const (
	PrincipalUser  = "user"
	PrincipalToken = "token"
)

// Principal is who is making a request: a person signed in with a session,
// or an API token.
type Principal struct {
	// Kind is PrincipalUser or PrincipalToken.
	Kind string
	// Name is the actor recorded in the audit log and finding history: the
	// user's email or the token's name.
	Name string
	// UserID, Email, DisplayName and Roles describe a user.
	UserID      int64
	Email       string
	DisplayName string
	Roles       []store.RoleBinding
	// Token is the API token of a token principal.
	Token store.Token
	// CSRFToken is the token a mutating request of this session must carry
	// (header X-CSRF-Token or form field csrf_token); empty for tokens.
	CSRFToken string

	session string // the session secret, for sign-out
}

// Can reports whether the principal may do a on product; product
// store.AllProducts asks about every product at once (a global role).
func (p Principal) Can(product string, a Action) bool {
	switch p.Kind {
	case PrincipalToken:
		if p.Token.Product != "" && p.Token.Product != product {
			return false
		}
		return tokenAllows(p.Token, a)
	case PrincipalUser:
		for _, b := range p.Roles {
			if (b.Product == product || b.Product == store.AllProducts) && roleAllows(b.Role, a) {
				return true
			}
		}
	}
	return false
}

// CanAny reports whether the principal may do a on at least one product.
func (p Principal) CanAny(a Action) bool {
	switch p.Kind {
	case PrincipalToken:
		return tokenAllows(p.Token, a)
	case PrincipalUser:
		for _, b := range p.Roles {
			if roleAllows(b.Role, a) {
				return true
			}
		}
	}
	return false
}

// HasRole reports whether a user holds role r (or a higher one) on product,
// directly or globally. Tokens hold no roles.
func (p Principal) HasRole(product string, r store.Role) bool {
	for _, b := range p.Roles {
		if (b.Product == product || b.Product == store.AllProducts) && b.Role.Rank() >= r.Rank() {
			return true
		}
	}
	return false
}

func roleAllows(r store.Role, a Action) bool {
	least, ok := leastRole[a]
	return ok && r.Rank() >= least.Rank()
}

func tokenAllows(t store.Token, a Action) bool {
	switch a {
	case ActionRead:
		return t.Has(store.ScopeRead)
	case ActionUpload:
		return t.Has(store.ScopeUpload)
	}
	return t.Has(store.ScopeAdmin)
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the authenticated principal of a request context.
func principalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// routeActions names the routes whose permission depends on the product
// they touch: the route only needs the action on some product, and the
// handler checks the product itself. Other routes map their token scope:
// read and upload on some product, admin on every product.
var routeActions = map[string]Action{
	"POST /api/v1/findings/{id}/state":  ActionTriage,
	"POST /api/v1/reviews/{id}/approve": ActionApprove,
	"POST /api/v1/reviews/{id}/reject":  ActionApprove,
	"POST /api/v1/standards":            ActionApprove, // the handler needs it on every product
}

func routeAction(rt route) (Action, bool) {
	if a, ok := routeActions[rt.method+" "+rt.path]; ok {
		return a, true
	}
	switch rt.scope {
	case store.ScopeRead:
		return ActionRead, true
	case store.ScopeUpload:
		return ActionUpload, true
	}
	return ActionAdmin, false
}

// authenticate finds the principal of a request: an API token in the
// Authorization header, else a session cookie. A mutating request
// authenticated by the cookie must carry the session's CSRF token; bearer
// tokens are not ambient credentials, so they need none.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			return Principal{}, errorf(http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
		}
		tok, err := s.store.Authenticate(r.Context(), strings.TrimSpace(secret))
		if errors.Is(err, store.ErrUnauthorized) {
			return Principal{}, errorf(http.StatusUnauthorized, "invalid or revoked token")
		}
		if err != nil {
			return Principal{}, err
		}
		return Principal{Kind: PrincipalToken, Name: tok.Name, Token: tok}, nil
	}
	ck, err := r.Cookie(s.sessionCookie())
	if err != nil || ck.Value == "" {
		return Principal{}, errorf(http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token> or sign in")
	}
	_, u, err := s.store.SessionUser(r.Context(), ck.Value, s.cfg.SessionIdle)
	if errors.Is(err, store.ErrUnauthorized) {
		return Principal{}, errorf(http.StatusUnauthorized, "session expired or ended: sign in again")
	}
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Kind: PrincipalUser, Name: u.Email, UserID: u.ID, Email: u.Email, DisplayName: u.Name, Roles: u.Roles,
		CSRFToken: csrfToken(ck.Value), session: ck.Value}
	if mutating(r.Method) && !validCSRF(r, p.CSRFToken) {
		return p, errorf(http.StatusForbidden, "missing or wrong CSRF token (send the session's token in X-CSRF-Token)")
	}
	return p, nil
}

// validCSRF checks the request's CSRF token: the X-CSRF-Token header, or
// the csrf_token field of a form post.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		got = r.PostFormValue("csrf_token")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authorize authenticates a request and checks the route's permission.
func (s *Server) authorize(r *http.Request, rt route, c *call) error {
	if rt.scope == "" {
		return nil
	}
	p, err := s.authenticate(r)
	c.principal = p
	c.token = p.Token
	if err != nil {
		return err
	}
	a, anyProduct := routeAction(rt)
	if anyProduct && !p.CanAny(a) || !anyProduct && !p.Can(store.AllProducts, a) {
		if p.Kind == PrincipalToken {
			return errorf(http.StatusForbidden, "token %q lacks the %s scope", p.Name, rt.scope)
		}
		return errorf(http.StatusForbidden, "%s may not %s here (role needed: %s)", p.Name, a, leastRole[a])
	}
	return nil
}

// needOn checks that the caller may do a on product; an empty product
// means every product, which needs a global role (or an unbound token).
func needOn(c *call, product string, a Action) error {
	if product == "" {
		product = store.AllProducts
	}
	if c.principal.Can(product, a) {
		return nil
	}
	if product == store.AllProducts {
		return errorf(http.StatusForbidden, "%s may %s only some products: name one with ?product=", c.principal.Name, a)
	}
	return errorf(http.StatusForbidden, "%s may not %s product %q", c.principal.Name, a, product)
}

// actor is the name recorded for the caller.
func (c *call) actor() string {
	if c.principal.Name == "" {
		return "anonymous"
	}
	return c.principal.Name
}

// checkUpload checks that the caller may upload a scan of tg to product. An
// upload naming a product moves an existing target there, so a caller
// limited to some products also needs upload on the target's current
// product.
func (s *Server) checkUpload(ctx context.Context, c *call, product string, tg finding.Target) error {
	if err := needOn(c, product, ActionUpload); err != nil {
		return err
	}
	if c.principal.Can(store.AllProducts, ActionUpload) {
		return nil
	}
	ts, err := s.store.Targets(ctx, "")
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Kind == tg.Kind && t.Name == tg.Name && t.Product != product && !c.principal.Can(t.Product, ActionUpload) {
			return errorf(http.StatusForbidden, "%s may not move target %s from product %q", c.principal.Name, tg.Name, t.Product)
		}
	}
	return nil
}
