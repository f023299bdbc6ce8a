package store

import (
	"context"
	"fmt"
	"time"
)

// ExpiringQuery selects live risk acceptances by expiry.
type ExpiringQuery struct {
	// Product limits the list to one product; empty lists every product.
	Product string
	// Before is the end of the window: acceptances expiring before it
	// (already expired ones that the sweep has not reopened included).
	Before time.Time
	// Limit bounds the list: 1 to MaxPageSize, DefaultPageSize when 0.
	Limit int
}

// ExpiringAcceptance is an accepted finding with its live acceptance.
type ExpiringAcceptance struct {
	Finding   Finding   `json:"finding"`
	Exception Exception `json:"exception"`
}

// ExpiringList is the answer of ExpiringAcceptances: the soonest
// acceptances first, and how many match in all.
type ExpiringList struct {
	Acceptances []ExpiringAcceptance `json:"acceptances"`
	Total       int                  `json:"total"`
}

// ExpiringAcceptances lists the live acceptances of accepted findings that
// expire before q.Before, soonest first (then by acceptance id), with the
// owner, reason and expiry of each.
func (d *DB) ExpiringAcceptances(ctx context.Context, q ExpiringQuery) (ExpiringList, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return ExpiringList{}, fmt.Errorf("%w: limit must be 1 to %d", ErrInvalid, MaxPageSize)
	}
	from := findingFrom + ` JOIN exceptions e ON e.finding_id = f.id
		WHERE e.ended_at IS NULL AND e.expires_at < ? AND f.state = 'accepted'`
	args := []any{unix(q.Before)}
	if q.Product != "" {
		from += " AND p.name = ?"
		args = append(args, q.Product)
	}
	out := ExpiringList{Acceptances: []ExpiringAcceptance{}}
	if err := d.queryRow(ctx, "SELECT COUNT(*)"+from, args...).Scan(&out.Total); err != nil {
		return ExpiringList{}, fmt.Errorf("expiring acceptances: %w", err)
	}
	rows, err := d.query(ctx, "SELECT "+findingColumns+`, e.id, e.owner, e.reason, e.created_by, e.created_at, e.expires_at`+
		from+" ORDER BY e.expires_at, e.id LIMIT ?", append(args, limit)...)
	if err != nil {
		return ExpiringList{}, fmt.Errorf("expiring acceptances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a ExpiringAcceptance
		var created, expires int64
		f, err := scanFinding(rows, &a.Exception.ID, &a.Exception.Owner, &a.Exception.Reason, &a.Exception.CreatedBy, &created, &expires)
		if err != nil {
			return ExpiringList{}, fmt.Errorf("expiring acceptances: %w", err)
		}
		a.Finding = f
		a.Exception.CreatedAt, a.Exception.ExpiresAt = fromUnix(created), fromUnix(expires)
		out.Acceptances = append(out.Acceptances, a)
	}
	if err := rows.Err(); err != nil {
		return ExpiringList{}, fmt.Errorf("expiring acceptances: %w", err)
	}
	return out, nil
}
