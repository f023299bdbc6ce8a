package web

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/report"
	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// reviewListSize is how many reviews the list shows.
const reviewListSize = 200

// reviewRoutes registers the security architecture review pages.
func (d *Dashboard) reviewRoutes() {
	d.mux.Handle("GET "+Prefix+"reviews", d.page(d.reviews))
	d.mux.Handle("GET "+Prefix+"reviews/{id}", d.page(d.reviewDetail))
	d.mux.Handle("POST "+Prefix+"reviews/{id}/items/{item}", d.page(d.answerItem))
	d.mux.Handle("POST "+Prefix+"reviews/{id}/minutes", d.page(d.addMinutes))
	d.mux.Handle("POST "+Prefix+"reviews/{id}/decision", d.page(d.decideReview))
}

type reviewsPage struct {
	base
	Products []option
	States   []option
	Reviews  []review.Review
}

func (d *Dashboard) reviews(w http.ResponseWriter, r *http.Request, u User) error {
	q := r.URL.Query()
	rq := store.ReviewQuery{Product: q.Get("product"), Release: q.Get("release"), Limit: reviewListSize}
	if len(rq.Product) > 256 || len(rq.Release) > 256 {
		return &pageError{status: http.StatusBadRequest, msg: "The product and release names are limited to 256 bytes."}
	}
	if v := q.Get("state"); v != "" {
		st, err := review.ParseState(v)
		if err != nil {
			return &pageError{status: http.StatusBadRequest, msg: fmt.Sprintf("Unknown review state %q.", v)}
		}
		rq.State = st
	}
	product, products, err := d.productScope(r.Context(), u, rq.Product)
	if err != nil {
		return err
	}
	rq.Product = product
	rs, err := d.cfg.Store.ListReviews(r.Context(), rq)
	if err != nil {
		return err
	}
	rs = slices.DeleteFunc(rs, func(rv review.Review) bool { return !u.canRead(rv.Product) })
	p := &reviewsPage{base: d.base(r, u, "Architecture reviews"), Reviews: rs, Products: products}
	p.Nav = "reviews"
	p.States = []option{{Value: "", Label: "Any state"}}
	for _, st := range review.States() {
		p.States = append(p.States, option{Value: string(st), Label: reviewStateLabel(st), Selected: st == rq.State})
	}
	d.render(w, r, http.StatusOK, "reviews", p)
	return nil
}

// reviewStateLabel is how a review state reads on a page.
func reviewStateLabel(s review.State) string {
	switch s {
	case review.StateDraft:
		return "Draft"
	case review.StateInReview:
		return "In review"
	case review.StateApproved:
		return "Approved"
	case review.StateRejected:
		return "Rejected"
	case review.StateSuperseded:
		return "Superseded"
	}
	return string(s)
}

// reviewRisk is a risk of the review with its rule's layer.
type reviewRisk struct {
	review.Risk
	Layer string
}

// layerCount is one row of the risks-by-layer table: open risks by
// severity and the red lines among them.
type layerCount struct {
	Layer                          string
	Critical, High, Medium, Low    int
	Unknown, RedLines, Accepted, N int
}

type reviewPage struct {
	base
	R        review.Review
	Open     []reviewRisk
	Accepted []reviewRisk
	Layers   []layerCount
	RedLines int
	// Diagram is the data-flow diagram of the reviewed model; empty when
	// the stored model cannot be read.
	Diagram template.HTML
	// Blockers say why the person cannot approve now; empty when they can.
	Blockers []string
	// Permissions of the person on the review's product, and whether the
	// review is open for answers and decisions.
	CanContribute, CanApprove, IsOpen, CanMinute bool
	Statuses                                     []option
	// Problem is why a posted form failed; Changed what a post did.
	Problem, Changed string
	// Form keeps what was posted when it failed.
	Form reviewForm
}

// reviewForm is a posted review form.
type reviewForm struct {
	Item, Status, Evidence, Minutes, Action, Reason string
}

// layerOrder is the order of the risk layers on the page.
var layerOrder = []threat.Layer{threat.LayerVirtualization, threat.LayerNetwork, threat.LayerGateway, threat.LayerApplication,
	threat.LayerHost, threat.LayerTenant, threat.LayerZeroTrust, threat.LayerData, threat.LayerModel}

func layerRank(l string) int {
	if i := slices.Index(layerOrder, threat.Layer(l)); i >= 0 {
		return i
	}
	return len(layerOrder)
}

