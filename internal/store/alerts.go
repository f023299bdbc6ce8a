package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// AlertKind is why a finding is alerted.
type AlertKind string

// The alert kinds.
const (
	// AlertNewCritical is a critical finding first seen in an upload.
	AlertNewCritical AlertKind = "new_critical"
	// AlertSLABreach is an open finding that crossed its SLA.
	AlertSLABreach AlertKind = "sla_breach"
)

// Alerts queues and claims the alerts about findings. Each finding is
// alerted at most once per kind once a delivery succeeded: the record
// survives restarts and is shared by replicas on one database. Ingest
// queues an AlertNewCritical for every critical finding it opens.
type Alerts interface {
	// QueueSLABreaches queues an AlertSLABreach for every open (or in
	// triage) finding past its SLA that has none yet, and returns how many
	// it queued. A finding breaches as the sla KPI counts it: first seen
	// more whole UTC days ago than its severity's SLA.
	QueueSLABreaches(ctx context.Context, sla SLA) (int, error)
	// ClaimAlerts claims every pending alert of kind that is not claimed
	// by someone else (a claim lapses after lease) and returns them, with
	// at most list of their findings (most severe, then oldest, first).
	// A batch with Total 0 claimed nothing.
	ClaimAlerts(ctx context.Context, kind AlertKind, lease time.Duration, list int) (AlertBatch, error)
	// ReleaseAlerts ends a claim: delivered stamps its alerts as sent for
	// good; otherwise they return to the queue for the next sweep.
	ReleaseAlerts(ctx context.Context, claim string, delivered bool) error
}

// AlertBatch is a set of claimed alerts of one kind.
type AlertBatch struct {
	Claim string
	Kind  AlertKind
	// Total is how many alerts the claim holds; Findings lists some.
	Total    int
	Findings []Finding
}

// queueNewCritical queues an AlertNewCritical for each finding id.
func queueNewCritical(ctx context.Context, t *tx, ids []int64, now time.Time) error {
	for chunk := range slices.Chunk(ids, chunkRows) {
		args := make([]any, 0, len(chunk)*3)
		for _, id := range chunk {
			args = append(args, id, string(AlertNewCritical), unix(now))
		}
		if _, err := t.exec(ctx, "INSERT INTO finding_alerts (finding_id, kind, created_at) VALUES "+
			placeholders(len(chunk), 3)+" ON CONFLICT DO NOTHING", args...); err != nil {
			return fmt.Errorf("queue alerts: %w", err)
		}
	}
	return nil
}

// QueueSLABreaches queues SLA-breach alerts; see Alerts.
func (d *DB) QueueSLABreaches(ctx context.Context, sla SLA) (int, error) {
	now := d.now()
	today := now.Unix() / 86400
	total := 0
	err := d.inTx(ctx, func(t *tx) error {
		for _, sev := range []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow} {
			days := sla.Days(sev)
			if days <= 0 {
				continue
			}
			due := (today - int64(days)) * 86400
			r, err := t.exec(ctx, `INSERT INTO finding_alerts (finding_id, kind, created_at)
				SELECT f.id, ?, ? FROM findings f
				WHERE f.state IN `+openStates+` AND f.severity = ? AND f.first_seen < ?
				AND NOT EXISTS (SELECT 1 FROM finding_alerts a WHERE a.finding_id = f.id AND a.kind = ?)
				ON CONFLICT DO NOTHING`, string(AlertSLABreach), unix(now), int(sev), due, string(AlertSLABreach))
			if err != nil {
				return fmt.Errorf("queue SLA breaches: %w", err)
			}
			n, err := r.RowsAffected()
			if err != nil {
				return fmt.Errorf("queue SLA breaches: %w", err)
			}
			total += int(n)
		}
		return nil
	})
	return total, err
}

// ClaimAlerts claims pending alerts; see Alerts. The claim is one UPDATE
// whose WHERE clause PostgreSQL re-checks on rows another replica changed
// meanwhile, so two sweeps never hold the same alert.
func (d *DB) ClaimAlerts(ctx context.Context, kind AlertKind, lease time.Duration, list int) (AlertBatch, error) {
	if kind != AlertNewCritical && kind != AlertSLABreach {
		return AlertBatch{}, fmt.Errorf("%w: unknown alert kind %q", ErrInvalid, kind)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return AlertBatch{}, fmt.Errorf("claim alerts: %w", err)
	}
	batch := AlertBatch{Claim: hex.EncodeToString(b[:]), Kind: kind, Findings: []Finding{}}
	now := d.now()
	err := d.inTx(ctx, func(t *tx) error {
		r, err := t.exec(ctx, `UPDATE finding_alerts SET claim = ?, claimed_at = ?, attempts = attempts + 1
			WHERE kind = ? AND alerted_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)`,
			batch.Claim, unix(now), string(kind), unix(now.Add(-lease)))
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		batch.Total = int(n)
		if n == 0 || list <= 0 {
			return nil
		}
		rows, err := t.query(ctx, `SELECT `+findingColumns+findingFrom+`
			JOIN finding_alerts a ON a.finding_id = f.id
			WHERE a.claim = ? AND a.kind = ?
			ORDER BY f.severity DESC, f.first_seen, f.id LIMIT ?`, batch.Claim, string(kind), list)
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanFinding(rows)
			if err != nil {
				return fmt.Errorf("claim alerts: %w", err)
			}
			batch.Findings = append(batch.Findings, f)
		}
		return rows.Err()
	})
	if err != nil {
		return AlertBatch{}, err
	}
	return batch, nil
}

// ReleaseAlerts ends a claim; see Alerts.
func (d *DB) ReleaseAlerts(ctx context.Context, claim string, delivered bool) error {
	query := "UPDATE finding_alerts SET claim = NULL, claimed_at = NULL WHERE claim = ?"
	args := []any{claim}
	if delivered {
		query = "UPDATE finding_alerts SET claim = NULL, alerted_at = ? WHERE claim = ?"
		args = []any{unix(d.now()), claim}
	}
	return d.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, query, args...); err != nil {
			return fmt.Errorf("release alerts: %w", err)
		}
		return nil
	})
}
