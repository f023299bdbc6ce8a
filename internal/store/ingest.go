package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// Limits on one scan.
const (
	MaxScanFindings = 200_000
	MaxNameLength   = 1024
)

// DefaultProduct is the product a new target joins when the upload names none.
const DefaultProduct = "default"

// SystemActor is the actor of changes Redline makes by itself.
const SystemActor = "redline"

// severityRisk is the risk of a finding without a CVSS score, by severity
// (the same nominal scores SARIF's security-severity uses).
var severityRisk = [...]float64{0, 2.0, 5.5, 8.0, 9.5}

// Risk is a finding's risk score, 0–10: its highest CVSS base score, or
// the nominal score of its severity when it has none.
func Risk(f *finding.Finding) float64 {
	best := -1.0
	for _, c := range f.CVSS {
		best = max(best, c.Score)
	}
	if best >= 0 {
		return best
	}
	s := f.Severity
	if s < finding.SeverityUnknown || s > finding.SeverityCritical {
		s = finding.SeverityUnknown
	}
	return severityRisk[s]
}

// record is a finding prepared for the findings table.
type record struct {
	f           *finding.Finding
	raw, loc    string
	fix         string
	hash        string
	risk        float64
	suppressed  *Suppressed
	pkgName     string
	pkgVersion  string
	pkgEco      string
	initial     State
	acceptUntil sql.NullInt64
}

func newRecord(f *finding.Finding, sup *Suppressed, now time.Time) (*record, error) {
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", f.Fingerprint, err)
	}
	loc, _ := json.Marshal(f.Location)
	fix := []byte("null")
	if f.Fix != nil {
		fix, _ = json.Marshal(f.Fix)
	}
	sum := sha256.Sum256(raw)
	r := &record{f: f, raw: string(raw), loc: string(loc), fix: string(fix), hash: hex.EncodeToString(sum[:16]),
		risk: Risk(f), suppressed: sup, initial: StateOpen}
	if f.Package != nil {
		r.pkgName, r.pkgVersion, r.pkgEco = f.Package.Name, f.Package.Version, f.Package.Ecosystem
	}
	if sup != nil && sup.Expires.After(now) {
		r.initial = StateAccepted
		r.acceptUntil = sql.NullInt64{Int64: unix(sup.Expires), Valid: true}
	}
	return r, nil
}

func checkScan(s *Scan) error {
	switch {
	case s.ID == "" || len(s.ID) > 128:
		return fmt.Errorf("%w: scan id must be 1 to 128 characters", ErrInvalid)
	case s.Target.Kind == "" || s.Target.Name == "":
		return fmt.Errorf("%w: the scan names no target", ErrInvalid)
	case len(s.Target.Name) > MaxNameLength || len(s.Target.Kind) > 64 || len(s.Product) > 256:
		return fmt.Errorf("%w: target or product name too long", ErrInvalid)
	case len(s.Findings)+len(s.Suppressed) > MaxScanFindings:
		return fmt.Errorf("%w: %d findings is more than the %d one scan may hold", ErrInvalid, len(s.Findings)+len(s.Suppressed), MaxScanFindings)
	}
	return nil
}