// ruleLayers maps each built-in threat rule to its layer (one pass over
// the catalogue instead of a lookup per risk).
func ruleLayers() map[string]string {
	rules := threat.Builtin()
	out := make(map[string]string, len(rules))
	for _, r := range rules {
		out[r.ID] = string(r.Layer)
	}
	return out
}

// withLayers adds each risk's layer from layers (custom rules, unknown to
// the catalogue, are "custom") and orders the risks by layer, red lines
// first, then by severity.
func withLayers(rs []review.Risk, layers map[string]string) []reviewRisk {
	out := make([]reviewRisk, 0, len(rs))
	for _, k := range rs {
		layer, ok := layers[k.RuleID]
		if !ok {
			layer = "custom"
		}
		out = append(out, reviewRisk{Risk: k, Layer: layer})
	}
	slices.SortStableFunc(out, func(a, b reviewRisk) int {
		if c := cmp.Compare(layerRank(a.Layer), layerRank(b.Layer)); c != 0 {
			return c
		}
		if a.RedLine != b.RedLine {
			if a.RedLine {
				return -1
			}
			return 1
		}
		sa, _ := finding.ParseSeverity(a.Severity)
		sb, _ := finding.ParseSeverity(b.Severity)
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.Element, b.Element))
	})
	return out
}

// countLayers builds the risks-by-layer table.
func countLayers(open, accepted []reviewRisk) []layerCount {
	by := map[string]*layerCount{}
	row := func(l string) *layerCount {
		if by[l] == nil {
			by[l] = &layerCount{Layer: l}
		}
		return by[l]
	}
	for _, k := range open {
		c := row(k.Layer)
		c.N++
		if k.RedLine {
			c.RedLines++
		}
		switch k.Severity {
		case "critical":
			c.Critical++
		case "high":
			c.High++
		case "medium":
			c.Medium++
		case "low":
			c.Low++
		default:
			c.Unknown++
		}
	}
	for _, k := range accepted {
		row(k.Layer).Accepted++
	}
	out := make([]layerCount, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b layerCount) int {
		return cmp.Or(cmp.Compare(layerRank(a.Layer), layerRank(b.Layer)), cmp.Compare(a.Layer, b.Layer))
	})
	return out
}

// reviewDiagram draws the stored model's data-flow diagram, each element
// coloured by its worst open risk. A stored model that no longer decodes
// (written by an older schema) gives no diagram rather than a failed page.
// Diagrams are cached by the digests of the stored model and of the
// colouring, so repeat views do not decode the model again.
func (d *Dashboard) reviewDiagram(rv *review.Review) (template.HTML, error) {
	if len(rv.Basis.ModelYAML) == 0 {
		return "", nil
	}
	worst := make(map[string]finding.Severity)
	for _, k := range rv.Risks.Open {
		el := k.Element
		if _, id, ok := strings.Cut(el, "/"); ok {
			el = id
		}
		sev, _ := finding.ParseSeverity(k.Severity)
		worst[el] = max(worst[el], sev)
	}
	key := diagramKey{model: sha256.Sum256(rv.Basis.ModelYAML), colours: coloursDigest(worst)}
	if svg, ok := d.diagrams.get(key); ok {
		return svg, nil
	}
	svg, err := drawDiagram(rv, worst)
	if err != nil {
		return "", err
	}
	d.diagrams.put(key, svg)
	return svg, nil
}

// coloursDigest hashes a diagram's colouring, element by element in order.
func coloursDigest(worst map[string]finding.Severity) [sha256.Size]byte {
	h := sha256.New()
	for _, el := range slices.Sorted(maps.Keys(worst)) {
		fmt.Fprintf(h, "%q=%d\n", el, worst[el])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// drawDiagram decodes the stored model of rv and draws it coloured by worst.
func drawDiagram(rv *review.Review, worst map[string]finding.Severity) (template.HTML, error) {
	m, err := model.Decode("review model", rv.Basis.ModelYAML, model.Limits{})
	if err != nil {
		return "", fmt.Errorf("review %d: decode stored model: %w", rv.ID, err)
	}
	// Diagram escapes every model string it writes into the SVG; the
	// label names the image for screen readers.
	svg := string(report.Diagram(model.NewGraph(m), worst))
	label := template.HTMLEscapeString("Data-flow diagram of " + m.Metadata.Product + " " + m.Metadata.Release)
	svg = strings.Replace(svg, "<svg ", `<svg role="img" aria-label="`+label+`" `, 1)
	return template.HTML(svg), nil
}

func reviewID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &pageError{status: http.StatusNotFound, msg: "There is no such review."}
	}
	return id, nil
}

