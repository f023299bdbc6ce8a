package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// explorerPageSize is the findings explorer's page size.
const explorerPageSize = 50

// maxTargetOptions bounds the target choices of the explorer; with more
// targets it asks for a target id instead.
const maxTargetOptions = 500

// kinds are the finding kinds the explorer filters by.
var kinds = []finding.Kind{finding.KindVulnerability, finding.KindSecret, finding.KindMisconfiguration,
	finding.KindRBAC, finding.KindDesign, finding.KindRuntime, finding.KindSupplyChain}

// option is one choice of a filter control.
type option struct {
	Value, Label string
	Selected     bool
}

type findingsPage struct {
	base
	Products []option
	// Targets are the target choices; nil when there are too many, and
	// TargetID is the id filtered by then.
	Targets    []option
	TargetID   string
	States     []option
	Severities []option
	Kinds      []option
	Text       string
	Findings   []store.Finding
	// NextLink, PrevLink and FirstLink page through the results; empty
	// when there is no such page.
	NextLink, PrevLink, FirstLink string
}

// parseFindingQuery reads the explorer's filters from URL parameters.
func parseFindingQuery(q url.Values) (store.FindingQuery, error) {
	fq := store.FindingQuery{Product: q.Get("product"), Text: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"), Limit: explorerPageSize}
	bad := func(format string, args ...any) error {
		return &pageError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
	}
	if len(fq.Text) > 256 || len(fq.Product) > 256 {
		return fq, bad("The search text and product name are limited to 256 bytes.")
	}
	if v := q.Get("target"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return fq, bad("The target filter must be a target id.")
		}
		fq.TargetID = id
	}
	if len(q["state"]) > 10 || len(q["severity"]) > 10 || len(q["kind"]) > 20 {
		return fq, bad("Too many filter values.")
	}
	for _, v := range q["state"] {
		st, err := store.ParseState(v)
		if err != nil {
			return fq, bad("Unknown state %q.", v)
		}
		fq.States = append(fq.States, st)
	}
	for _, v := range q["severity"] {
		if !slices.Contains(severityNames, v) {
			return fq, bad("Unknown severity %q.", v)
		}
		sev, _ := finding.ParseSeverity(v)
		fq.Severities = append(fq.Severities, sev)
	}
	for _, v := range q["kind"] {
		if v == "" {
			continue
		}
		if !slices.Contains(kinds, finding.Kind(v)) {
			return fq, bad("Unknown kind %q.", v)
		}
		fq.Kinds = append(fq.Kinds, finding.Kind(v))
	}
	return fq, nil
}

