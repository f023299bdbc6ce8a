package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/store"
)

// standardRoutes are the endpoints of the standards registry: the built-in
// standards and the versions published on this server, which reviews can
// be checked against.
func (s *Server) standardRoutes() []route {
	return []route{
		// Publishing needs the security or admin role on every product
		// (or an admin token bound to no product): the route gate checks
		// the approve action on some product (routeActions), and
		// publishStandard on every product.
		{"POST", "/api/v1/standards", store.ScopeAdmin, s.publishStandard},
		{"GET", "/api/v1/standards", store.ScopeRead, s.listStandards},
		{"GET", "/api/v1/standards/{ref}", store.ScopeRead, s.getStandard},
	}
}

// StandardInfo describes a standard the server can review against.
type StandardInfo struct {
	// Ref is name@version.
	Ref     string `json:"ref"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Title   string `json:"title"`
	// Hash is the canonical content hash (sha256:<hex>).
	Hash string `json:"hash"`
	// From and Until are the effective dates (YYYY-MM-DD); Until is empty
	// when open-ended.
	From  string `json:"from"`
	Until string `json:"until,omitempty"`
	// Builtin is true for the standards shipped with Redline, which are
	// not published and carry no publisher.
	Builtin     bool       `json:"builtin"`
	PublishedBy string     `json:"published_by,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// StandardList is the answer of GET /api/v1/standards: the built-in
// standards, then the published ones, each sorted by reference.
type StandardList struct {
	Standards []StandardInfo `json:"standards"`
}

// StandardDetail is the answer of GET /api/v1/standards/{ref} and of a
// publish: the metadata and the standard file.
type StandardDetail struct {
	StandardInfo
	// Content is the standard file as shipped or published.
	Content string `json:"content"`
}

// PublishResponse is the answer of POST /api/v1/standards.
type PublishResponse struct {
	// Created is false when the version was already published with the
	// same content hash (nothing changed).
	Created  bool           `json:"created"`
	Standard StandardDetail `json:"standard"`
}

func builtinInfo(st *standard.Standard) StandardInfo {
	return StandardInfo{Ref: st.Ref(), Name: st.Name, Version: st.Version, Title: st.Title, Hash: st.Hash(),
		From: dateOf(st.From), Until: dateOf(st.Until), Builtin: true}
}

func publishedInfo(v *store.StandardVersion) StandardInfo {
	at := v.PublishedAt
	return StandardInfo{Ref: v.Ref(), Name: v.Name, Version: v.Version, Title: v.Title, Hash: v.Hash,
		From: v.From, Until: v.Until, PublishedBy: v.PublishedBy, PublishedAt: &at}
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// publishStandard takes a standard file, checks it and records the
// version. The names of built-in standards are reserved.
func (s *Server) publishStandard(w http.ResponseWriter, r *http.Request, c *call) error {
	c.object = "standard"
	if !c.principal.Can(store.AllProducts, ActionApprove) {
		return errorf(http.StatusForbidden, "%s may not publish standards: that needs the security or admin role on every product, or an admin token bound to no product", c.actor())
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, standard.MaxFileSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "standard larger than %d bytes", standard.MaxFileSize)
		}
		return errorf(http.StatusBadRequest, "read request: %v", err)
	}
	st, err := standard.Parse("standard", body)
	if err != nil {
		return errorf(http.StatusBadRequest, "invalid standard:\n%v", err)
	}
	c.object = "standard " + st.Ref()
	builtins, err := s.standards.builtin()
	if err != nil {
		return err
	}
	var reserved []string
	for _, b := range builtins {
		if b.Ref() == st.Ref() {
			return errorf(http.StatusConflict, "%s is a built-in standard of Redline; publish your standard under a name of your own", st.Ref())
		}
		if b.Name == st.Name {
			reserved = append(reserved, b.Ref())
		}
	}
	if len(reserved) > 0 {
		return errorf(http.StatusConflict, "the name %s is reserved for Redline's built-in standards (%s); publish your standard under a name of your own",
			st.Name, strings.Join(reserved, ", "))
	}
	rec, created, err := s.store.PublishStandard(r.Context(), store.StandardVersion{
		Name: st.Name, Version: st.Version, Title: st.Title, From: dateOf(st.From), Until: dateOf(st.Until),
		Hash: st.Hash(), Content: body, PublishedBy: c.actor(),
	})
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "%v", err)
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	c.detail = "already published with hash " + rec.Hash + ": nothing changed"
	if created {
		status = http.StatusCreated
		c.detail = fmt.Sprintf("published %s: %d rules, %d red lines, %d checklist items", rec.Hash, len(st.ThreatRules()),
			len(st.RedLines), len(st.ChecklistItems()))
	}
	writeJSON(w, status, PublishResponse{Created: created, Standard: StandardDetail{StandardInfo: publishedInfo(&rec), Content: string(rec.Content)}})
	return nil
}

