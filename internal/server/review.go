package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/store"
)

// reviewRoutes are the security architecture review endpoints.
func (s *Server) reviewRoutes() []route {
	return []route{
		{"POST", "/api/v1/reviews", store.ScopeUpload, s.submitReview},
		{"GET", "/api/v1/reviews", store.ScopeRead, s.listReviews},
		{"GET", "/api/v1/reviews/gate", store.ScopeRead, s.reviewGate},
		{"GET", "/api/v1/reviews/{id}", store.ScopeRead, s.getReview},
		{"POST", "/api/v1/reviews/{id}/items/{item}", store.ScopeUpload, s.answerItem},
		{"POST", "/api/v1/reviews/{id}/minutes", store.ScopeUpload, s.addMinutes},
		{"POST", "/api/v1/reviews/{id}/approve", store.ScopeAdmin, s.approveReview},
		{"POST", "/api/v1/reviews/{id}/reject", store.ScopeAdmin, s.rejectReview},
	}
}

// SubmitReviewRequest is the body of POST /api/v1/reviews: the resolved
// architecture model (includes merged) as YAML, as `redline model` writes
// it. The server validates the model and runs the threat check itself
// under the standard the model pins (built-in, or published on this server
// with POST /api/v1/standards); it does not take findings from the client.
type SubmitReviewRequest struct {
	Model string `json:"model"`
}

// SubmitReviewResponse says which review the model is under and whether
// the submission opened it.
type SubmitReviewResponse struct {
	Created bool          `json:"created"`
	Review  review.Review `json:"review"`
}

// reviewError maps the review package's errors to statuses.
func reviewError(err error) error {
	switch {
	case errors.Is(err, review.ErrNotAllowed):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, review.ErrInvalid):
		return errorf(http.StatusBadRequest, "%v", err)
	}
	return err
}

func (s *Server) submitReview(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "model larger than the %d bytes this server accepts", s.cfg.MaxUpload)
		}
		return errorf(http.StatusBadRequest, "read request: %v", err)
	}
	var req SubmitReviewRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return errorf(http.StatusBadRequest, "malformed request body: %s", jsonError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "malformed request body: data after the JSON object")
	}
	m, err := model.Decode("submitted model", []byte(req.Model), model.Limits{})
	if err != nil {
		return errorf(http.StatusBadRequest, "invalid model:\n%v", err)
	}
	if len(m.Includes) > 0 {
		return errorf(http.StatusBadRequest, "submit the resolved model (includes merged): the server does not read include files")
	}
	if err := model.Validate(m); err != nil {
		return errorf(http.StatusBadRequest, "invalid model:\n%v", err)
	}
	product, release := m.Metadata.Product, m.Metadata.Release
	c.object = "review of " + product + " " + release
	if err := needOn(c, product, ActionUpload); err != nil {
		return err
	}
	std, err := s.reviewStandard(r.Context(), m.Metadata.Standard)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	res, err := threat.Check(r.Context(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref(),
		Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	yml, err := model.Encode(m)
	if err != nil {
		return err
	}
	sub := review.Submission{Model: m, ModelYAML: yml, Standard: std.Ref(), StandardHash: std.Hash(), RedLineRules: std.RedLines, Checklist: std.ChecklistItems(),
		Result: res, By: c.actor(), At: now}
	var superseded *review.Review
	rv, created, err := s.store.SubmitReview(r.Context(), product, release, func(cur *review.Review) (*review.Review, error) {
		next, err := review.Submit(cur, sub)
		if next != nil && cur != nil && cur.State == review.StateSuperseded {
			superseded = cur
		}
		return next, err
	})
	if err != nil {
		return reviewError(err)
	}
	c.object = "review " + strconv.FormatInt(rv.ID, 10)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.detail = fmt.Sprintf("submitted model %s of %s %s under %s: %d open risks, %d red lines",
			rv.ModelHash, product, release, rv.Standard, len(rv.Risks.Open), rv.Risks.RedLines())
		// The design risks join the findings store, so their age, the
		// KPIs and the dashboard see them like any other finding.
		if err := s.ingestDesignRisks(r.Context(), res, product, c.actor()); err != nil {
			s.log.Error("record design risks of a review", "review", rv.ID, "err", err)
		}
		if superseded != nil {
			superseded.SupersededBy = rv.ID
			s.notifyReview(r.Context(), superseded, review.ActionSupersede)
		}
		s.notifyReview(r.Context(), &rv, review.ActionSubmit)
	} else {
		c.detail = fmt.Sprintf("model %s unchanged: review stays %s", rv.ModelHash, rv.State)
	}
	writeJSON(w, status, SubmitReviewResponse{Created: created, Review: rv})
	return nil
}