func (d *Dashboard) findings(w http.ResponseWriter, r *http.Request, u User) error {
	ctx := r.Context()
	q := r.URL.Query()
	fq, err := parseFindingQuery(q)
	if err != nil {
		return err
	}
	product, products, err := d.productScope(ctx, u, fq.Product)
	if err != nil {
		return err
	}
	fq.Product = product
	res, err := d.cfg.Store.Findings(ctx, fq)
	if err != nil {
		return err
	}
	p := &findingsPage{base: d.base(r, u, "Findings"), Text: fq.Text, Findings: res.Findings, Products: products}
	p.Nav = "findings"
	targets, err := d.cfg.Store.Targets(ctx, fq.Product)
	if err != nil {
		return err
	}
	if len(targets) <= maxTargetOptions {
		p.Targets = []option{{Value: "", Label: "Any target"}}
		for _, t := range targets {
			p.Targets = append(p.Targets, option{Value: strconv.FormatInt(t.ID, 10), Label: t.Product + " / " + t.Name, Selected: t.ID == fq.TargetID})
		}
	} else if fq.TargetID != 0 {
		p.TargetID = strconv.FormatInt(fq.TargetID, 10)
	}
	for _, st := range store.States() {
		p.States = append(p.States, option{Value: string(st), Label: stateLabel(st), Selected: slices.Contains(fq.States, st)})
	}
	for _, s := range severityNames {
		sev, _ := finding.ParseSeverity(s)
		p.Severities = append(p.Severities, option{Value: s, Label: s, Selected: slices.Contains(fq.Severities, sev)})
	}
	p.Kinds = []option{{Value: "", Label: "Any kind"}}
	for _, k := range kinds {
		p.Kinds = append(p.Kinds, option{Value: string(k), Label: string(k), Selected: slices.Contains(fq.Kinds, k)})
	}
	if res.Next != "" {
		next := cloneValues(q)
		next.Set("cursor", res.Next)
		p.NextLink = Prefix + "findings?" + next.Encode()
	}
	if res.Prev != "" {
		prev := cloneValues(q)
		prev.Set("cursor", res.Prev)
		p.PrevLink = Prefix + "findings?" + prev.Encode()
		first := cloneValues(q)
		first.Del("cursor")
		p.FirstLink = Prefix + "findings?" + first.Encode()
	}
	d.render(w, r, http.StatusOK, "findings", p)
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// productScope decides which product a page shows for u, who asked for
// selected ("" for any), and lists the products u may choose, "any
// product" first for someone who reads them all. Someone who reads only
// some products and chose none sees the first of them; a product u may
// not read is not found.
func (d *Dashboard) productScope(ctx context.Context, u User, selected string) (string, []option, error) {
	ps, err := d.cfg.Store.Products(ctx)
	if err != nil {
		return "", nil, err
	}
	all := u.canRead(store.AllProducts)
	var readable []store.Product
	for _, p := range ps {
		if all || u.canRead(p.Name) {
			readable = append(readable, p)
		}
	}
	switch {
	case selected != "" && !u.canRead(selected):
		return "", nil, &pageError{status: http.StatusNotFound, msg: "There is no such product, or you may not see it."}
	case selected == "" && !all && len(readable) == 0:
		return "", nil, &pageError{status: http.StatusForbidden, msg: "You may not see any product yet: ask an admin for a role."}
	case selected == "" && !all:
		selected = readable[0].Name
	}
	var out []option
	if all {
		out = append(out, option{Value: "", Label: "Any product"})
	}
	for _, p := range readable {
		out = append(out, option{Value: p.Name, Label: p.Name, Selected: p.Name == selected})
	}
	return selected, out, nil
}

type findingPage struct {
	base
	F store.FindingDetail
	// CanChange is true when the person may change the finding's state;
	// Moves are the states offered (acceptance has its own form).
	CanChange bool
	Moves     []option
	CanAccept bool
	// Form holds what was posted when a change failed, and Problem why.
	Form    stateForm
	Problem string
	// Changed is set after a successful change.
	Changed string
	// MinUntil is the earliest expiry date the accept form takes.
	MinUntil string
	Location string
}

// stateForm is a posted lifecycle change.
type stateForm struct {
	State, Reason, Owner, Until string
}

// moves are the states a person may move a finding to, by its state; a
// fixed finding only changes by a scan. Accepting has its own form.
var moves = map[store.State][]store.State{
	store.StateOpen:          {store.StateInTriage, store.StateFalsePositive},
	store.StateInTriage:      {store.StateOpen, store.StateFalsePositive},
	store.StateAccepted:      {store.StateOpen, store.StateInTriage, store.StateFalsePositive},
	store.StateFalsePositive: {store.StateOpen, store.StateInTriage},
}

func findingID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &pageError{status: http.StatusNotFound, msg: "There is no such finding."}
	}
	return id, nil
}

func (d *Dashboard) finding(w http.ResponseWriter, r *http.Request, u User) error {
	id, err := findingID(r)
	if err != nil {
		return err
	}
	changed := ""
	if r.URL.Query().Get("changed") != "" {
		changed = "The finding's state was changed."
	}
	return d.renderFinding(w, r, u, id, http.StatusOK, stateForm{}, "", changed)
}

