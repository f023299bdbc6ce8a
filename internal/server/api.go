package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/server/web"
	"github.com/redline-sec/redline/internal/store"
)

//go:embed openapi.json
var openAPIDocument []byte

// route is one API endpoint; routes() registers them and the OpenAPI test
// checks the document against this list.
type route struct {
	method, path string
	// scope the token needs; "" for the unauthenticated health probes.
	scope string
	fn    apiFunc
}

// apiFunc handles one authenticated request. It writes the response on
// success and returns an error otherwise (an *apiError, or a store error
// mapped to a status).
type apiFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// call is the state of one request the audit log and the request log need.
type call struct {
	// principal is who calls (see auth.go); token is its API token, if any.
	principal Principal
	token     store.Token
	object    string // what was acted on: scan id, finding id, token id
	detail    string // a short note: the new state, the error
}

// apiError is an error with the status and message the client gets.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) apiRoutes() []route {
	return append([]route{
		{"GET", "/healthz", "", s.healthz},
		{"GET", "/readyz", "", s.readyz},
		{"GET", "/metrics", store.ScopeRead, s.metricsHandler},
		{"GET", "/api/v1/openapi.json", store.ScopeRead, s.openapi},
		{"POST", "/api/v1/scans", store.ScopeUpload, s.upload},
		{"GET", "/api/v1/products", store.ScopeRead, s.products},
		{"GET", "/api/v1/targets", store.ScopeRead, s.targets},
		{"GET", "/api/v1/findings", store.ScopeRead, s.findings},
		{"GET", "/api/v1/findings/{id}", store.ScopeRead, s.finding},
		{"POST", "/api/v1/findings/{id}/state", store.ScopeAdmin, s.changeState},
		{"GET", "/api/v1/blocked-builds", store.ScopeRead, s.blockedBuilds},
		{"GET", "/api/v1/kpis", store.ScopeRead, s.kpis},
		{"GET", "/api/v1/tokens", store.ScopeAdmin, s.tokens},
		{"POST", "/api/v1/tokens", store.ScopeAdmin, s.createToken},
		{"DELETE", "/api/v1/tokens/{id}", store.ScopeAdmin, s.revokeToken},
		{"GET", "/api/v1/audit", store.ScopeAdmin, s.audit},
	}, slices.Concat(s.reviewRoutes(), s.userRoutes(), s.standardRoutes())...)
}

