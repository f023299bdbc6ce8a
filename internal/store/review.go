package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/finding"
)

// Reviews keeps the security architecture reviews: each review with its
// checklist, minutes and decisions. The review logic (what may change and
// when) is package review's; these methods load, hand the review to it and
// save what it changed, in one transaction.
type Reviews interface {
	// SubmitReview opens a review of a product release in one
	// transaction: open gets the current review of the release (nil when
	// there is none) and returns the review to add, or nil to keep the
	// current one, which is then returned with created false. Changes open
	// makes to the current review (superseding it) are saved with it.
	SubmitReview(ctx context.Context, product, release string, open func(current *review.Review) (*review.Review, error)) (r review.Review, created bool, err error)
	// Review returns a review, or an error wrapping ErrNotFound.
	Review(ctx context.Context, id int64) (review.Review, error)
	// UpdateReview loads a review, lets fn change it and saves the change
	// in one transaction; fn's error aborts and is returned as is.
	UpdateReview(ctx context.Context, id int64, fn func(*review.Review) error) (review.Review, error)
	// ListReviews lists reviews matching q, newest first, without their
	// checklist, minutes, decisions and diff.
	ListReviews(ctx context.Context, q ReviewQuery) ([]review.Review, error)
	// ReviewGate returns what the review gate judges: the newest review
	// of the release that reviewed the model hash (nil when none did or
	// hash is empty) and the current review of the release (nil when none).
	ReviewGate(ctx context.Context, product, release, hash string) (reviewed, current *review.Review, err error)
}

// ReviewQuery filters the review list. Empty fields do not filter.
type ReviewQuery struct {
	Product string
	Release string
	State   review.State
	// Limit is 1 to MaxPageSize, DefaultPageSize when 0.
	Limit int
}

const reviewColumns = `r.id, r.product, r.release_name, r.model_hash, r.standard, r.standard_hash, r.state,
	r.previous_id, r.superseded_by, r.submitted_by, r.submitted_at, r.decided_at, r.risks`

func scanReview(sc scanner) (review.Review, error) {
	var r review.Review
	var prev, next, decided sql.NullInt64
	var submitted int64
	var state, risks string
	if err := sc.Scan(&r.ID, &r.Product, &r.Release, &r.ModelHash, &r.Standard, &r.StandardHash, &state,
		&prev, &next, &r.SubmittedBy, &submitted, &decided, &risks); err != nil {
		return review.Review{}, err
	}
	r.State = review.State(state)
	r.Previous, r.SupersededBy = prev.Int64, next.Int64
	r.SubmittedAt = fromUnix(submitted)
	r.DecidedAt = fromNullUnix(decided)
	if err := json.Unmarshal([]byte(risks), &r.Risks); err != nil {
		return review.Review{}, fmt.Errorf("review %d: read risks: %w", r.ID, err)
	}
	return r, nil
}

// querier is a transaction or the read pool.
type querier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// loadReview reads a whole review; lock takes PostgreSQL's row lock for an
// update (SQLite has one writer).
func (d *DB) loadReview(ctx context.Context, q querier, id int64, lock bool) (*review.Review, error) {
	suffix := ""
	if lock && d.engine == enginePostgres {
		suffix = " FOR UPDATE"
	}
	var diff sql.NullString
	var findings, modelYAML string
	row := q.queryRow(ctx, "SELECT "+reviewColumns+", r.diff, r.findings, r.model_yaml FROM reviews r WHERE r.id = ?"+suffix, id)
	r, err := scanReview(&extraScanner{row: row, extra: []any{&diff, &findings, &modelYAML}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("review %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load review %d: %w", id, err)
	}
	if diff.Valid {
		r.Diff = &review.Diff{}
		if err := json.Unmarshal([]byte(diff.String), r.Diff); err != nil {
			return nil, fmt.Errorf("review %d: read diff: %w", id, err)
		}
	}
	if err := json.Unmarshal([]byte(findings), &r.Basis.Findings); err != nil {
		return nil, fmt.Errorf("review %d: read findings: %w", id, err)
	}
	r.Basis.ModelYAML = []byte(modelYAML)
	if err := d.loadReviewParts(ctx, q, &r); err != nil {
		return nil, fmt.Errorf("load review %d: %w", id, err)
	}
	return &r, nil
}

// extraScanner scans the review columns followed by extra ones.
type extraScanner struct {
	row   *sql.Row
	extra []any
}

func (e *extraScanner) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }

func (d *DB) loadReviewParts(ctx context.Context, q querier, r *review.Review) error {
	r.Checklist, r.Minutes, r.Decisions = []review.Item{}, []review.Minute{}, []review.Decision{}
	rows, err := q.query(ctx, `SELECT item_id, kind, title, layer, severity, red_line, open_risks, accepted_risks,
		status, evidence, answered_by, answered_at FROM review_items WHERE review_id = ? ORDER BY seq`, r.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var it review.Item
		var kind, status string
		var red int
		var at sql.NullInt64
		if err := rows.Scan(&it.ID, &kind, &it.Title, &it.Layer, &it.Severity, &red, &it.OpenRisks, &it.AcceptedRisks,
			&status, &it.Evidence, &it.AnsweredBy, &at); err != nil {
			rows.Close()
			return err
		}
		it.Kind, it.Status, it.RedLine, it.AnsweredAt = review.ItemKind(kind), review.Status(status), red != 0, fromNullUnix(at)
		r.Checklist = append(r.Checklist, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.query(ctx, "SELECT at, author, text FROM review_minutes WHERE review_id = ? ORDER BY id", r.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var m review.Minute
		var at int64
		if err := rows.Scan(&at, &m.Author, &m.Text); err != nil {
			rows.Close()
			return err
		}
		m.At = fromUnix(at)
		r.Minutes = append(r.Minutes, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.query(ctx, "SELECT at, actor, action, from_state, to_state, reason, red_lines FROM review_decisions WHERE review_id = ? ORDER BY id", r.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var dc review.Decision
		var at int64
		var action, from, to string
		if err := rows.Scan(&at, &dc.Actor, &action, &from, &to, &dc.Reason, &dc.RedLines); err != nil {
			return err
		}
		dc.At, dc.Action, dc.From, dc.To = fromUnix(at), review.Action(action), review.State(from), review.State(to)
		r.Decisions = append(r.Decisions, dc)
	}
	return rows.Err()
}

// Review returns a review; see Reviews.
func (d *DB) Review(ctx context.Context, id int64) (review.Review, error) {
	r, err := d.loadReview(ctx, d, id, false)
	if err != nil {
		return review.Review{}, err
	}
	return *r, nil
}

// currentReviewID returns the id of the review of the release that is not
// superseded, or 0.
func (d *DB) currentReviewID(ctx context.Context, q querier, product, release string) (int64, error) {
	var id int64
	err := q.queryRow(ctx, "SELECT id FROM reviews WHERE product = ? AND release_name = ? AND state <> 'superseded' ORDER BY id DESC LIMIT 1",
		product, release).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// SubmitReview opens a review; see Reviews.
func (d *DB) SubmitReview(ctx context.Context, product, release string, open func(*review.Review) (*review.Review, error)) (review.Review, bool, error) {
	if product == "" || release == "" {
		return review.Review{}, false, fmt.Errorf("%w: a review needs a product and a release", ErrInvalid)
	}
	var out review.Review
	created := false
	err := d.inTx(ctx, func(t *tx) error {
		id, err := d.currentReviewID(ctx, t, product, release)
		if err != nil {
			return fmt.Errorf("find current review: %w", err)
		}
		var cur *review.Review
		var before review.Review
		if id != 0 {
			if cur, err = d.loadReview(ctx, t, id, true); err != nil {
				return err
			}
			before = cloneParts(cur)
		}
		next, err := open(cur)
		if err != nil {
			return err
		}
		if next == nil {
			if cur == nil {
				return fmt.Errorf("%w: nothing to submit", ErrInvalid)
			}
			out = *cur
			return nil
		}
		if next.Product != product || next.Release != release {
			return fmt.Errorf("%w: the review is of %s %s, not %s %s", ErrInvalid, next.Product, next.Release, product, release)
		}
		if cur != nil {
			// The current review leaves the unique "current" slot first.
			if err := d.saveReview(ctx, t, &before, cur); err != nil {
				return err
			}
		}
		if err := d.insertReview(ctx, t, next); err != nil {
			return err
		}
		if cur != nil && cur.State == review.StateSuperseded {
			if _, err := t.exec(ctx, "UPDATE reviews SET superseded_by = ? WHERE id = ?", next.ID, cur.ID); err != nil {
				return fmt.Errorf("link superseded review %d: %w", cur.ID, err)
			}
		}
		out, created = *next, true
		return nil
	})
	if err != nil {
		return review.Review{}, false, err
	}
	return out, created, nil
}

// cloneParts copies what saveReview compares: state and the lengths and
// answers of the parts.
func cloneParts(r *review.Review) review.Review {
	c := *r
	c.Checklist = append([]review.Item(nil), r.Checklist...)
	c.Minutes = append([]review.Minute(nil), r.Minutes...)
	c.Decisions = append([]review.Decision(nil), r.Decisions...)
	return c
}

func (d *DB) insertReview(ctx context.Context, t *tx, r *review.Review) error {
	risks, err := json.Marshal(r.Risks)
	if err != nil {
		return fmt.Errorf("encode risks: %w", err)
	}
	var diff any
	if r.Diff != nil {
		b, err := json.Marshal(r.Diff)
		if err != nil {
			return fmt.Errorf("encode diff: %w", err)
		}
		diff = string(b)
	}
	fs := r.Basis.Findings
	if fs == nil {
		fs = []finding.Finding{}
	}
	findings, err := json.Marshal(fs)
	if err != nil {
		return fmt.Errorf("encode findings: %w", err)
	}
	var prev any
	if r.Previous != 0 {
		prev = r.Previous
	}
	err = t.queryRow(ctx, `INSERT INTO reviews (product, release_name, model_hash, standard, standard_hash, state, previous_id,
		submitted_by, submitted_at, decided_at, risks, diff, findings, model_yaml)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Product, r.Release, r.ModelHash, r.Standard, r.StandardHash, string(r.State), prev,
		r.SubmittedBy, unix(r.SubmittedAt), nullUnix(r.DecidedAt), string(risks), diff, string(findings), string(r.Basis.ModelYAML)).Scan(&r.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: another review of %s %s was submitted at the same time; submit again", ErrInvalid, r.Product, r.Release)
		}
		return fmt.Errorf("insert review: %w", err)
	}
	for i := range r.Checklist {
		if err := d.insertItem(ctx, t, r.ID, i, &r.Checklist[i]); err != nil {
			return err
		}
	}
	return d.saveReview(ctx, t, &review.Review{ID: r.ID, State: r.State, DecidedAt: r.DecidedAt, Checklist: r.Checklist}, r)
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func isUniqueViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

func nullUnix(t *time.Time) any {
	if t == nil {
		return nil
	}
	return unix(*t)
}

func (d *DB) insertItem(ctx context.Context, t *tx, reviewID int64, seq int, it *review.Item) error {
	_, err := t.exec(ctx, `INSERT INTO review_items (review_id, seq, item_id, kind, title, layer, severity, red_line,
		open_risks, accepted_risks, status, evidence, answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		reviewID, seq, it.ID, string(it.Kind), it.Title, it.Layer, it.Severity, boolInt(it.RedLine),
		it.OpenRisks, it.AcceptedRisks, string(it.Status), it.Evidence, it.AnsweredBy, nullUnix(it.AnsweredAt))
	if err != nil {
		return fmt.Errorf("insert checklist item %s: %w", it.ID, err)
	}
	return nil
}

// saveReview writes what changed from before to after: the state and
// dates, answered items, and appended minutes and decisions. Minutes and
// decisions are append-only: a change that drops or rewrites one is
// refused.
func (d *DB) saveReview(ctx context.Context, t *tx, before, after *review.Review) error {
	if len(after.Checklist) != len(before.Checklist) || len(after.Minutes) < len(before.Minutes) || len(after.Decisions) < len(before.Decisions) {
		return fmt.Errorf("save review %d: the checklist is fixed and minutes and decisions are append-only", after.ID)
	}
	if after.State != before.State || !sameTime(after.DecidedAt, before.DecidedAt) {
		if _, err := t.exec(ctx, "UPDATE reviews SET state = ?, decided_at = ? WHERE id = ?",
			string(after.State), nullUnix(after.DecidedAt), after.ID); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("%w: review %d cannot become current again", ErrInvalid, after.ID)
			}
			return fmt.Errorf("save review %d: %w", after.ID, err)
		}
	}
	for i := range after.Checklist {
		a, b := &after.Checklist[i], &before.Checklist[i]
		if a.ID != b.ID {
			return fmt.Errorf("save review %d: the checklist is fixed", after.ID)
		}
		if a.Status == b.Status && a.Evidence == b.Evidence && a.AnsweredBy == b.AnsweredBy && sameTime(a.AnsweredAt, b.AnsweredAt) {
			continue
		}
		if _, err := t.exec(ctx, "UPDATE review_items SET status = ?, evidence = ?, answered_by = ?, answered_at = ? WHERE review_id = ? AND seq = ?",
			string(a.Status), a.Evidence, a.AnsweredBy, nullUnix(a.AnsweredAt), after.ID, i); err != nil {
			return fmt.Errorf("save answer to %s: %w", a.ID, err)
		}
	}
	for _, m := range after.Minutes[len(before.Minutes):] {
		if _, err := t.exec(ctx, "INSERT INTO review_minutes (review_id, at, author, text) VALUES (?, ?, ?, ?)",
			after.ID, unix(m.At), m.Author, m.Text); err != nil {
			return fmt.Errorf("save minutes: %w", err)
		}
	}
	for _, dc := range after.Decisions[len(before.Decisions):] {
		if _, err := t.exec(ctx, `INSERT INTO review_decisions (review_id, at, actor, action, from_state, to_state, reason, red_lines)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, after.ID, unix(dc.At), dc.Actor, string(dc.Action), string(dc.From), string(dc.To), dc.Reason, dc.RedLines); err != nil {
			return fmt.Errorf("save decision: %w", err)
		}
	}
	return nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Unix() == b.Unix()
}

// UpdateReview changes a review; see Reviews.
func (d *DB) UpdateReview(ctx context.Context, id int64, fn func(*review.Review) error) (review.Review, error) {
	var out review.Review
	err := d.inTx(ctx, func(t *tx) error {
		r, err := d.loadReview(ctx, t, id, true)
		if err != nil {
			return err
		}
		before := cloneParts(r)
		if err := fn(r); err != nil {
			return err
		}
		if r.ID != id || r.ModelHash != before.ModelHash {
			return fmt.Errorf("update review %d: the review's identity cannot change", id)
		}
		if err := d.saveReview(ctx, t, &before, r); err != nil {
			return err
		}
		out = *r
		return nil
	})
	if err != nil {
		return review.Review{}, err
	}
	return out, nil
}

// ListReviews lists reviews; see Reviews.
func (d *DB) ListReviews(ctx context.Context, q ReviewQuery) ([]review.Review, error) {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 0 || limit > MaxPageSize {
		return nil, fmt.Errorf("%w: limit must be 1 to %d", ErrInvalid, MaxPageSize)
	}
	where, args := " WHERE 1 = 1", []any{}
	if q.Product != "" {
		where += " AND r.product = ?"
		args = append(args, q.Product)
	}
	if q.Release != "" {
		where += " AND r.release_name = ?"
		args = append(args, q.Release)
	}
	if q.State != "" {
		where += " AND r.state = ?"
		args = append(args, string(q.State))
	}
	rows, err := d.query(ctx, "SELECT "+reviewColumns+" FROM reviews r"+where+" ORDER BY r.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	defer rows.Close()
	out := []review.Review{}
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, fmt.Errorf("list reviews: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReviewGate returns what the gate judges; see Reviews.
func (d *DB) ReviewGate(ctx context.Context, product, release, hash string) (reviewed, current *review.Review, err error) {
	id, err := d.currentReviewID(ctx, d, product, release)
	if err != nil {
		return nil, nil, fmt.Errorf("review gate: %w", err)
	}
	if id != 0 {
		if current, err = d.loadReview(ctx, d, id, false); err != nil {
			return nil, nil, err
		}
	}
	if hash == "" {
		return nil, current, nil
	}
	var rid int64
	err = d.queryRow(ctx, "SELECT id FROM reviews WHERE product = ? AND release_name = ? AND model_hash = ? ORDER BY id DESC LIMIT 1",
		product, release, hash).Scan(&rid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, current, nil
	case err != nil:
		return nil, nil, fmt.Errorf("review gate: %w", err)
	}
	if current != nil && current.ID == rid {
		return current, current, nil
	}
	if reviewed, err = d.loadReview(ctx, d, rid, false); err != nil {
		return nil, nil, err
	}
	return reviewed, current, nil
}