func (d *Dashboard) renderFinding(w http.ResponseWriter, r *http.Request, u User, id int64, status int, form stateForm, problem, changed string) error {
	det, err := d.cfg.Store.Finding(r.Context(), id)
	if err != nil {
		return err
	}
	if !u.canRead(det.Product) {
		return store.ErrNotFound
	}
	p := &findingPage{base: d.base(r, u, det.RuleID+" on "+det.Target), F: det, Form: form, Problem: problem, Changed: changed}
	p.Nav = "findings"
	p.Location = det.Location.String()
	p.CanAccept = u.canAccept(det.Product) && det.State != store.StateFixed
	if u.canTriage(det.Product) {
		p.CanChange = len(moves[det.State]) > 0
		for _, st := range moves[det.State] {
			p.Moves = append(p.Moves, option{Value: string(st), Label: stateLabel(st), Selected: string(st) == form.State})
		}
	}
	if p.Form.Owner == "" {
		p.Form.Owner = u.Name
	}
	p.MinUntil = d.cfg.Now().UTC().Format(time.DateOnly)
	d.render(w, r, status, "finding", p)
	return nil
}

// maxFormBytes bounds a posted form.
const maxFormBytes = 16 << 10

func (d *Dashboard) changeState(w http.ResponseWriter, r *http.Request, u User) error {
	id, err := findingID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return &pageError{status: http.StatusBadRequest, msg: "The form could not be read."}
	}
	audit := store.AuditEntry{Actor: u.Name, Action: "POST " + Prefix + "findings/{id}/state", Object: "finding " + strconv.FormatInt(id, 10), Remote: r.RemoteAddr}
	if err := d.cfg.Auth.CheckCSRF(r); err != nil {
		d.audit(r, audit, http.StatusForbidden, "CSRF check failed")
		return &pageError{status: http.StatusForbidden, msg: "The form had expired or did not come from this site; reload the page and try again."}
	}
	form := stateForm{State: r.PostForm.Get("state"), Reason: strings.TrimSpace(r.PostForm.Get("reason")),
		Owner: strings.TrimSpace(r.PostForm.Get("owner")), Until: r.PostForm.Get("until")}
	det, err := d.cfg.Store.Finding(r.Context(), id)
	if err != nil {
		return err
	}
	st, err := store.ParseState(form.State)
	allowed := u.canTriage(det.Product)
	if st == store.StateAccepted {
		allowed = u.canAccept(det.Product)
	}
	if !allowed {
		d.audit(r, audit, http.StatusForbidden, "to "+form.State+": not allowed on product "+det.Product)
		return &pageError{status: http.StatusForbidden, msg: "You may not make this change to findings of product " + det.Product + "."}
	}
	ch := store.Change{To: st, Actor: u.Name, Reason: form.Reason, Owner: form.Owner}
	problem := ""
	switch {
	case err != nil:
		problem = "Choose a state."
	case form.Reason == "":
		problem = "Give a reason."
	case st == store.StateAccepted && form.Owner == "":
		problem = "Name the owner of the accepted risk."
	case st == store.StateAccepted:
		day, perr := time.Parse(time.DateOnly, form.Until)
		if perr != nil {
			problem = "Give the expiry as a date (YYYY-MM-DD)."
			break
		}
		ch.Until = day.AddDate(0, 0, 1) // the acceptance holds through that UTC day
	}
	audit.Detail = "to " + form.State
	if problem == "" {
		if _, err = d.cfg.Store.Transition(r.Context(), id, ch); err != nil {
			if !isInvalid(err) {
				d.audit(r, audit, http.StatusInternalServerError, audit.Detail)
				return err
			}
			problem = err.Error()
		}
	}
	if problem != "" {
		d.audit(r, audit, http.StatusBadRequest, audit.Detail+": "+problem)
		return d.renderFinding(w, r, u, id, http.StatusBadRequest, form, problem, "")
	}
	d.audit(r, audit, http.StatusSeeOther, audit.Detail)
	http.Redirect(w, r, fmt.Sprintf("%sfindings/%d?changed=1", Prefix, id), http.StatusSeeOther)
	return nil
}

// audit records a form post's audit entry (through Config.Audit when set),
// even when the client has gone.
func (d *Dashboard) audit(r *http.Request, e store.AuditEntry, status int, detail string) {
	e.Status, e.Detail = status, detail
	if d.cfg.Audit != nil {
		d.cfg.Audit(r, e)
		return
	}
	if err := d.cfg.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		d.cfg.Logger.Error("audit log", "err", err, "action", e.Action, "actor", e.Actor)
	}
}