func (s *Server) listStandards(w http.ResponseWriter, r *http.Request, _ *call) error {
	builtins, err := s.standards.builtin()
	if err != nil {
		return err
	}
	out := StandardList{Standards: make([]StandardInfo, 0, len(builtins))}
	for _, b := range builtins {
		out.Standards = append(out.Standards, builtinInfo(b))
	}
	published, err := s.store.PublishedStandards(r.Context())
	if err != nil {
		return err
	}
	for i := range published {
		out.Standards = append(out.Standards, publishedInfo(&published[i]))
	}
	slices.SortStableFunc(out.Standards, func(a, b StandardInfo) int {
		switch {
		case a.Builtin != b.Builtin && a.Builtin:
			return -1
		case a.Builtin != b.Builtin:
			return 1
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getStandard(w http.ResponseWriter, r *http.Request, _ *call) error {
	ref := r.PathValue("ref")
	if data, ok := standard.BuiltinSource(ref); ok {
		st, err := standard.Parse(ref, data)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, StandardDetail{StandardInfo: builtinInfo(st), Content: string(data)})
		return nil
	}
	rec, err := s.store.PublishedStandard(r.Context(), ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, StandardDetail{StandardInfo: publishedInfo(&rec), Content: string(rec.Content)})
	return nil
}

// findStandard returns the standard ref names: a built-in one, else a
// version published on this server, checked against the hash it was
// published with. An unknown ref is an error wrapping store.ErrNotFound.
func (s *Server) findStandard(ctx context.Context, ref string) (*standard.Standard, error) {
	builtins, err := s.standards.builtin()
	if err != nil {
		return nil, err
	}
	for _, b := range builtins {
		if b.Ref() == ref {
			return b, nil
		}
	}
	rec, err := s.store.PublishedStandard(ctx, ref)
	if err != nil {
		return nil, err
	}
	if st := s.standards.get(ref, rec.Hash); st != nil {
		return st, nil
	}
	st, err := standard.Parse(ref, rec.Content)
	if err != nil {
		return nil, fmt.Errorf("published standard %s no longer loads: %w", ref, err)
	}
	if st.Ref() != ref || st.Hash() != rec.Hash {
		return nil, fmt.Errorf("published standard %s: stored as %s, content now reads as %s %s", ref, rec.Hash, st.Ref(), st.Hash())
	}
	s.standards.put(ref, rec.Hash, st)
	return st, nil
}

// maxCachedStandards bounds the parsed published standards kept.
const maxCachedStandards = 64

// standardCache keeps parsed standards: the built-in ones, and published
// versions by reference and content hash. A published version never
// changes, so parsing it and compiling its CEL rules and checklist
// conditions once is enough; the hash in the key keeps a cached copy from
// outliving the stored one.
type standardCache struct {
	mu        sync.Mutex
	builtins  []*standard.Standard
	published map[string]*standard.Standard
}

func (c *standardCache) builtin() ([]*standard.Standard, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.builtins == nil {
		b, err := standard.Builtin()
		if err != nil {
			return nil, err
		}
		c.builtins = b
	}
	return c.builtins, nil
}

func (c *standardCache) get(ref, hash string) *standard.Standard {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.published[ref+" "+hash]
}

func (c *standardCache) put(ref, hash string, st *standard.Standard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.published == nil || len(c.published) >= maxCachedStandards {
		c.published = make(map[string]*standard.Standard)
	}
	c.published[ref+" "+hash] = st
}

// PublishStandard sends a standard file to the server's registry.
func (c *Client) PublishStandard(ctx context.Context, content []byte) (PublishResponse, error) {
	var out PublishResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/standards", nil, "application/yaml", bytes.NewReader(content), &out)
	return out, err
}

// Standards lists the server's standards: built-in and published.
func (c *Client) Standards(ctx context.Context) (StandardList, error) {
	var out StandardList
	err := c.do(ctx, http.MethodGet, "/api/v1/standards", nil, "", nil, &out)
	return out, err
}

// Standard reads one standard (name@version) with its file.
func (c *Client) Standard(ctx context.Context, ref string) (StandardDetail, error) {
	var out StandardDetail
	err := c.do(ctx, http.MethodGet, "/api/v1/standards/"+url.PathEscape(ref), nil, "", nil, &out)
	return out, err
}
