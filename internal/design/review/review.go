// Package review is the security architecture review of a product release:
// a review binds to the product, the release, the content hash of its
// architecture model and the standard it is checked against, carries a
// requirement checklist generated from the standard and the model, meeting
// minutes and the decisions taken, and decides whether approval is allowed.
// It holds no storage and no HTTP: callers load a Review, call its methods
// with the time and the actor, and save it.
package review

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
)

// State is where a review stands.
type State string

// The states: a review opens as a draft, is in review once someone works on
// it, ends approved or rejected, and is superseded when a changed model is
// submitted for the same product release.
const (
	StateDraft      State = "draft"
	StateInReview   State = "in_review"
	StateApproved   State = "approved"
	StateRejected   State = "rejected"
	StateSuperseded State = "superseded"
)

// States lists every state in workflow order.
func States() []State {
	return []State{StateDraft, StateInReview, StateApproved, StateRejected, StateSuperseded}
}

// ParseState checks a state name.
func ParseState(s string) (State, error) {
	for _, st := range States() {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown review state %q (want draft, in_review, approved, rejected or superseded)", ErrInvalid, s)
}

// open reports whether the review can still be worked on and decided.
func (s State) open() bool { return s == StateDraft || s == StateInReview }

// Errors callers can test with errors.Is.
var (
	// ErrInvalid is a request the review cannot take: bad input, or a
	// move its state does not allow.
	ErrInvalid = errors.New("invalid review request")
	// ErrNotAllowed is an approval whose conditions are not met.
	ErrNotAllowed = errors.New("approval not allowed")
)

// Limits on what people write into a review.
const (
	MaxEvidence = 4096  // bytes of evidence per checklist answer
	MaxMinutes  = 16384 // bytes per minutes entry
	MaxReason   = 4096  // bytes of a decision's reason
	MaxEntries  = 1000  // minutes entries per review
)

// Review is one security architecture review of one model version.
type Review struct {
	ID      int64  `json:"id"`
	Product string `json:"product"`
	Release string `json:"release"`
	// ModelHash is model.Model.Hash() of the reviewed model.
	ModelHash string `json:"model_hash"`
	// Standard is the name@version the model was checked against and
	// StandardHash its content hash.
	Standard     string `json:"standard"`
	StandardHash string `json:"standard_hash"`
	State        State  `json:"state"`
	// Previous is the review this one superseded (0 for the first of its
	// release), SupersededBy the review that superseded this one.
	Previous     int64 `json:"previous,omitempty"`
	SupersededBy int64 `json:"superseded_by,omitempty"`

	SubmittedBy string     `json:"submitted_by"`
	SubmittedAt time.Time  `json:"submitted_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`

	Risks     Risks      `json:"risks"`
	Checklist []Item     `json:"checklist"`
	Minutes   []Minute   `json:"minutes"`
	Decisions []Decision `json:"decisions"`
	// Diff is what changed since the superseded review; nil for the first
	// review of a release.
	Diff *Diff `json:"diff,omitempty"`

	// Basis is what the review was opened on, kept to diff the next
	// submission against. It is not part of the JSON form.
	Basis Basis `json:"-"`
}

// Basis is the reviewed model (model.Encode form) and the findings the
// check kept.
type Basis struct {
	ModelYAML []byte
	Findings  []finding.Finding
}

// Diff is what changed between the superseded review's model and this one.
type Diff struct {
	Previous     int64            `json:"previous"`
	Architecture *model.Diff      `json:"architecture"`
	Risks        *threat.RiskDiff `json:"risks"`
}

// Risks summarize the threat check of the reviewed model.
type Risks struct {
	// Open are the risks the model does not mitigate and no exception
	// accepts, red lines first, then by severity.
	Open []Risk `json:"open"`
	// Accepted are the risks an active model exception accepts.
	Accepted []Risk `json:"accepted"`
	// Warnings are the check's notes (expired or refused exceptions) and
	// the checklist conditions that could not be evaluated.
	Warnings []string `json:"warnings,omitempty"`
}

// RedLines counts the open red-line risks.
func (r *Risks) RedLines() int {
	n := 0
	for i := range r.Open {
		if r.Open[i].RedLine {
			n++
		}
	}
	return n
}

// Risk is one design finding as the review tracks it.
type Risk struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	Title       string `json:"title"`
	Severity    string `json:"severity"`
	// Element is the model element the risk is on ("component/api").
	Element string `json:"element"`
	RedLine bool   `json:"red_line,omitempty"`
	// Owner, Reason and Expires are the accepting exception's terms.
	Owner   string     `json:"owner,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
}

// Minute is one entry of the meeting minutes.
type Minute struct {
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// Action is what a decision did.
type Action string

// The decisions recorded on a review.
const (
	ActionSubmit    Action = "submit"
	ActionApprove   Action = "approve"
	ActionReject    Action = "reject"
	ActionSupersede Action = "supersede"
)

// Decision is one recorded state change: who, when, why.
type Decision struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action Action    `json:"action"`
	From   State     `json:"from,omitempty"`
	To     State     `json:"to"`
	Reason string    `json:"reason,omitempty"`
	// RedLines is the number of open red-line risks when the decision was
	// taken (an approval requires 0).
	RedLines int `json:"red_lines"`
}

// Submission is a model submitted for review, already checked.
type Submission struct {
	Model *model.Model
	// ModelYAML is the model as model.Encode writes it.
	ModelYAML []byte
	// Standard is the name@version checked against, StandardHash its
	// content hash, RedLineRules the ids of its red-line rules.
	Standard     string
	StandardHash string
	RedLineRules []string
	// Checklist are the standard's generic checklist items
	// (standard.Standard.ChecklistItems); nil means Redline's default
	// checklist (standard.DefaultChecklist).
	Checklist []standard.ChecklistItem
	// Result is the threat check of Model under the standard.
	Result *threat.Result
	By     string
	At     time.Time
}

func (s *Submission) check() error {
	switch {
	case s.Model == nil || s.Result == nil:
		return fmt.Errorf("%w: a submission needs a checked model", ErrInvalid)
	case s.Model.Metadata.Product == "" || s.Model.Metadata.Release == "":
		return fmt.Errorf("%w: the model names no product or release (metadata.product, metadata.release)", ErrInvalid)
	case s.Standard == "" || s.StandardHash == "":
		return fmt.Errorf("%w: a submission names the standard and its content hash", ErrInvalid)
	case strings.TrimSpace(s.By) == "":
		return fmt.Errorf("%w: a submission needs its submitter", ErrInvalid)
	case s.Result.Target.Digest != s.Model.Hash():
		return fmt.Errorf("%w: the check result is not of this model", ErrInvalid)
	}
	return nil
}

// Submit opens a review of a submitted model. prev is the current review of
// the same product release (nil when there is none). When prev reviews the
// same model hash, Submit returns nil: prev stands (a rejection is not
// undone by submitting the same model again). Otherwise prev, unless
// already superseded, is superseded by the new review, which carries the
// architecture and risk diff against prev's model. The caller saves both.
func Submit(prev *Review, sub Submission) (*Review, error) {
	if err := sub.check(); err != nil {
		return nil, err
	}
	m := sub.Model
	if prev != nil && (prev.Product != m.Metadata.Product || prev.Release != m.Metadata.Release) {
		return nil, fmt.Errorf("%w: review %d is of %s %s, not %s %s", ErrInvalid, prev.ID, prev.Product, prev.Release, m.Metadata.Product, m.Metadata.Release)
	}
	hash := sub.Result.Target.Digest // check() compared it with m.Hash()
	if prev != nil && prev.State != StateSuperseded && prev.ModelHash == hash {
		return nil, nil
	}
	at := sub.At.UTC()
	generic := sub.Checklist
	if generic == nil {
		var err error
		if generic, err = standard.DefaultChecklist(); err != nil {
			return nil, err
		}
	}
	checklist, notes := Checklist(m, sub.Result, sub.Standard, sub.RedLineRules, generic)
	r := &Review{
		Product: m.Metadata.Product, Release: m.Metadata.Release, ModelHash: hash,
		Standard: sub.Standard, StandardHash: sub.StandardHash, State: StateDraft,
		SubmittedBy: sub.By, SubmittedAt: at,
		Risks:     risksOf(sub.Result),
		Checklist: checklist,
		Minutes:   []Minute{},
		Basis:     Basis{ModelYAML: sub.ModelYAML, Findings: slices.Clone(sub.Result.Findings)},
	}
	r.Risks.Warnings = append(r.Risks.Warnings, notes...)
	r.Decisions = []Decision{{At: at, Actor: sub.By, Action: ActionSubmit, To: StateDraft, RedLines: r.Risks.RedLines()}}
	if prev != nil {
		old, err := model.Decode("review-"+fmt.Sprint(prev.ID)+".yaml", prev.Basis.ModelYAML, model.Limits{})
		if err != nil {
			return nil, fmt.Errorf("read the model of review %d: %w", prev.ID, err)
		}
		r.Previous = prev.ID
		r.Diff = &Diff{Previous: prev.ID, Architecture: model.Compare(old, m), Risks: threat.DiffRisks(prev.Basis.Findings, sub.Result.Findings)}
		if prev.State != StateSuperseded {
			prev.Decisions = append(prev.Decisions, Decision{At: at, Actor: sub.By, Action: ActionSupersede, From: prev.State,
				To: StateSuperseded, Reason: "model changed: " + short(prev.ModelHash) + " → " + short(hash), RedLines: prev.Risks.RedLines()})
			prev.State = StateSuperseded
		}
	}
	return r, nil
}

// risksOf summarizes a threat check.
func risksOf(res *threat.Result) Risks {
	rs := Risks{Open: []Risk{}, Accepted: []Risk{}, Warnings: slices.Clone(res.Warnings)}
	for i := range res.Findings {
		f := &res.Findings[i]
		rs.Open = append(rs.Open, Risk{Fingerprint: f.Fingerprint, RuleID: f.RuleID, Title: f.Title,
			Severity: f.Severity.String(), Element: f.Location.Object, RedLine: res.IsRedLine(f.Fingerprint)})
	}
	for i := range res.Excepted {
		s := &res.Excepted[i]
		exp := s.Ignore.Expires.UTC()
		rs.Accepted = append(rs.Accepted, Risk{Fingerprint: s.Finding.Fingerprint, RuleID: s.Finding.RuleID, Title: s.Finding.Title,
			Severity: s.Finding.Severity.String(), Element: s.Finding.Location.Object,
			Owner: s.Ignore.Owner, Reason: s.Ignore.Reason, Expires: &exp})
	}
	// Red lines first; the check already sorted by severity.
	slices.SortStableFunc(rs.Open, func(a, b Risk) int {
		switch {
		case a.RedLine == b.RedLine:
			return 0
		case a.RedLine:
			return -1
		}
		return 1
	})
	return rs
}

func short(hash string) string {
	h := strings.TrimPrefix(hash, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

// Item returns the checklist item with the id, or nil.
func (r *Review) Item(id string) *Item {
	for i := range r.Checklist {
		if strings.EqualFold(r.Checklist[i].ID, id) {
			return &r.Checklist[i]
		}
	}
	return nil
}

// begin moves a draft into review.
func (r *Review) begin() {
	if r.State == StateDraft {
		r.State = StateInReview
	}
}

// Answer records the answer to a checklist item. A draft moves in review.
func (r *Review) Answer(itemID string, status Status, evidence, by string, now time.Time) error {
	if !r.State.open() {
		return fmt.Errorf("%w: review %d is %s; its checklist is closed", ErrInvalid, r.ID, r.State)
	}
	if _, err := ParseStatus(string(status)); err != nil || status == StatusUnanswered {
		return fmt.Errorf("%w: status %q: want met, not-met or not-applicable", ErrInvalid, status)
	}
	evidence = strings.TrimSpace(evidence)
	switch {
	case evidence == "":
		return fmt.Errorf("%w: an answer needs evidence: a link or a sentence saying how it was verified", ErrInvalid)
	case len(evidence) > MaxEvidence:
		return fmt.Errorf("%w: evidence longer than %d bytes", ErrInvalid, MaxEvidence)
	case strings.TrimSpace(by) == "":
		return fmt.Errorf("%w: an answer needs its author", ErrInvalid)
	}
	it := r.Item(itemID)
	if it == nil {
		return fmt.Errorf("%w: review %d has no checklist item %q", ErrInvalid, r.ID, itemID)
	}
	at := now.UTC()
	it.Status, it.Evidence, it.AnsweredBy, it.AnsweredAt = status, evidence, by, &at
	r.begin()
	return nil
}

// AddMinutes appends an entry to the meeting minutes. A draft moves in
// review. Minutes can be added to a decided review too (the record of a
// follow-up), but not to a superseded one.
func (r *Review) AddMinutes(text, author string, now time.Time) error {
	text = strings.TrimSpace(text)
	switch {
	case r.State == StateSuperseded:
		return fmt.Errorf("%w: review %d is superseded by review %d; add minutes there", ErrInvalid, r.ID, r.SupersededBy)
	case text == "":
		return fmt.Errorf("%w: empty minutes", ErrInvalid)
	case len(text) > MaxMinutes:
		return fmt.Errorf("%w: minutes entry longer than %d bytes", ErrInvalid, MaxMinutes)
	case strings.TrimSpace(author) == "":
		return fmt.Errorf("%w: minutes need an author", ErrInvalid)
	case len(r.Minutes) >= MaxEntries:
		return fmt.Errorf("%w: review %d already has %d minutes entries", ErrInvalid, r.ID, MaxEntries)
	}
	r.Minutes = append(r.Minutes, Minute{At: now.UTC(), Author: author, Text: text})
	r.begin()
	return nil
}

// Blockers lists why the review cannot be approved now, in a fixed order;
// empty means approval is allowed. Approval needs: an open review; zero
// open red-line risks; every other risk mitigated (the rule no longer
// fires) or accepted by a model exception that has not expired; every
// checklist item answered, none not-met unless the item's risks are all
// accepted; at least one minutes entry (the meeting is on record); and an
// approver other than the submitter.
func (r *Review) Blockers(by string, now time.Time) []string {
	var out []string
	if !r.State.open() {
		return []string{fmt.Sprintf("review %d is %s", r.ID, r.State)}
	}
	var red, other []string
	for _, k := range r.Risks.Open {
		s := k.RuleID + " on " + k.Element
		if k.RedLine {
			red = append(red, s)
		} else {
			other = append(other, s)
		}
	}
	if len(red) > 0 {
		out = append(out, fmt.Sprintf("%d open red-line risk(s), which no exception can accept: %s", len(red), list(red)))
	}
	if len(other) > 0 {
		out = append(out, fmt.Sprintf("%d risk(s) neither mitigated nor accepted with an expiry: %s", len(other), list(other)))
	}
	var expired []string
	for _, k := range r.Risks.Accepted {
		if k.Expires == nil || !now.UTC().Before(k.Expires.AddDate(0, 0, 1)) {
			expired = append(expired, k.RuleID+" on "+k.Element)
		}
	}
	if len(expired) > 0 {
		out = append(out, fmt.Sprintf("%d accepted risk(s) whose exception has expired: %s", len(expired), list(expired)))
	}
	var unanswered, notMet []string
	for i := range r.Checklist {
		it := &r.Checklist[i]
		switch {
		case it.Status == StatusUnanswered:
			unanswered = append(unanswered, it.ID)
		case it.Status == StatusNotMet && !(it.Kind == KindRule && it.OpenRisks == 0 && it.AcceptedRisks > 0):
			notMet = append(notMet, it.ID)
		}
	}
	if len(unanswered) > 0 {
		out = append(out, fmt.Sprintf("%d checklist item(s) unanswered: %s", len(unanswered), list(unanswered)))
	}
	if len(notMet) > 0 {
		out = append(out, fmt.Sprintf("%d checklist item(s) not met: %s", len(notMet), list(notMet)))
	}
	if len(r.Minutes) == 0 {
		out = append(out, "no meeting minutes recorded")
	}
	if by == r.SubmittedBy {
		out = append(out, fmt.Sprintf("%s submitted the model and cannot also approve it", by))
	}
	return out
}

// list joins up to ten entries and counts the rest.
func list(xs []string) string {
	if len(xs) <= 10 {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:10], ", ") + fmt.Sprintf(" and %d more", len(xs)-10)
}

// Approve signs the review off. It fails with ErrNotAllowed, listing the
// blockers, unless Blockers is empty. Checking that by holds the security
// role is the caller's job.
func (r *Review) Approve(by, note string, now time.Time) error {
	if len(note) > MaxReason {
		return fmt.Errorf("%w: note longer than %d bytes", ErrInvalid, MaxReason)
	}
	if strings.TrimSpace(by) == "" {
		return fmt.Errorf("%w: an approval needs its approver", ErrInvalid)
	}
	if b := r.Blockers(by, now); len(b) > 0 {
		return fmt.Errorf("%w: %s", ErrNotAllowed, strings.Join(b, "; "))
	}
	r.decide(ActionApprove, StateApproved, by, strings.TrimSpace(note), now)
	return nil
}

// Reject vetoes the review. A reason is required; an open review can be
// rejected whatever its risks and checklist say.
func (r *Review) Reject(by, reason string, now time.Time) error {
	reason = strings.TrimSpace(reason)
	switch {
	case !r.State.open():
		return fmt.Errorf("%w: review %d is %s and cannot be rejected", ErrInvalid, r.ID, r.State)
	case reason == "":
		return fmt.Errorf("%w: a rejection needs a reason", ErrInvalid)
	case len(reason) > MaxReason:
		return fmt.Errorf("%w: reason longer than %d bytes", ErrInvalid, MaxReason)
	case strings.TrimSpace(by) == "":
		return fmt.Errorf("%w: a rejection needs its author", ErrInvalid)
	}
	r.decide(ActionReject, StateRejected, by, reason, now)
	return nil
}

func (r *Review) decide(a Action, to State, by, reason string, now time.Time) {
	at := now.UTC()
	r.Decisions = append(r.Decisions, Decision{At: at, Actor: by, Action: a, From: r.State, To: to, Reason: reason, RedLines: r.Risks.RedLines()})
	r.State = to
	r.DecidedAt = &at
}