// prepare turns the scan's findings into records, one per fingerprint (a kept
// finding wins over a suppressed one with the same fingerprint).
func prepare(s *Scan, now time.Time) ([]*record, error) {
	seen := make(map[string]bool, len(s.Findings)+len(s.Suppressed))
	out := make([]*record, 0, len(s.Findings)+len(s.Suppressed))
	add := func(f *finding.Finding, sup *Suppressed) error {
		if f.Fingerprint == "" {
			return fmt.Errorf("%w: finding %s has no fingerprint", ErrInvalid, f.RuleID)
		}
		if seen[f.Fingerprint] {
			return nil
		}
		seen[f.Fingerprint] = true
		r, err := newRecord(f, sup, now)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}
	for i := range s.Findings {
		if err := add(&s.Findings[i], nil); err != nil {
			return nil, err
		}
	}
	for i := range s.Suppressed {
		if err := add(&s.Suppressed[i].Finding, &s.Suppressed[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// existing is what ingest needs to know of a stored finding.
type existing struct {
	id    int64
	state State
	hash  string
	sev   finding.Severity
	first int64
	risk  float64
}

// event is a history row waiting to be written.
type event struct {
	findingID int64
	from, to  State
	reason    string
}

// Ingest records an uploaded scan in one transaction; see Store.
func (d *DB) Ingest(ctx context.Context, s *Scan) (IngestResult, error) {
	if err := checkScan(s); err != nil {
		return IngestResult{}, err
	}
	now := d.now().UTC()
	recs, err := prepare(s, now)
	if err != nil {
		return IngestResult{}, err
	}
	actor := s.Actor
	if actor == "" {
		actor = SystemActor
	}
	var res IngestResult
	err = d.inTx(ctx, func(t *tx) error {
		var dup bool
		if res, dup, err = storedScan(ctx, t, s.ID); err != nil || dup {
			return err
		}
		productID, err := resolveProduct(ctx, t, s, now)
		if err != nil {
			return err
		}
		// The upsert locks the target row (PostgreSQL), so concurrent
		// uploads of one target apply one after the other. Finding rows are
		// always locked in id order (here and in sweep), so lockers never
		// wait on each other in a cycle.
		var targetID, oldProduct int64
		if err := t.queryRow(ctx, `INSERT INTO targets (product_id, kind, name, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (kind, name) DO UPDATE SET product_id = targets.product_id
			RETURNING id, product_id`, productID, s.Target.Kind, s.Target.Name, unix(now)).Scan(&targetID, &oldProduct); err != nil {
			return fmt.Errorf("record target: %w", err)
		}
		if oldProduct != productID {
			if _, err := t.exec(ctx, "UPDATE targets SET product_id = ? WHERE id = ?", productID, targetID); err != nil {
				return fmt.Errorf("move target: %w", err)
			}
		}
		r, err := t.exec(ctx, `INSERT INTO scans (id, target_id, received_at, uploaded_by, digest, tool_version, report_sha256,
			findings, new_findings, fixed_findings, reopened, blocked, fail_on)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, ?) ON CONFLICT (id) DO NOTHING`,
			s.ID, targetID, unix(now), actor, s.Target.Digest, s.ToolVersion, s.ReportSHA256, s.FailOn)
		if err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			// The same scan id committed while this one waited.
			res, _, err = storedScan(ctx, t, s.ID)
			return err
		}
		res = IngestResult{ScanID: s.ID, TargetID: targetID, Findings: len(recs), Blocked: s.Blocked}
		if err := t.queryRow(ctx, "SELECT name FROM products WHERE id = ?", productID).Scan(&res.Product); err != nil {
			return fmt.Errorf("read product: %w", err)
		}
		ids, err := applyFindings(ctx, t, s, targetID, productID, oldProduct, recs, actor, now, &res)
		if err != nil {
			return err
		}
		if s.Blocked {
			if err := recordBlocked(ctx, t, s, targetID, ids, now); err != nil {
				return err
			}
		}
		if _, err := t.exec(ctx, "UPDATE targets SET last_scan_id = ?, last_scan_at = ? WHERE id = ?", s.ID, unix(now), targetID); err != nil {
			return fmt.Errorf("update target: %w", err)
		}
		if _, err := t.exec(ctx, "UPDATE scans SET findings = ?, new_findings = ?, fixed_findings = ?, reopened = ?, blocked = ? WHERE id = ?",
			res.Findings, res.New, res.Fixed, res.Reopened, boolInt(s.Blocked), s.ID); err != nil {
			return fmt.Errorf("update scan: %w", err)
		}
		// Expired acceptances of this target reopen now; the periodic
		// SweepExpired handles the rest (sweeping every target here would
		// lock rows other uploads hold).
		_, err = sweep(ctx, t, now, targetID)
		return err
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest scan %s: %w", s.ID, err)
	}
	return res, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// storedScan returns the result of an already stored scan.
func storedScan(ctx context.Context, t *tx, id string) (IngestResult, bool, error) {
	res := IngestResult{ScanID: id, Duplicate: true}
	var blocked int
	err := t.queryRow(ctx, `SELECT s.target_id, p.name, s.findings, s.new_findings, s.fixed_findings, s.reopened, s.blocked
		FROM scans s JOIN targets t ON t.id = s.target_id JOIN products p ON p.id = t.product_id WHERE s.id = ?`, id).
		Scan(&res.TargetID, &res.Product, &res.Findings, &res.New, &res.Fixed, &res.Reopened, &blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return IngestResult{}, false, nil
	}
	if err != nil {
		return IngestResult{}, false, fmt.Errorf("look up scan: %w", err)
	}
	res.Blocked = blocked != 0
	return res, true, nil
}

// resolveProduct returns the id of the product the target belongs to after
// this scan: the named one (created when new), else the target's current
// product, else the default product.
func resolveProduct(ctx context.Context, t *tx, s *Scan, now time.Time) (int64, error) {
	name := s.Product
	if name == "" {
		var id int64
		err := t.queryRow(ctx, "SELECT product_id FROM targets WHERE kind = ? AND name = ?", s.Target.Kind, s.Target.Name).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("look up target: %w", err)
		}
		name = DefaultProduct
	}
	var id int64
	if err := t.queryRow(ctx, `INSERT INTO products (name, created_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name, unix(now)).Scan(&id); err != nil {
		return 0, fmt.Errorf("record product: %w", err)
	}
	return id, nil
}

// applyFindings brings the target's findings in line with the scan and
// returns the finding id of every fingerprint in it.
// productID is the target's product after this scan and oldProduct its
// product before.
func applyFindings(ctx context.Context, t *tx, s *Scan, targetID, productID, oldProduct int64, recs []*record, actor string, now time.Time, res *IngestResult) (map[string]int64, error) {
	old := make(map[string]existing)
	rows, err := t.query(ctx, "SELECT id, fingerprint, state, content_hash, severity, first_seen, risk FROM findings WHERE target_id = ? ORDER BY id"+t.d.forUpdate(), targetID)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	for rows.Next() {
		var e existing
		var fp string
		var sev int
		if err := rows.Scan(&e.id, &fp, &e.state, &e.hash, &sev, &e.first, &e.risk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read findings: %w", err)
		}
		e.sev = finding.Severity(sev)
		old[fp] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	counts := rollup{}
	if oldProduct != productID {
		if err := moveTarget(ctx, t, counts, targetID, oldProduct, productID); err != nil {
			return nil, err
		}
	}

	ids := make(map[string]int64, len(recs))
	var fresh []*record
	var seen, reopen []int64
	var events []event
	for _, r := range recs {
		e, ok := old[r.f.Fingerprint]
		if !ok {
			fresh = append(fresh, r)
			continue
		}
		ids[r.f.Fingerprint] = e.id
		seen = append(seen, e.id)
		if e.hash != r.hash {
			if _, err := t.exec(ctx, `UPDATE findings SET kind = ?, rule_id = ?, title = ?, severity = ?, risk = ?,
				package_name = ?, package_version = ?, package_ecosystem = ?, location = ?, fix = ?, raw = ?, content_hash = ?
				WHERE id = ?`, string(r.f.Kind), r.f.RuleID, r.f.Title, int(r.f.Severity), r.risk,
				r.pkgName, r.pkgVersion, r.pkgEco, r.loc, r.fix, r.raw, r.hash, e.id); err != nil {
				return nil, fmt.Errorf("update finding %d: %w", e.id, err)
			}
		}
		if e.hash != r.hash && isOpen(e.state) {
			counts.add(productID, e.sev, e.first, e.risk, -1)
			counts.add(productID, r.f.Severity, e.first, r.risk, 1)
		}
		if e.state == StateFixed {
			reopen = append(reopen, e.id)
			events = append(events, event{e.id, StateFixed, StateOpen, "seen again in scan " + s.ID})
			counts.add(productID, r.f.Severity, e.first, r.risk, 1)
		}
	}
	res.Reopened = len(reopen)

	// New findings, several rows per statement.
	const cols = 20
	for chunk := range slices.Chunk(fresh, chunkRows) {
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, targetID, r.f.Fingerprint, string(r.f.Kind), r.f.RuleID, r.f.Title, int(r.f.Severity), r.risk,
				r.pkgName, r.pkgVersion, r.pkgEco, r.loc, r.fix, r.raw, r.hash,
				string(r.initial), unix(now), unix(now), unix(now), r.acceptUntil, s.ID)
		}
		rows, err := t.query(ctx, `INSERT INTO findings (target_id, fingerprint, kind, rule_id, title, severity, risk,
			package_name, package_version, package_ecosystem, location, fix, raw, content_hash,
			state, first_seen, last_seen, state_changed_at, accepted_until, last_scan_id)
			VALUES `+placeholders(len(chunk), cols)+` RETURNING id, fingerprint`, args...)
		if err != nil {
			return nil, fmt.Errorf("insert findings: %w", err)
		}
		for rows.Next() {
			var id int64
			var fp string
			if err := rows.Scan(&id, &fp); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insert findings: %w", err)
			}
			ids[fp] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("insert findings: %w", err)
		}
	}
	res.New = len(fresh)
	var accepted []*record
	var critical []int64
	for _, r := range fresh {
		id := ids[r.f.Fingerprint]
		if r.initial == StateAccepted {
			accepted = append(accepted, r)
			events = append(events, event{id, "", StateAccepted, "first seen in scan " + s.ID + ", suppressed by an ignore of " + r.suppressed.Owner + ": " + r.suppressed.Reason})
		} else {
			events = append(events, event{id, "", StateOpen, "first seen in scan " + s.ID})
			counts.add(productID, r.f.Severity, unix(now), r.risk, 1)
			if r.f.Severity == finding.SeverityCritical {
				critical = append(critical, id)
			}
		}
	}
	if err := queueNewCritical(ctx, t, critical, now); err != nil {
		return nil, err
	}
	for _, r := range accepted {
		if _, err := t.exec(ctx, `INSERT INTO exceptions (finding_id, owner, reason, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, ids[r.f.Fingerprint], r.suppressed.Owner, r.suppressed.Reason, actor, unix(now), r.acceptUntil.Int64); err != nil {
			return nil, fmt.Errorf("record exception: %w", err)
		}
	}

	if err := updateIDs(ctx, t, "UPDATE findings SET last_seen = ?, last_scan_id = ? WHERE id IN ", []any{unix(now), s.ID}, seen); err != nil {
		return nil, fmt.Errorf("mark findings seen: %w", err)
	}
	if err := updateIDs(ctx, t, "UPDATE findings SET state = 'open', state_changed_at = ?, fixed_at = NULL WHERE id IN ", []any{unix(now)}, reopen); err != nil {
		return nil, fmt.Errorf("reopen findings: %w", err)
	}

	// Findings the scan no longer reports are fixed, unless someone judged
	// them false positives (that judgement stays).
	var gone []existing
	for fp, e := range old {
		if _, still := ids[fp]; !still {
			gone = append(gone, e)
		}
	}
	slices.SortFunc(gone, func(a, b existing) int { return cmp.Compare(a.id, b.id) })
	var fixed, endExceptions []int64
	for _, e := range gone {
		switch e.state {
		case StateOpen, StateInTriage, StateAccepted:
			fixed = append(fixed, e.id)
			events = append(events, event{e.id, e.state, StateFixed, "not seen in scan " + s.ID})
			if isOpen(e.state) {
				counts.add(productID, e.sev, e.first, e.risk, -1)
			}
			if e.state == StateAccepted {
				endExceptions = append(endExceptions, e.id)
			}
		}
	}
	res.Fixed = len(fixed)
	if err := updateIDs(ctx, t, "UPDATE findings SET state = 'fixed', state_changed_at = ?, fixed_at = ?, accepted_until = NULL WHERE id IN ",
		[]any{unix(now), unix(now)}, fixed); err != nil {
		return nil, fmt.Errorf("mark findings fixed: %w", err)
	}
	if err := updateIDs(ctx, t, "UPDATE exceptions SET ended_at = ?, ended_why = 'fixed' WHERE ended_at IS NULL AND finding_id IN ",
		[]any{unix(now)}, endExceptions); err != nil {
		return nil, fmt.Errorf("end exceptions: %w", err)
	}
	if err := insertEvents(ctx, t, events, actor, s.ID, now); err != nil {
		return nil, err
	}
	if err := counts.apply(ctx, t); err != nil {
		return nil, err
	}
	return ids, nil
}

// updateIDs runs "stmt (id, id, …)" over ids in chunks, with head as the
// leading arguments.
func updateIDs(ctx context.Context, t *tx, stmt string, head []any, ids []int64) error {
	for chunk := range slices.Chunk(ids, chunkRows) {
		args := append(slices.Clone(head), make([]any, 0, len(chunk))...)
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := t.exec(ctx, stmt+"("+strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+")", args...); err != nil {
			return err
		}
	}
	return nil
}

// insertEvents writes history rows, several per statement.
func insertEvents(ctx context.Context, t *tx, events []event, actor, scanID string, now time.Time) error {
	const cols = 7
	for chunk := range slices.Chunk(events, chunkRows) {
		args := make([]any, 0, len(chunk)*cols)
		for _, e := range chunk {
			args = append(args, e.findingID, unix(now), actor, string(e.from), string(e.to), e.reason, scanID)
		}
		if _, err := t.exec(ctx, `INSERT INTO finding_events (finding_id, at, actor, from_state, to_state, reason, scan_id) VALUES `+
			placeholders(len(chunk), cols), args...); err != nil {
			return fmt.Errorf("record history: %w", err)
		}
	}
	return nil
}

// recordBlocked stores a blocked build with the findings that blocked it.
func recordBlocked(ctx context.Context, t *tx, s *Scan, targetID int64, ids map[string]int64, now time.Time) error {
	var id int64
	if err := t.queryRow(ctx, "INSERT INTO blocked_builds (scan_id, target_id, at, fail_on) VALUES (?, ?, ?, ?) RETURNING id",
		s.ID, targetID, unix(now), s.FailOn).Scan(&id); err != nil {
		return fmt.Errorf("record blocked build: %w", err)
	}
	var fids []int64
	for _, fp := range s.Blocking {
		if fid, ok := ids[fp]; ok {
			fids = append(fids, fid)
		}
	}
	slices.Sort(fids)
	fids = slices.Compact(fids)
	for chunk := range slices.Chunk(fids, chunkRows) {
		args := make([]any, 0, 2*len(chunk))
		for _, fid := range chunk {
			args = append(args, id, fid)
		}
		if _, err := t.exec(ctx, "INSERT INTO blocked_build_findings (blocked_build_id, finding_id) VALUES "+placeholders(len(chunk), 2), args...); err != nil {
			return fmt.Errorf("record blocking findings: %w", err)
		}
	}
	return nil
}