func (d *Dashboard) reviewDetail(w http.ResponseWriter, r *http.Request, u User) error {
	id, err := reviewID(r)
	if err != nil {
		return err
	}
	changed := ""
	switch r.URL.Query().Get("done") {
	case "answer":
		changed = "The answer was recorded."
	case "minutes":
		changed = "The minutes were added."
	case "approve":
		changed = "The review was approved."
	case "reject":
		changed = "The review was rejected."
	}
	return d.renderReview(w, r, u, id, http.StatusOK, reviewForm{}, "", changed)
}

func (d *Dashboard) renderReview(w http.ResponseWriter, r *http.Request, u User, id int64, status int, form reviewForm, problem, changed string) error {
	rv, err := d.cfg.Store.Review(r.Context(), id)
	if err != nil {
		return err
	}
	if !u.canRead(rv.Product) {
		return store.ErrNotFound
	}
	p := &reviewPage{base: d.base(r, u, fmt.Sprintf("Review %d: %s %s", rv.ID, rv.Product, rv.Release)), R: rv,
		Problem: problem, Changed: changed, Form: form}
	p.Nav = "reviews"
	p.Open, p.Accepted = withLayers(rv.Risks.Open, d.ruleLayers), withLayers(rv.Risks.Accepted, d.ruleLayers)
	p.Layers = countLayers(p.Open, p.Accepted)
	p.RedLines = rv.Risks.RedLines()
	if p.Diagram, err = d.reviewDiagram(&rv); err != nil {
		d.cfg.Logger.Warn("dashboard: review diagram", "review", rv.ID, "err", err)
	}
	p.IsOpen = rv.State == review.StateDraft || rv.State == review.StateInReview
	p.CanContribute = u.canContribute(rv.Product)
	p.CanMinute = p.CanContribute && rv.State != review.StateSuperseded
	p.CanApprove = u.canApprove(rv.Product) && p.IsOpen
	if p.CanApprove {
		p.Blockers = rv.Blockers(u.Name, d.cfg.Now())
	}
	for _, s := range []review.Status{review.StatusMet, review.StatusNotMet, review.StatusNotApplicable} {
		p.Statuses = append(p.Statuses, option{Value: string(s), Label: string(s)})
	}
	d.render(w, r, status, "review", p)
	return nil
}

// reviewPost is the common part of the review forms: the review id, the
// parsed form, the CSRF check, the product permission and the audit entry.
// It returns the loaded review's product.
func (d *Dashboard) reviewPost(w http.ResponseWriter, r *http.Request, u User, action string, allowed func(User, string) bool) (int64, store.AuditEntry, error) {
	id, err := reviewID(r)
	if err != nil {
		return 0, store.AuditEntry{}, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes+review.MaxMinutes)
	if err := r.ParseForm(); err != nil {
		return 0, store.AuditEntry{}, &pageError{status: http.StatusBadRequest, msg: "The form could not be read."}
	}
	audit := store.AuditEntry{Actor: u.Name, Action: "POST " + Prefix + "reviews/{id}/" + action, Object: "review " + strconv.FormatInt(id, 10), Remote: r.RemoteAddr}
	if err := d.cfg.Auth.CheckCSRF(r); err != nil {
		d.audit(r, audit, http.StatusForbidden, "CSRF check failed")
		return 0, audit, &pageError{status: http.StatusForbidden, msg: "The form had expired or did not come from this site; reload the page and try again."}
	}
	rv, err := d.cfg.Store.Review(r.Context(), id)
	if err != nil {
		return 0, audit, err
	}
	if !u.canRead(rv.Product) {
		return 0, audit, store.ErrNotFound
	}
	if !allowed(u, rv.Product) {
		d.audit(r, audit, http.StatusForbidden, action+": not allowed on product "+rv.Product)
		return 0, audit, &pageError{status: http.StatusForbidden, msg: "You may not do this on reviews of product " + rv.Product + "."}
	}
	return id, audit, nil
}