// reviewStandard finds the standard a model pins: a built-in one, else a
// version published on this server (findStandard, standards.go).
func (s *Server) reviewStandard(ctx context.Context, ref string) (*standard.Standard, error) {
	if ref == "" {
		ref = standard.DefaultRef
	}
	st, err := s.findStandard(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(http.StatusBadRequest, "the model is reviewed against %s, which this server does not have: "+
			"neither built-in nor published (GET /api/v1/standards lists them; redline standard publish FILE --server URL adds one)", ref)
	}
	return st, err
}

// ingestDesignRisks records a check's findings as a scan of the model.
func (s *Server) ingestDesignRisks(ctx context.Context, res *threat.Result, product, actor string) error {
	scan := &store.Scan{
		ID: "review-" + strings.TrimPrefix(res.Target.Digest, "sha256:"), Product: product, Actor: actor,
		Target: res.Target, Findings: res.Findings,
	}
	for i := range res.Excepted {
		e := &res.Excepted[i]
		scan.Suppressed = append(scan.Suppressed, store.Suppressed{Finding: e.Finding, Owner: e.Ignore.Owner, Reason: e.Ignore.Reason,
			Expires: e.Ignore.Expires.AddDate(0, 0, 1)})
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	_, err := s.store.Ingest(ctx, scan)
	return err
}

// notifyReview sends a review decision to the review webhook, if one is
// configured. The decision is already stored: a failed delivery is logged,
// not returned.
func (s *Server) notifyReview(ctx context.Context, rv *review.Review, a review.Action) {
	if s.cfg.ReviewWebhook == "" {
		return
	}
	ev := notify.ReviewEvent{Action: string(a), Review: rv.ID, Product: rv.Product, Release: rv.Release, ModelHash: rv.ModelHash,
		Standard: rv.Standard, State: string(rv.State), OpenRisks: len(rv.Risks.Open), RedLines: rv.Risks.RedLines(),
		AcceptedRisks: len(rv.Risks.Accepted)}
	for _, d := range rv.Decisions {
		if d.Action == a {
			ev.Actor, ev.Reason, ev.At = d.Actor, d.Reason, d.At
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	wh := &notify.Webhook{URL: s.cfg.ReviewWebhook, Retry: notify.Retry{Total: 15 * time.Second}}
	if err := wh.NotifyReview(ctx, ev); err != nil {
		s.log.Warn("review webhook", "review", rv.ID, "action", a, "err", err)
	}
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	rq := store.ReviewQuery{Product: q.Get("product"), Release: q.Get("release")}
	if err := needOn(c, rq.Product, ActionRead); err != nil {
		return err
	}
	if v := q.Get("state"); v != "" {
		st, err := review.ParseState(v)
		if err != nil {
			return reviewError(err)
		}
		rq.State = st
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return errorf(http.StatusBadRequest, "limit must be 1 to %d", store.MaxPageSize)
		}
		rq.Limit = n
	}
	rs, err := s.store.ListReviews(r.Context(), rq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviews": rs})
	return nil
}

func (s *Server) reviewGate(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	product, release, hash := q.Get("product"), q.Get("release"), q.Get("hash")
	if product == "" || release == "" {
		return errorf(http.StatusBadRequest, "the gate needs product and release")
	}
	if err := needOn(c, product, ActionRead); err != nil {
		return err
	}
	reviewed, current, err := s.store.ReviewGate(r.Context(), product, release, hash)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, review.Gate(product, release, hash, reviewed, current, time.Now()))
	return nil
}

// reviewFor loads the review of the path and checks the caller may do a
// on its product.
func (s *Server) reviewFor(r *http.Request, c *call, a Action) (int64, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, err
	}
	c.object = "review " + strconv.FormatInt(id, 10)
	rv, err := s.store.Review(r.Context(), id)
	if err != nil {
		return 0, err
	}
	return id, needOn(c, rv.Product, a)
}

func (s *Server) getReview(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := s.reviewFor(r, c, ActionRead)
	if err != nil {
		return err
	}
	rv, err := s.store.Review(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rv)
	return nil
}

// AnswerRequest is the body of POST /api/v1/reviews/{id}/items/{item}.
type AnswerRequest struct {
	Status   string `json:"status"`
	Evidence string `json:"evidence"`
}

func (s *Server) answerItem(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := s.reviewFor(r, c, ActionUpload)
	if err != nil {
		return err
	}
	var body AnswerRequest
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	item := r.PathValue("item")
	c.detail = "item " + item + ": " + body.Status
	rv, err := s.store.UpdateReview(r.Context(), id, func(rv *review.Review) error {
		return rv.Answer(item, review.Status(body.Status), body.Evidence, c.actor(), time.Now())
	})
	if err != nil {
		return reviewError(err)
	}
	writeJSON(w, http.StatusOK, rv)
	return nil
}

// MinutesRequest is the body of POST /api/v1/reviews/{id}/minutes.
type MinutesRequest struct {
	Text string `json:"text"`
}

func (s *Server) addMinutes(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := s.reviewFor(r, c, ActionUpload)
	if err != nil {
		return err
	}
	var body MinutesRequest
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	c.detail = "minutes added"
	rv, err := s.store.UpdateReview(r.Context(), id, func(rv *review.Review) error {
		return rv.AddMinutes(body.Text, c.actor(), time.Now())
	})
	if err != nil {
		return reviewError(err)
	}
	writeJSON(w, http.StatusOK, rv)
	return nil
}

// DecisionRequest is the body of POST /api/v1/reviews/{id}/approve (Reason
// is an optional note) and /reject (Reason is required).
type DecisionRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) approveReview(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideReview(w, r, c, review.ActionApprove)
}

