package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/redline-sec/redline/internal/finding"
)

// isOpen reports whether a state counts as unresolved risk (openStates).
func isOpen(s State) bool { return s == StateOpen || s == StateInTriage }

// risk10 is a risk score in tenths, as open_rollup sums it.
func risk10(r float64) int64 { return int64(math.Round(r * 10)) }

type rollupKey struct {
	product  int64
	severity int
	day      int64
}

type rollupDelta struct{ n, risk10 int64 }

// rollup collects the changes one transaction makes to open_rollup.
type rollup map[rollupKey]rollupDelta

// add counts a finding into (sign 1) or out of (sign -1) the open findings.
func (r rollup) add(product int64, sev finding.Severity, firstSeen int64, risk float64, sign int64) {
	k := rollupKey{product: product, severity: int(sev), day: firstSeen / 86400}
	d := r[k]
	d.n += sign
	d.risk10 += sign * risk10(risk)
	r[k] = d
}

// apply writes the changes, in key order so that concurrent transactions
// lock rollup rows in the same order.
func (r rollup) apply(ctx context.Context, t *tx) error {
	keys := make([]rollupKey, 0, len(r))
	for k, d := range r {
		if d != (rollupDelta{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b rollupKey) int {
		if c := cmp.Compare(a.product, b.product); c != 0 {
			return c
		}
		if c := cmp.Compare(a.severity, b.severity); c != 0 {
			return c
		}
		return cmp.Compare(a.day, b.day)
	})
	for chunk := range slices.Chunk(keys, chunkRows) {
		args := make([]any, 0, 5*len(chunk))
		for _, k := range chunk {
			d := r[k]
			args = append(args, k.product, k.severity, k.day, d.n, d.risk10)
		}
		if _, err := t.exec(ctx, `INSERT INTO open_rollup (product_id, severity, first_day, n, risk10) VALUES `+placeholders(len(chunk), 5)+`
			ON CONFLICT (product_id, severity, first_day) DO UPDATE SET n = open_rollup.n + excluded.n, risk10 = open_rollup.risk10 + excluded.risk10`,
			args...); err != nil {
			return fmt.Errorf("update open-finding counts: %w", err)
		}
	}
	return nil
}

// moveTarget moves the open findings of a target from one product's counts
// to another's (an upload named a new product for the target). The caller
// holds the target's finding rows locked.
func moveTarget(ctx context.Context, t *tx, r rollup, targetID, from, to int64) error {
	rows, err := t.query(ctx, "SELECT severity, first_seen, risk FROM findings WHERE target_id = ? AND state IN "+openStates, targetID)
	if err != nil {
		return fmt.Errorf("move target counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sev int
		var first int64
		var risk float64
		if err := rows.Scan(&sev, &first, &risk); err != nil {
			return fmt.Errorf("move target counts: %w", err)
		}
		r.add(from, finding.Severity(sev), first, risk, -1)
		r.add(to, finding.Severity(sev), first, risk, 1)
	}
	return rows.Err()
}
