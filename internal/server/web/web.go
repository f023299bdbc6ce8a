// Package web is Redline's dashboard: server-rendered HTML pages over the
// findings store (security overview with KPI tiles and trend charts, a
// findings explorer, finding detail with history, fix advice and lifecycle
// forms, targets, expiring acceptances and blocked builds). Pages are
// html/template with embedded assets and server-drawn SVG charts; they need
// no JavaScript and no CDN, and every page requires a signed-in person.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/store"
)

// Prefix is the path the dashboard is mounted under; every URL it serves
// and links to starts with it.
const Prefix = "/ui/"

// CSRFField is the name of the form field that carries the CSRF token.
const CSRFField = "csrf_token"

//go:embed templates/*.html
var templateFS embed.FS

// styleCSS is the dashboard's one stylesheet.
//
//go:embed static/style.css
var styleCSS []byte

// pages are the parsed page templates, by name. The templates are part of
// the binary, so a parse error is a build defect: the package's tests
// parse them, and init fails loudly instead of serving broken pages.
var pages = mustParsePages()

// Auth is what the dashboard needs from sign-in: who is signed in, how to
// send someone to sign in, and the CSRF token a session's forms carry.
type Auth interface {
	// User returns the signed-in person making r; false when there is none.
	User(r *http.Request) (User, bool)
	// SignIn answers a request from someone not signed in, usually with a
	// redirect to the sign-in page that comes back to r's URL.
	SignIn(w http.ResponseWriter, r *http.Request)
	// CSRFToken returns the token a form posted in r's session must carry
	// in the CSRFField field.
	CSRFToken(r *http.Request) string
	// CheckCSRF verifies the CSRF token of a posted form (the form is
	// already parsed); an error rejects the post.
	CheckCSRF(r *http.Request) error
}

// User is a signed-in person.
type User struct {
	// Name identifies the person in the audit log and a finding's history.
	Name string
	// CanRead reports whether the person may see the findings, targets
	// and KPIs of a product; CanRead(store.AllProducts) is true for
	// someone who reads every product. Nil allows nothing.
	CanRead func(product string) bool
	// CanTriage reports whether the person may move findings of a product
	// between open, in triage and false positive. Nil allows nothing.
	CanTriage func(product string) bool
	// CanAccept reports whether the person may accept the risk of findings
	// of a product. Nil allows nothing.
	CanAccept func(product string) bool
	// CanContribute reports whether the person may answer checklist items
	// and add minutes to reviews of a product. Nil allows nothing.
	CanContribute func(product string) bool
	// CanApprove reports whether the person may approve or reject reviews
	// of a product (the security role). Nil allows nothing.
	CanApprove func(product string) bool
}

func (u User) canRead(product string) bool   { return u.CanRead != nil && u.CanRead(product) }
func (u User) canTriage(product string) bool { return u.CanTriage != nil && u.CanTriage(product) }
func (u User) canAccept(product string) bool { return u.CanAccept != nil && u.CanAccept(product) }
func (u User) canContribute(product string) bool {
	return u.CanContribute != nil && u.CanContribute(product)
}
func (u User) canApprove(product string) bool { return u.CanApprove != nil && u.CanApprove(product) }

// Config configures the dashboard.
type Config struct {
	// Store is required.
	Store store.Store
	// Auth signs people in; with none, every page answers 401.
	Auth Auth
	// SLA is the SLA per severity of the overview; DefaultSLA when zero.
	SLA store.SLA
	// Logger receives problems; a discarding logger when nil.
	Logger *slog.Logger
	// Now is the clock of the pages (expiry windows, form defaults);
	// time.Now when nil.
	Now func() time.Time
	// ReviewDecided, when set, is told of each review approved or
	// rejected on the dashboard (the server sends it to the review webhook).
	ReviewDecided func(ctx context.Context, rv *review.Review, a review.Action)
	// Audit, when set, records the audit entry of a form post (what was
	// acted on, the outcome); each post makes exactly one call. The server
	// uses it to write the request's only audit entry. When nil, entries
	// go to Store directly.
	Audit func(r *http.Request, e store.AuditEntry)
}

// Dashboard serves the web pages. Make one with New.
type Dashboard struct {
	cfg Config
	mux *http.ServeMux
	// diagrams caches rendered review diagrams; ruleLayers maps built-in
	// threat rules to their layers (both for the review pages).
	diagrams   *diagramCache
	ruleLayers map[string]string
}