// updateReview applies fn to the review and answers the post: a redirect
// to the review on success, the page with the problem when the review
// refused the change.
func (d *Dashboard) updateReview(w http.ResponseWriter, r *http.Request, u User, id int64, audit store.AuditEntry, form reviewForm, done string, fn func(*review.Review) error) error {
	rv, err := d.cfg.Store.UpdateReview(r.Context(), id, fn)
	if err != nil {
		if !errors.Is(err, review.ErrInvalid) && !errors.Is(err, review.ErrNotAllowed) {
			d.audit(r, audit, http.StatusInternalServerError, audit.Detail)
			return err
		}
		d.audit(r, audit, http.StatusBadRequest, audit.Detail+" refused: "+err.Error())
		return d.renderReview(w, r, u, id, http.StatusBadRequest, form, reviewProblem(err), "")
	}
	d.audit(r, audit, http.StatusSeeOther, audit.Detail)
	if d.cfg.ReviewDecided != nil && (done == "approve" || done == "reject") {
		d.cfg.ReviewDecided(context.WithoutCancel(r.Context()), &rv, review.Action(done))
	}
	http.Redirect(w, r, fmt.Sprintf("%sreviews/%d?done=%s", Prefix, id, done), http.StatusSeeOther)
	return nil
}

// reviewProblem turns a review error into a sentence for the page.
func reviewProblem(err error) string {
	msg := err.Error()
	for _, prefix := range []string{review.ErrInvalid.Error() + ": ", review.ErrNotAllowed.Error() + ": "} {
		if i := strings.Index(msg, prefix); i >= 0 {
			msg = msg[i+len(prefix):]
		}
	}
	if errors.Is(err, review.ErrNotAllowed) {
		return "The review cannot be approved yet: " + msg + "."
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func (d *Dashboard) answerItem(w http.ResponseWriter, r *http.Request, u User) error {
	id, audit, err := d.reviewPost(w, r, u, "items/{item}", User.canContribute)
	if err != nil {
		return err
	}
	form := reviewForm{Item: r.PathValue("item"), Status: r.PostForm.Get("status"), Evidence: r.PostForm.Get("evidence")}
	audit.Detail = "item " + form.Item + ": " + form.Status
	return d.updateReview(w, r, u, id, audit, form, "answer", func(rv *review.Review) error {
		return rv.Answer(form.Item, review.Status(form.Status), form.Evidence, u.Name, d.cfg.Now())
	})
}

func (d *Dashboard) addMinutes(w http.ResponseWriter, r *http.Request, u User) error {
	id, audit, err := d.reviewPost(w, r, u, "minutes", User.canContribute)
	if err != nil {
		return err
	}
	form := reviewForm{Minutes: r.PostForm.Get("text")}
	audit.Detail = "minutes added"
	return d.updateReview(w, r, u, id, audit, form, "minutes", func(rv *review.Review) error {
		return rv.AddMinutes(form.Minutes, u.Name, d.cfg.Now())
	})
}

func (d *Dashboard) decideReview(w http.ResponseWriter, r *http.Request, u User) error {
	id, audit, err := d.reviewPost(w, r, u, "decision", User.canApprove)
	if err != nil {
		return err
	}
	form := reviewForm{Action: r.PostForm.Get("action"), Reason: r.PostForm.Get("reason")}
	audit.Detail = form.Action
	if form.Reason != "" {
		audit.Detail += ": " + form.Reason
	}
	switch review.Action(form.Action) {
	case review.ActionApprove:
		return d.updateReview(w, r, u, id, audit, form, "approve", func(rv *review.Review) error {
			return rv.Approve(u.Name, form.Reason, d.cfg.Now())
		})
	case review.ActionReject:
		return d.updateReview(w, r, u, id, audit, form, "reject", func(rv *review.Review) error {
			return rv.Reject(u.Name, form.Reason, d.cfg.Now())
		})
	}
	d.audit(r, audit, http.StatusBadRequest, "unknown decision "+form.Action)
	return &pageError{status: http.StatusBadRequest, msg: "Choose approve or reject."}
}

// reviewFuncs are the template functions of the review pages.
var reviewFuncs = template.FuncMap{
	"reviewState": func(s review.State) string { return reviewStateLabel(s) },
	"reviewURL":   func(id int64) string { return fmt.Sprintf("%sreviews/%d", Prefix, id) },
	"itemStatus": func(s review.Status) string {
		if s == review.StatusUnanswered {
			return "unanswered"
		}
		return string(s)
	},
	"shortHash": func(h string) string {
		h = strings.TrimPrefix(h, "sha256:")
		if len(h) > 12 {
			return h[:12]
		}
		return h
	},
	"findingSeverity": func(s finding.Severity) string { return s.String() },
}