func (s *Server) rejectReview(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideReview(w, r, c, review.ActionReject)
}

// decideReview approves or rejects: the security role on the review's
// product (or an admin token) is required.
func (s *Server) decideReview(w http.ResponseWriter, r *http.Request, c *call, a review.Action) error {
	id, err := s.reviewFor(r, c, ActionApprove)
	if err != nil {
		return err
	}
	var body DecisionRequest
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	rv, err := s.store.UpdateReview(r.Context(), id, func(rv *review.Review) error {
		if a == review.ActionApprove {
			return rv.Approve(c.actor(), body.Reason, time.Now())
		}
		return rv.Reject(c.actor(), body.Reason, time.Now())
	})
	if err != nil {
		c.detail = string(a) + " refused: " + err.Error()
		return reviewError(err)
	}
	c.detail = fmt.Sprintf("%s model %s of %s %s", rv.State, rv.ModelHash, rv.Product, rv.Release)
	if body.Reason != "" {
		c.detail += ": " + body.Reason
	}
	s.notifyReview(r.Context(), &rv, a)
	writeJSON(w, http.StatusOK, rv)
	return nil
}

// SubmitReview submits a resolved model (model.Encode YAML) for review.
func (c *Client) SubmitReview(ctx context.Context, modelYAML []byte) (SubmitReviewResponse, error) {
	body, err := json.Marshal(SubmitReviewRequest{Model: string(modelYAML)})
	if err != nil {
		return SubmitReviewResponse{}, err
	}
	var out SubmitReviewResponse
	err = c.do(ctx, http.MethodPost, "/api/v1/reviews", nil, "application/json", bytes.NewReader(body), &out)
	return out, err
}

// Review reads one review.
func (c *Client) Review(ctx context.Context, id int64) (review.Review, error) {
	var out review.Review
	err := c.do(ctx, http.MethodGet, "/api/v1/reviews/"+strconv.FormatInt(id, 10), nil, "", nil, &out)
	return out, err
}

// reviewPost posts a JSON body to a review's sub-resource.
func (c *Client) reviewPost(ctx context.Context, id int64, sub string, in any) (review.Review, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return review.Review{}, err
	}
	var out review.Review
	err = c.do(ctx, http.MethodPost, "/api/v1/reviews/"+strconv.FormatInt(id, 10)+"/"+sub, nil, "application/json", bytes.NewReader(body), &out)
	return out, err
}

// AnswerReviewItem answers a checklist item.
func (c *Client) AnswerReviewItem(ctx context.Context, id int64, item string, a AnswerRequest) (review.Review, error) {
	return c.reviewPost(ctx, id, "items/"+url.PathEscape(item), a)
}

// AddReviewMinutes adds an entry to a review's minutes.
func (c *Client) AddReviewMinutes(ctx context.Context, id int64, text string) (review.Review, error) {
	return c.reviewPost(ctx, id, "minutes", MinutesRequest{Text: text})
}

// ApproveReview approves a review; note is optional.
func (c *Client) ApproveReview(ctx context.Context, id int64, note string) (review.Review, error) {
	return c.reviewPost(ctx, id, "approve", DecisionRequest{Reason: note})
}

// RejectReview rejects a review for the reason.
func (c *Client) RejectReview(ctx context.Context, id int64, reason string) (review.Review, error) {
	return c.reviewPost(ctx, id, "reject", DecisionRequest{Reason: reason})
}

// ReviewGate asks the review gate about a product release and, when hash
// is not empty, a model hash.
func (c *Client) ReviewGate(ctx context.Context, product, release, hash string) (review.Verdict, error) {
	q := url.Values{"product": {product}, "release": {release}}
	if hash != "" {
		q.Set("hash", hash)
	}
	var v review.Verdict
	err := c.do(ctx, http.MethodGet, "/api/v1/reviews/gate", q, "", nil, &v)
	return v, err
}