// New builds the dashboard over cfg.Store, which must not be nil.
func New(cfg Config) *Dashboard {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SLA == (store.SLA{}) {
		cfg.SLA = store.DefaultSLA()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Auth == nil {
		cfg.Auth = noAuth{}
	}
	d := &Dashboard{cfg: cfg, mux: http.NewServeMux(), diagrams: newDiagramCache(diagramCacheEntries, diagramCacheBytes), ruleLayers: ruleLayers()}
	d.mux.HandleFunc("GET "+Prefix+"static/style.css", serveCSS)
	d.mux.Handle("GET "+Prefix+"{$}", d.page(d.overview))
	d.mux.Handle("GET "+Prefix+"findings", d.page(d.findings))
	d.mux.Handle("GET "+Prefix+"findings/{id}", d.page(d.finding))
	d.mux.Handle("POST "+Prefix+"findings/{id}/state", d.page(d.changeState))
	d.mux.Handle("GET "+Prefix+"targets", d.page(d.targets))
	d.mux.Handle("GET "+Prefix+"exceptions", d.page(d.exceptions))
	d.mux.Handle("GET "+Prefix+"blocked", d.page(d.blocked))
	d.reviewRoutes()
	d.mux.Handle(Prefix, d.page(func(http.ResponseWriter, *http.Request, User) error {
		return &pageError{status: http.StatusNotFound, msg: "There is no such page."}
	}))
	return d
}

// ServeHTTP serves the dashboard.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// noAuth signs nobody in.
type noAuth struct{}

func (noAuth) User(*http.Request) (User, bool) { return User{}, false }
func (noAuth) SignIn(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "sign-in is not configured on this server", http.StatusUnauthorized)
}
func (noAuth) CSRFToken(*http.Request) string { return "" }
func (noAuth) CheckCSRF(*http.Request) error  { return errors.New("sign-in is not configured") }

// serveCSS serves the stylesheet with a day of caching.
func serveCSS(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(w, r, "style.css", time.Time{}, bytes.NewReader(styleCSS))
}

// setSecurityHeaders allows the pages nothing but their own stylesheet:
// no script, no frames, forms only to this origin.
func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

// pageFunc renders one page for a signed-in user, or returns an error.
type pageFunc func(w http.ResponseWriter, r *http.Request, u User) error

// pageError is an error with the status and message the person sees.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

// page adds sign-in, security headers and error pages around a pageFunc.
func (d *Dashboard) page(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		u, ok := d.cfg.Auth.User(r)
		if !ok {
			d.cfg.Auth.SignIn(w, r)
			return
		}
		if err := fn(w, r, u); err != nil {
			d.fail(w, r, u, err)
		}
	})
}

// fail renders the error page.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, u User, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong on the server; the problem is logged."
	var pe *pageError
	switch {
	case errors.As(err, &pe):
		status, msg = pe.status, pe.msg
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	case errors.Is(err, store.ErrInvalid):
		status, msg = http.StatusBadRequest, err.Error()
	}
	if status >= 500 {
		d.cfg.Logger.Error("dashboard page failed", "path", r.URL.Path, "user", u.Name, "err", err)
	}
	d.render(w, r, status, "error", &errorPage{base: d.base(r, u, "Error"), Status: status, Message: msg})
}

// base is what every page's layout needs.
type base struct {
	Title string
	User  string
	// Nav is the current section, to mark its link.
	Nav  string
	CSRF string
}

func (d *Dashboard) base(r *http.Request, u User, title string) base {
	return base{Title: title, User: u.Name, CSRF: d.cfg.Auth.CSRFToken(r)}
}

type errorPage struct {
	base
	Status  int
	Message string
}

// render executes a page template into a buffer first, so a template
// error never leaves half a page.
func (d *Dashboard) render(w http.ResponseWriter, _ *http.Request, status int, name string, data any) {
	t, ok := pages[name]
	var buf bytes.Buffer
	if !ok {
		d.cfg.Logger.Error("dashboard: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		d.cfg.Logger.Error("dashboard: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"overview", "findings", "finding", "targets", "exceptions", "blocked", "error", "reviews", "review"}

func mustParsePages() map[string]*template.Template {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, n := range pageNames {
		pages[n] = template.Must(template.New(n).Funcs(funcs).Funcs(reviewFuncs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return pages
}