func (s *Server) routes() {
	for _, rt := range s.apiRoutes() {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.Handle(web.Prefix, s.requireSignIn(web.New(web.Config{Store: s.store, Auth: s.webAuth(), SLA: s.cfg.SLA, Logger: s.log,
		ReviewDecided: s.notifyReview, Audit: s.auditHandled})))
	// Anything else still needs a valid token before it learns it is not there.
	s.mux.Handle("/", s.wrap(route{method: "", path: "/", scope: store.ScopeRead, fn: func(http.ResponseWriter, *http.Request, *call) error {
		return errorf(http.StatusNotFound, "no such endpoint")
	}}))
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func mutating(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// wrap adds authentication, error mapping, metrics, the request log and the
// audit log around a route.
func (s *Server) wrap(rt route) http.Handler {
	name := rt.path
	if rt.method != "" {
		name = rt.method + " " + rt.path
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()
		w := &statusWriter{ResponseWriter: rw}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		c := &call{}
		err := s.authorize(r, rt, c)
		if err == nil {
			r = r.WithContext(withPrincipal(r.Context(), c.principal))
			err = rt.fn(w, r, c)
		}
		if err != nil {
			s.writeError(w, r, name, c, err)
		}
		status := w.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(name, r.Method, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
		actor := c.actor()
		if rt.scope != "" {
			attrs := []any{"method", r.Method, "route", name, "status", status, "actor", actor,
				"remote", r.RemoteAddr, "duration_ms", time.Since(start).Milliseconds()}
			if peer, ok := peerFrom(r.Context()); ok {
				attrs = append(attrs, "peer", peer)
			}
			s.log.Info("request", attrs...)
		}
		if mutating(r.Method) {
			e := store.AuditEntry{Actor: actor, Action: r.Method + " " + rt.path, Object: c.object, Remote: r.RemoteAddr, Status: status, Detail: c.detail}
			// The audit entry is written even when the client has gone.
			if err := s.store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
				s.log.Error("audit log", "err", err, "action", e.Action, "actor", actor)
			}
		}
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, route string, c *call, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	var ae *apiError
	var br *badReport
	switch {
	case errors.As(err, &ae):
		status, msg = ae.status, ae.msg
	case errors.As(err, &br):
		status, msg = http.StatusBadRequest, br.msg
	case errors.Is(err, store.ErrInvalid):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, store.ErrUnauthorized):
		status, msg = http.StatusUnauthorized, "unauthorized"
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		s.log.Warn("access denied", "method", r.Method, "route", route, "status", status, "actor", c.actor(),
			"remote", r.RemoteAddr, "reason", msg)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="redline"`)
		}
	case status >= 500:
		s.log.Error("request failed", "method", r.Method, "route", route, "err", err)
	}
	c.detail = msg
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decodeBody reads a small JSON request body strictly: one object, known
// fields only.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "request body larger than 64 KiB")
		}
		return errorf(http.StatusBadRequest, "malformed request body: %s", jsonError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "malformed request body: data after the JSON object")
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ *call) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ *call) error {
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDocument)
	return nil
}

// scanIDPattern is what a client-chosen scan id may look like.
var scanIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

func checkName(what, v string, max int) error {
	if len(v) > max {
		return errorf(http.StatusBadRequest, "%s longer than %d bytes", what, max)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return errorf(http.StatusBadRequest, "%s holds a control or invisible character", what)
		}
	}
	return nil
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	product := q.Get("product")
	if err := checkName("product", product, 256); err != nil {
		return err
	}
	scanID := q.Get("scan_id")
	if scanID == "" {
		scanID = r.Header.Get("Idempotency-Key")
	}
	if scanID != "" && !scanIDPattern.MatchString(scanID) {
		return errorf(http.StatusBadRequest, "scan_id must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errorf(http.StatusUnsupportedMediaType, "send the JSON report with Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload))
	if err != nil {
		s.metrics.uploads.WithLabelValues("rejected").Inc()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "report larger than the %d bytes this server accepts", s.cfg.MaxUpload)
		}
		return errorf(http.StatusBadRequest, "read report: %v", err)
	}
	scan, err := decodeReport(body)
	if err != nil {
		s.metrics.uploads.WithLabelValues("rejected").Inc()
		return err
	}
	if scanID == "" {
		// Without a client id the content names the upload: the same
		// bytes uploaded twice are one scan.
		scanID = "sha256-" + scan.ReportSHA256
	}
	if product == "" && c.token.Product != "" {
		product = c.token.Product // a product-bound token uploads to its product
	}
	if err := s.checkUpload(r.Context(), c, product, scan.Target); err != nil {
		return err
	}
	scan.ID, scan.Product, scan.Actor = scanID, product, c.actor()
	c.object = "scan " + scanID
	// The body is in: finish the ingest even if the client goes away, so
	// a retry with the same scan id finds it done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
	defer cancel()
	res, err := s.store.Ingest(ctx, scan)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			s.metrics.uploads.WithLabelValues("rejected").Inc()
		} else {
			s.metrics.uploads.WithLabelValues("failed").Inc()
		}
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
		s.metrics.uploads.WithLabelValues("duplicate").Inc()
	} else {
		s.metrics.uploads.WithLabelValues("new").Inc()
		s.metrics.ingested.Add(float64(res.Findings))
		if res.New > 0 {
			s.kickAlerts()
		}
	}
	c.detail = fmt.Sprintf("target %d: %d findings, %d new, %d fixed, %d reopened", res.TargetID, res.Findings, res.New, res.Fixed, res.Reopened)
	writeJSON(w, status, res)
	return nil
}

func (s *Server) products(w http.ResponseWriter, r *http.Request, c *call) error {
	all, err := s.store.Products(r.Context())
	if err != nil {
		return err
	}
	ps := all[:0]
	for _, p := range all {
		if c.principal.Can(p.Name, ActionRead) {
			ps = append(ps, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": ps})
	return nil
}

func (s *Server) targets(w http.ResponseWriter, r *http.Request, c *call) error {
	product := r.URL.Query().Get("product")
	if product != "" {
		if err := needOn(c, product, ActionRead); err != nil {
			return err
		}
	}
	all, err := s.store.Targets(r.Context(), product)
	if err != nil {
		return err
	}
	ts := all[:0]
	for _, t := range all {
		if c.principal.Can(t.Product, ActionRead) {
			ts = append(ts, t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"targets": ts})
	return nil
}

// listParam returns the values of a repeatable, comma-separable parameter.
func listParam(q map[string][]string, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// FindingQueryFromParams reads the finding-list filters from URL query
// parameters (product, target, state, severity, kind, q, cursor, limit).
func FindingQueryFromParams(q map[string][]string) (store.FindingQuery, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	fq := store.FindingQuery{Product: get("product"), Text: get("q"), Cursor: get("cursor")}
	if v := get("target"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return fq, errorf(http.StatusBadRequest, "target must be a target id")
		}
		fq.TargetID = id
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return fq, errorf(http.StatusBadRequest, "limit must be 1 to %d", store.MaxPageSize)
		}
		fq.Limit = n
	}
	for _, v := range listParam(q, "state") {
		st, err := store.ParseState(v)
		if err != nil {
			return fq, errorf(http.StatusBadRequest, "%v", err)
		}
		fq.States = append(fq.States, st)
	}
	for _, v := range listParam(q, "severity") {
		sev, err := finding.ParseSeverity(v)
		if err != nil || v == "" {
			return fq, errorf(http.StatusBadRequest, "severity %q: want critical, high, medium, low or unknown", v)
		}
		fq.Severities = append(fq.Severities, sev)
	}
	for _, v := range listParam(q, "kind") {
		if !knownKinds[finding.Kind(v)] {
			return fq, errorf(http.StatusBadRequest, "unknown kind %q", v)
		}
		fq.Kinds = append(fq.Kinds, finding.Kind(v))
	}
	if len(fq.States) > 10 || len(fq.Severities) > 10 || len(fq.Kinds) > 20 {
		return fq, errorf(http.StatusBadRequest, "too many filter values")
	}
	return fq, nil
}

func (s *Server) findings(w http.ResponseWriter, r *http.Request, c *call) error {
	fq, err := FindingQueryFromParams(r.URL.Query())
	if err != nil {
		return err
	}
	if err := needOn(c, fq.Product, ActionRead); err != nil {
		return err
	}
	page, err := s.store.Findings(r.Context(), fq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusBadRequest, "id must be a positive number")
	}
	return id, nil
}

func (s *Server) finding(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	det, err := s.store.Finding(r.Context(), id)
	if err != nil {
		return err
	}
	if !c.principal.Can(det.Product, ActionRead) {
		return fmt.Errorf("finding %d: %w", id, store.ErrNotFound) // do not tell what exists
	}
	writeJSON(w, http.StatusOK, det)
	return nil
}

// StateChange is the body of POST /api/v1/findings/{id}/state.
type StateChange struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
	// Owner and Until are required to accept a risk. Until is a date
	// (YYYY-MM-DD, the acceptance holds through that UTC day) or an RFC
	// 3339 time.
	Owner string `json:"owner,omitempty"`
	Until string `json:"until,omitempty"`
}

// ParseUntil reads an expiry: a YYYY-MM-DD date holds through the end of
// that UTC day; an RFC 3339 time is taken as is.
func ParseUntil(v string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a YYYY-MM-DD date nor an RFC 3339 time", v)
	}
	return t.UTC(), nil
}

func (s *Server) changeState(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c.object = "finding " + strconv.FormatInt(id, 10)
	var body StateChange
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	st, err := store.ParseState(body.State)
	if err != nil {
		return err
	}
	cur, err := s.store.Finding(r.Context(), id)
	if err != nil {
		return err
	}
	if !c.principal.Can(cur.Product, ActionRead) {
		return fmt.Errorf("finding %d: %w", id, store.ErrNotFound) // do not tell what exists
	}
	need := ActionTriage
	if st == store.StateAccepted {
		need = ActionAccept
	}
	if err := needOn(c, cur.Product, need); err != nil {
		return err
	}
	ch := store.Change{To: st, Actor: c.actor(), Reason: body.Reason, Owner: body.Owner}
	if st == store.StateAccepted && ch.Owner == "" {
		ch.Owner = c.actor() // whoever accepts answers for it unless they name someone
	}
	if body.Until != "" {
		if ch.Until, err = ParseUntil(body.Until); err != nil {
			return errorf(http.StatusBadRequest, "until: %v", err)
		}
	}
	c.detail = "to " + string(st)
	f, err := s.store.Transition(r.Context(), id, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// parseTime reads a since/until parameter: YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errorf(http.StatusBadRequest, "%s %q: want YYYY-MM-DD or an RFC 3339 time", name, v)
	}
	return t, nil
}

func (s *Server) blockedBuilds(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if err := needOn(c, q.Get("product"), ActionRead); err != nil {
		return err
	}
	since, err := parseTime("since", q.Get("since"))
	if err != nil {
		return err
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > store.MaxPageSize {
			return errorf(http.StatusBadRequest, "limit must be 1 to %d", store.MaxPageSize)
		}
	}
	bb, err := s.store.BlockedBuilds(r.Context(), store.BlockedQuery{Product: q.Get("product"), Since: since, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocked_builds": bb})
	return nil
}

func (s *Server) kpis(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if err := needOn(c, q.Get("product"), ActionRead); err != nil {
		return err
	}
	kq := store.KPIQuery{Product: q.Get("product"), Names: listParam(q, "kpi"), SLA: s.cfg.SLA}
	var err error
	if kq.Since, err = parseTime("since", q.Get("since")); err != nil {
		return err
	}
	if kq.Until, err = parseTime("until", q.Get("until")); err != nil {
		return err
	}
	if v := q.Get("sla"); v != "" {
		if kq.SLA, err = store.ParseSLA(v); err != nil {
			return err
		}
	}
	rep, err := s.store.KPIs(r.Context(), kq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request, _ *call) error {
	ts, err := s.store.Tokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	return nil
}

// NewTokenRequest is the body of POST /api/v1/tokens.
type NewTokenRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// Product binds the token to one product; empty for every product.
	Product string `json:"product,omitempty"`
}

// NewTokenResponse carries a new token's secret, shown this once.
type NewTokenResponse struct {
	store.Token
	Secret string `json:"secret"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var body NewTokenRequest
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := checkName("name", body.Name, 128); err != nil {
		return err
	}
	secret, tok, err := s.store.CreateToken(r.Context(), store.NewToken{Name: body.Name, Scopes: body.Scopes, Product: body.Product, CreatedBy: c.actor()})
	if err != nil {
		return err
	}
	c.object = "token " + strconv.FormatInt(tok.ID, 10)
	c.detail = "name " + tok.Name + ", scopes " + strings.Join(tok.Scopes, ",")
	writeJSON(w, http.StatusCreated, NewTokenResponse{Token: tok, Secret: secret})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c.object = "token " + strconv.FormatInt(id, 10)
	if err := s.store.RevokeToken(r.Context(), id, c.actor()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// audit streams the audit log as JSON lines, oldest first: entries after
// the id "after", at most "limit" of them (all when limit is not given).
func (s *Server) audit(w http.ResponseWriter, r *http.Request, _ *call) error {
	q := r.URL.Query()
	var after int64
	limit := -1
	var err error
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return errorf(http.StatusBadRequest, "after must be an audit entry id")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return errorf(http.StatusBadRequest, "limit must be a positive number")
		}
	}
	first, err := s.store.Audit(r.Context(), store.AuditQuery{After: after, Limit: pageOf(limit)})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	page := first
	for {
		for _, e := range page {
			if limit == 0 {
				return nil
			}
			if err := enc.Encode(e); err != nil {
				return nil // the client went away; the status is sent
			}
			after = e.ID
			if limit > 0 {
				limit--
			}
		}
		if len(page) < store.MaxPageSize || limit == 0 {
			return nil
		}
		if page, err = s.store.Audit(r.Context(), store.AuditQuery{After: after, Limit: pageOf(limit)}); err != nil {
			s.log.Error("audit export", "err", err)
			return nil
		}
	}
}

func pageOf(limit int) int {
	if limit < 0 || limit > store.MaxPageSize {
		return store.MaxPageSize
	}
	return limit
}
