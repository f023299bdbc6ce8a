package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redline-sec/redline/internal/finding"
)

// openStates are the states that count as unresolved risk.
const openStates = "('open', 'in_triage')"

// MaxReasonLength bounds the why of a lifecycle change.
const MaxReasonLength = 4096

// forUpdate is the row-locking clause where the engine has one (SQLite
// already holds the database write lock in a write transaction).
func (d *DB) forUpdate() string {
	if d.engine == enginePostgres {
		return " FOR UPDATE"
	}
	return ""
}

// forUpdateOf is forUpdate locking only the rows of one alias of a join.
func (d *DB) forUpdateOf(alias string) string {
	if d.engine == enginePostgres {
		return " FOR UPDATE OF " + alias
	}
	return ""
}

const findingColumns = `f.id, f.fingerprint, p.name, f.target_id, t.name, f.kind, f.rule_id, f.title, f.severity, f.risk,
	f.package_name, f.package_version, f.package_ecosystem, f.location, f.fix, f.state,
	f.first_seen, f.last_seen, f.fixed_at, f.accepted_until, f.last_scan_id`

const findingFrom = ` FROM findings f JOIN targets t ON t.id = f.target_id JOIN products p ON p.id = t.product_id`

type scanner interface{ Scan(dest ...any) error }

func scanFinding(sc scanner, extra ...any) (Finding, error) {
	var f Finding
	var kind, state, pname, pver, peco, loc, fix string
	var sev int
	var first, last int64
	var fixed, until sql.NullInt64
	dest := []any{&f.ID, &f.Fingerprint, &f.Product, &f.TargetID, &f.Target, &kind, &f.RuleID, &f.Title, &sev, &f.Risk,
		&pname, &pver, &peco, &loc, &fix, &state, &first, &last, &fixed, &until, &f.LastScanID}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return Finding{}, err
	}
	f.Kind, f.Severity, f.State = finding.Kind(kind), finding.Severity(sev), State(state)
	f.FirstSeen, f.LastSeen = fromUnix(first), fromUnix(last)
	f.FixedAt, f.AcceptedUntil = fromNullUnix(fixed), fromNullUnix(until)
	if pname != "" || peco != "" {
		f.Package = &finding.Package{Name: pname, Version: pver, Ecosystem: peco}
	}
	if err := json.Unmarshal([]byte(loc), &f.Location); err != nil {
		return Finding{}, fmt.Errorf("finding %d: stored location: %w", f.ID, err)
	}
	if fix != "null" && fix != "" {
		f.Fix = new(finding.Fix)
		if err := json.Unmarshal([]byte(fix), f.Fix); err != nil {
			return Finding{}, fmt.Errorf("finding %d: stored fix: %w", f.ID, err)
		}
	}
	return f, nil
}

// encodeCursor and decodeCursor keep the page position opaque to clients.
// A cursor names the (severity, id) of a page's edge finding; a backward
// cursor (a page's Prev) asks for the findings before it rather than after.
func encodeCursor(sev finding.Severity, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(int(sev)) + "." + strconv.FormatInt(id, 10)))
}

// backwardMark starts the payload of a backward cursor.
const backwardMark = "b"

func encodeBackwardCursor(sev finding.Severity, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(backwardMark + strconv.Itoa(int(sev)) + "." + strconv.FormatInt(id, 10)))
}

// pagePosition is a decoded cursor.
type pagePosition struct {
	sev      int
	id       int64
	backward bool
}

func decodeCursor(c string) (pagePosition, error) {
	bad := fmt.Errorf("%w: malformed cursor", ErrInvalid)
	if len(c) > 64 {
		return pagePosition{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return pagePosition{}, bad
	}
	s, backward := strings.CutPrefix(string(b), backwardMark)
	a, z, ok := strings.Cut(s, ".")
	sev, err1 := strconv.Atoi(a)
	id, err2 := strconv.ParseInt(z, 10, 64)
	if !ok || err1 != nil || err2 != nil || sev < 0 || sev > int(finding.SeverityCritical) || id < 0 {
		return pagePosition{}, bad
	}
	return pagePosition{sev: sev, id: id, backward: backward}, nil
}

// likePattern escapes a search text for LIKE … ESCAPE '\'.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}

// maxSearchTrigrams is how many of a search text's trigrams the index
// query uses: the rarest ones, which alone narrow the candidates most.
// Rarity is counted up to searchRarityCap rows per trigram, which bounds
// the cost of counting a trigram that nearly every finding holds.
const (
	maxSearchTrigrams = 3
	searchRarityCap   = 20000
)

// ftsQuery turns a search text of three or more characters into an FTS5
// query for rows holding its rarest trigrams (each quoted as a term of its
// own: the index keeps no positions). Rows holding the text hold every
// trigram of it, so the candidates are a superset; the exact match filters
// the rest.
func (d *DB) ftsQuery(ctx context.Context, text string) (string, error) {
	r := []rune(text)
	type term struct {
		q string
		n int
	}
	var terms []term
	seen := map[string]bool{}
	for i := 0; i+3 <= len(r); i++ {
		q := `"` + strings.ReplaceAll(string(r[i:i+3]), `"`, `""`) + `"`
		if seen[q] {
			continue
		}
		seen[q] = true
		var n int
		if err := d.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM findings_fts WHERE findings_fts MATCH ? LIMIT ?) AS c", q, searchRarityCap).Scan(&n); err != nil {
			return "", fmt.Errorf("search index: %w", err)
		}
		if n == 0 { // no finding holds this trigram: nothing matches
			return q, nil
		}
		terms = append(terms, term{q, n})
	}
	slices.SortStableFunc(terms, func(a, b term) int { return cmp.Compare(a.n, b.n) })
	var qs []string
	for _, t := range terms[:min(len(terms), maxSearchTrigrams)] {
		qs = append(qs, t.q)
	}
	return strings.Join(qs, " "), nil
}

// SearchIndexed reports whether free-text search uses an index: always on
// SQLite (FTS5), on PostgreSQL when the pg_trgm extension was available to
// migration 0006.
func (d *DB) SearchIndexed(ctx context.Context) (bool, error) {
	if d.engine != enginePostgres {
		return true, nil
	}
	var n int
	if err := d.queryRow(ctx, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'findings_search' AND schemaname = current_schema()").Scan(&n); err != nil {
		return false, fmt.Errorf("check search index: %w", err)
	}
	return n > 0, nil
}

// Findings returns one page of findings; see Store.
func (d *DB) Findings(ctx context.Context, q FindingQuery) (FindingPage, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return FindingPage{}, fmt.Errorf("%w: page size must be 1 to %d", ErrInvalid, MaxPageSize)
	}
	var where []string
	var args []any
	var with string
	var withArgs []any
	if q.Product != "" {
		// A product with a large share of the targets is best found by
		// walking the (state, severity, id) index and checking the target
		// ("+ 0" keeps both engines from driving the query by target); a
		// small one by its targets' rows.
		var mine, all int
		if err := d.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN p.name = ? THEN 1 ELSE 0 END), 0), COUNT(*)
			FROM targets t JOIN products p ON p.id = t.product_id`, q.Product).Scan(&mine, &all); err != nil {
			return FindingPage{}, fmt.Errorf("list findings: %w", err)
		}
		col := "f.target_id"
		if mine*10 >= all {
			col = "f.target_id + 0"
		}
		where = append(where, col+" IN (SELECT t2.id FROM targets t2 JOIN products p2 ON p2.id = t2.product_id WHERE p2.name = ?)")
		args = append(args, q.Product)
	}
	if q.TargetID != 0 {
		where = append(where, "f.target_id = ?")
		args = append(args, q.TargetID)
	}
	if len(q.Severities) > 0 {
		where = append(where, "f.severity IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Severities)), ",")+")")
		for _, s := range q.Severities {
			args = append(args, int(s))
		}
	}
	if len(q.Kinds) > 0 {
		where = append(where, "f.kind IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Kinds)), ",")+")")
		for _, k := range q.Kinds {
			args = append(args, string(k))
		}
	}
	if q.Text != "" {
		if len(q.Text) > 256 {
			return FindingPage{}, fmt.Errorf("%w: search text longer than 256 bytes", ErrInvalid)
		}
		p := likePattern(q.Text)
		// The search index (migration 0006) narrows the candidates; the
		// exact match below decides.
		switch {
		case d.engine == engineSQLite && utf8.RuneCountInString(q.Text) >= 3:
			fq, err := d.ftsQuery(ctx, q.Text)
			if err != nil {
				return FindingPage{}, fmt.Errorf("list findings: %w", err)
			}
			// One index query for every per-state probe below.
			with = "WITH hits(id) AS MATERIALIZED (SELECT rowid FROM findings_fts WHERE findings_fts MATCH ?) "
			withArgs = []any{fq}
			where = append(where, "f.id IN hits")
		case d.engine == enginePostgres:
			where = append(where, `(lower(f.rule_id) || chr(10) || lower(f.title) || chr(10) || lower(f.package_name) || chr(10) || f.fingerprint) LIKE ?`)
			args = append(args, p)
		}
		where = append(where, `(LOWER(f.rule_id) LIKE ? ESCAPE '\' OR LOWER(f.title) LIKE ? ESCAPE '\' OR LOWER(f.package_name) LIKE ? ESCAPE '\' OR f.fingerprint = ?)`)
		args = append(args, p, p, p, strings.ToLower(q.Text))
	}
	// A forward page walks the index down from its cursor, a backward one
	// up: both are range scans of the same index in opposite directions.
	order, cmpOp := "DESC", "<"
	var pos pagePosition
	if q.Cursor != "" {
		var err error
		if pos, err = decodeCursor(q.Cursor); err != nil {
			return FindingPage{}, err
		}
		if pos.backward {
			order, cmpOp = "ASC", ">"
		}
	}
	// One index-ordered probe per state (findings_state is state, severity,
	// id), merged: no engine has to sort every match to find a page. With
	// a cursor each state takes two probes, the rest of the cursor's
	// severity and the severities beyond it, so that each starts exactly at
	// its seek key (SQLite does not seek on a row value ending in the rowid,
	// and would otherwise step over every finding of the cursor's severity
	// on the near side of it).
	states := slices.Clone(q.States)
	if len(states) == 0 {
		states = States()
	}
	slices.Sort(states)
	states = slices.Compact(states)
	cond := ""
	if len(where) > 0 {
		cond = " AND " + strings.Join(where, " AND ")
	}
	var parts []string
	var idArgs []any
	probe := func(extra string) {
		parts = append(parts, fmt.Sprintf("SELECT * FROM (SELECT f.id, f.severity FROM findings f WHERE f.state = ?%s%s ORDER BY f.severity %s, f.id %s LIMIT ?) AS s%d",
			cond, extra, order, order, len(parts)))
	}
	for _, st := range states {
		if q.Cursor == "" {
			probe("")
			idArgs = append(append(append(idArgs, string(st)), args...), limit+1)
			continue
		}
		probe(" AND f.severity = ? AND f.id " + cmpOp + " ?")
		idArgs = append(append(append(idArgs, string(st)), args...), pos.sev, pos.id, limit+1)
		probe(" AND f.severity " + cmpOp + " ?")
		idArgs = append(append(append(idArgs, string(st)), args...), pos.sev, limit+1)
	}
	rows, err := d.query(ctx, with+"SELECT id, severity FROM ("+strings.Join(parts, " UNION ALL ")+") AS u ORDER BY severity "+order+", id "+order+" LIMIT ?",
		append(append(withArgs, idArgs...), limit+1)...)
	if err != nil {
		return FindingPage{}, fmt.Errorf("list findings: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		var sev int
		if err := rows.Scan(&id, &sev); err != nil {
			rows.Close()
			return FindingPage{}, fmt.Errorf("list findings: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return FindingPage{}, fmt.Errorf("list findings: %w", err)
	}
	// One more row than the page says whether the walk goes on beyond it.
	more := len(ids) > limit
	if pos.backward && !more {
		// Going back reached the start, and the findings before the cursor
		// may no longer fill a page (some changed state since): answer
		// with the first page itself, never a short or empty page that
		// has no way on.
		q.Cursor = ""
		return d.Findings(ctx, q)
	}
	ids = ids[:min(len(ids), limit)]
	page := FindingPage{Findings: []Finding{}}
	if len(ids) == 0 {
		return page, nil
	}
	frows, err := d.query(ctx, "SELECT "+findingColumns+findingFrom+" WHERE f.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+
		") ORDER BY f.severity DESC, f.id DESC", ids...)
	if err != nil {
		return FindingPage{}, fmt.Errorf("list findings: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		f, err := scanFinding(frows)
		if err != nil {
			return FindingPage{}, fmt.Errorf("list findings: %w", err)
		}
		page.Findings = append(page.Findings, f)
	}
	if err := frows.Err(); err != nil {
		return FindingPage{}, fmt.Errorf("list findings: %w", err)
	}
	if len(page.Findings) == 0 {
		return page, nil
	}
	first, last := page.Findings[0], page.Findings[len(page.Findings)-1]
	// A page reached backwards has findings after it (at least the
	// cursor's own), and one reached forwards through a cursor has
	// findings before it.
	if more || pos.backward {
		page.Next = encodeCursor(last.Severity, last.ID)
	}
	if (pos.backward && more) || (!pos.backward && q.Cursor != "") {
		page.Prev = encodeBackwardCursor(first.Severity, first.ID)
	}
	return page, nil
}

// Finding returns one finding with its history; see Store.
func (d *DB) Finding(ctx context.Context, id int64) (FindingDetail, error) {
	var raw string
	f, err := scanFinding(d.queryRow(ctx, "SELECT "+findingColumns+", f.raw"+findingFrom+" WHERE f.id = ?", id), &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return FindingDetail{}, fmt.Errorf("finding %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return FindingDetail{}, fmt.Errorf("finding %d: %w", id, err)
	}
	det := FindingDetail{Finding: f, History: []Event{}, Exceptions: []Exception{}}
	if err := json.Unmarshal([]byte(raw), &det.Raw); err != nil {
		return FindingDetail{}, fmt.Errorf("finding %d: stored record: %w", id, err)
	}
	rows, err := d.query(ctx, "SELECT at, actor, from_state, to_state, reason, scan_id FROM finding_events WHERE finding_id = ? ORDER BY id", id)
	if err != nil {
		return FindingDetail{}, fmt.Errorf("finding %d history: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at int64
		var from, to string
		if err := rows.Scan(&at, &e.Actor, &from, &to, &e.Reason, &e.ScanID); err != nil {
			return FindingDetail{}, fmt.Errorf("finding %d history: %w", id, err)
		}
		e.At, e.From, e.To = fromUnix(at), State(from), State(to)
		det.History = append(det.History, e)
	}
	if err := rows.Err(); err != nil {
		return FindingDetail{}, fmt.Errorf("finding %d history: %w", id, err)
	}
	rows.Close()
	xrows, err := d.query(ctx, `SELECT id, owner, reason, created_by, created_at, expires_at, ended_at, ended_why
		FROM exceptions WHERE finding_id = ? ORDER BY id`, id)
	if err != nil {
		return FindingDetail{}, fmt.Errorf("finding %d exceptions: %w", id, err)
	}
	defer xrows.Close()
	for xrows.Next() {
		var x Exception
		var created, expires int64
		var ended sql.NullInt64
		if err := xrows.Scan(&x.ID, &x.Owner, &x.Reason, &x.CreatedBy, &created, &expires, &ended, &x.EndedWhy); err != nil {
			return FindingDetail{}, fmt.Errorf("finding %d exceptions: %w", id, err)
		}
		x.CreatedAt, x.ExpiresAt, x.EndedAt = fromUnix(created), fromUnix(expires), fromNullUnix(ended)
		det.Exceptions = append(det.Exceptions, x)
	}
	if err := xrows.Err(); err != nil {
		return FindingDetail{}, fmt.Errorf("finding %d exceptions: %w", id, err)
	}
	return det, nil
}

// transitions lists the moves people may make; fixed is only ever set by a
// scan that no longer sees the finding (and undone by one that does).
var transitions = map[State][]State{
	StateOpen:          {StateInTriage, StateAccepted, StateFalsePositive},
	StateInTriage:      {StateOpen, StateAccepted, StateFalsePositive},
	StateAccepted:      {StateOpen, StateInTriage, StateAccepted, StateFalsePositive},
	StateFalsePositive: {StateOpen, StateInTriage},
}

// Transition moves a finding to another state; see Store.
func (d *DB) Transition(ctx context.Context, id int64, c Change) (Finding, error) {
	now := d.now().UTC()
	switch {
	case c.Actor == "":
		return Finding{}, fmt.Errorf("%w: a change needs an actor", ErrInvalid)
	case strings.TrimSpace(c.Reason) == "":
		return Finding{}, fmt.Errorf("%w: a change needs a reason", ErrInvalid)
	case len(c.Reason) > MaxReasonLength || len(c.Owner) > MaxNameLength:
		return Finding{}, fmt.Errorf("%w: reason or owner too long", ErrInvalid)
	}
	if _, err := ParseState(string(c.To)); err != nil {
		return Finding{}, err
	}
	if c.To == StateAccepted {
		switch {
		case strings.TrimSpace(c.Owner) == "":
			return Finding{}, fmt.Errorf("%w: accepting a risk needs an owner", ErrInvalid)
		case c.Until.IsZero():
			return Finding{}, fmt.Errorf("%w: accepting a risk needs an expiry", ErrInvalid)
		case !c.Until.After(now):
			return Finding{}, fmt.Errorf("%w: the expiry %s is not in the future", ErrInvalid, c.Until.UTC().Format(time.RFC3339))
		}
	}
	err := d.inTx(ctx, func(t *tx) error {
		var from string
		var sev int
		var first, targetID, productID int64
		var risk float64
		err := t.queryRow(ctx, "SELECT state, severity, first_seen, risk, target_id FROM findings WHERE id = ?"+d.forUpdate(), id).
			Scan(&from, &sev, &first, &risk, &targetID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("finding %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("finding %d: %w", id, err)
		}
		if !slices.Contains(transitions[State(from)], c.To) {
			return fmt.Errorf("%w: finding %d cannot move from %s to %s", ErrInvalid, id, from, c.To)
		}
		if err := t.queryRow(ctx, "SELECT product_id FROM targets WHERE id = ?", targetID).Scan(&productID); err != nil {
			return fmt.Errorf("finding %d: %w", id, err)
		}
		if was, is := isOpen(State(from)), isOpen(c.To); was != is {
			sign := int64(-1)
			if is {
				sign = 1
			}
			counts := rollup{}
			counts.add(productID, finding.Severity(sev), first, risk, sign)
			if err := counts.apply(ctx, t); err != nil {
				return err
			}
		}
		if State(from) == StateAccepted {
			why := "replaced by a new acceptance"
			if c.To != StateAccepted {
				why = "ended by " + c.Actor + ": moved to " + string(c.To)
			}
			if _, err := t.exec(ctx, "UPDATE exceptions SET ended_at = ?, ended_why = ? WHERE finding_id = ? AND ended_at IS NULL", unix(now), why, id); err != nil {
				return fmt.Errorf("end exception: %w", err)
			}
		}
		var until sql.NullInt64
		if c.To == StateAccepted {
			until = sql.NullInt64{Int64: unix(c.Until), Valid: true}
			if _, err := t.exec(ctx, `INSERT INTO exceptions (finding_id, owner, reason, created_by, created_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?)`, id, c.Owner, c.Reason, c.Actor, unix(now), unix(c.Until)); err != nil {
				return fmt.Errorf("record exception: %w", err)
			}
		}
		if _, err := t.exec(ctx, "UPDATE findings SET state = ?, state_changed_at = ?, accepted_until = ? WHERE id = ?",
			string(c.To), unix(now), until, id); err != nil {
			return fmt.Errorf("update finding %d: %w", id, err)
		}
		reason := c.Reason
		if c.To == StateAccepted {
			reason = fmt.Sprintf("accepted until %s, owner %s: %s", c.Until.UTC().Format(time.RFC3339), c.Owner, c.Reason)
		}
		return insertEvents(ctx, t, []event{{id, State(from), c.To, reason}}, c.Actor, "", now)
	})
	if err != nil {
		return Finding{}, err
	}
	det, err := d.Finding(ctx, id)
	return det.Finding, err
}

// SweepExpired reopens accepted findings whose acceptance expired; see Store.
func (d *DB) SweepExpired(ctx context.Context) (int, error) {
	var n int
	err := d.inTx(ctx, func(t *tx) error {
		var err error
		n, err = sweep(ctx, t, d.now().UTC(), 0)
		return err
	})
	return n, err
}

// sweep reopens, inside t, every accepted finding whose expiry has passed:
// of one target, or of all when targetID is 0.
func sweep(ctx context.Context, t *tx, now time.Time, targetID int64) (int, error) {
	query := `SELECT f.id, f.accepted_until, f.severity, f.first_seen, f.risk, t.product_id
		FROM findings f JOIN targets t ON t.id = f.target_id WHERE f.state = 'accepted' AND f.accepted_until <= ?`
	args := []any{unix(now)}
	if targetID != 0 {
		query += " AND f.target_id = ?"
		args = append(args, targetID)
	}
	rows, err := t.query(ctx, query+" ORDER BY f.id"+t.d.forUpdateOf("f"), args...)
	if err != nil {
		return 0, fmt.Errorf("find expired acceptances: %w", err)
	}
	var ids []int64
	var events []event
	counts := rollup{}
	for rows.Next() {
		var id, until, first, product int64
		var sev int
		var risk float64
		if err := rows.Scan(&id, &until, &sev, &first, &risk, &product); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find expired acceptances: %w", err)
		}
		ids = append(ids, id)
		events = append(events, event{id, StateAccepted, StateOpen, "acceptance expired at " + fromUnix(until).Format(time.RFC3339)})
		counts.add(product, finding.Severity(sev), first, risk, 1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find expired acceptances: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := updateIDs(ctx, t, "UPDATE findings SET state = 'open', accepted_until = NULL, state_changed_at = ? WHERE id IN ", []any{unix(now)}, ids); err != nil {
		return 0, fmt.Errorf("reopen expired acceptances: %w", err)
	}
	if err := updateIDs(ctx, t, "UPDATE exceptions SET ended_at = ?, ended_why = 'expired' WHERE ended_at IS NULL AND finding_id IN ", []any{unix(now)}, ids); err != nil {
		return 0, fmt.Errorf("end expired exceptions: %w", err)
	}
	if err := insertEvents(ctx, t, events, SystemActor, "", now); err != nil {
		return 0, err
	}
	if err := counts.apply(ctx, t); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// Products lists the products; see Store.
func (d *DB) Products(ctx context.Context) ([]Product, error) {
	rows, err := d.query(ctx, `SELECT p.id, p.name, p.created_at,
		(SELECT COUNT(*) FROM targets t WHERE t.product_id = p.id),
		(SELECT COALESCE(SUM(r.n), 0) FROM open_rollup r WHERE r.product_id = p.id)
		FROM products p ORDER BY p.name`)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		var p Product
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &created, &p.Targets, &p.OpenFindings); err != nil {
			return nil, fmt.Errorf("list products: %w", err)
		}
		p.CreatedAt = fromUnix(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Targets lists targets; see Store.
func (d *DB) Targets(ctx context.Context, product string) ([]Target, error) {
	query := `SELECT t.id, p.name, t.kind, t.name, t.created_at, COALESCE(t.last_scan_id, ''), t.last_scan_at,
		(SELECT COUNT(*) FROM findings f WHERE f.target_id = t.id AND f.state IN ` + openStates + `)
		FROM targets t JOIN products p ON p.id = t.product_id`
	var args []any
	if product != "" {
		query += " WHERE p.name = ?"
		args = append(args, product)
	}
	rows, err := d.query(ctx, query+" ORDER BY p.name, t.kind, t.name", args...)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	defer rows.Close()
	out := []Target{}
	for rows.Next() {
		var t Target
		var created int64
		var last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Product, &t.Kind, &t.Name, &created, &t.LastScanID, &last, &t.OpenFindings); err != nil {
			return nil, fmt.Errorf("list targets: %w", err)
		}
		t.CreatedAt, t.LastScanAt = fromUnix(created), fromNullUnix(last)
		out = append(out, t)
	}
	return out, rows.Err()
}

// BlockedBuilds lists blocked builds; see Store.
func (d *DB) BlockedBuilds(ctx context.Context, q BlockedQuery) ([]BlockedBuild, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	query := `SELECT b.id, b.scan_id, p.name, b.target_id, t.name, b.at, b.fail_on
		FROM blocked_builds b JOIN targets t ON t.id = b.target_id JOIN products p ON p.id = t.product_id WHERE b.at >= ?`
	args := []any{unix(q.Since)}
	if q.Product != "" {
		query += " AND p.name = ?"
		args = append(args, q.Product)
	}
	rows, err := d.query(ctx, query+" ORDER BY b.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list blocked builds: %w", err)
	}
	defer rows.Close()
	out := []BlockedBuild{}
	for rows.Next() {
		var b BlockedBuild
		var at int64
		if err := rows.Scan(&b.ID, &b.ScanID, &b.Product, &b.TargetID, &b.Target, &at, &b.FailOn); err != nil {
			return nil, fmt.Errorf("list blocked builds: %w", err)
		}
		b.At, b.Findings = fromUnix(at), []int64{}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list blocked builds: %w", err)
	}
	rows.Close()
	for i := range out {
		frows, err := d.query(ctx, "SELECT finding_id FROM blocked_build_findings WHERE blocked_build_id = ? ORDER BY finding_id", out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("list blocked builds: %w", err)
		}
		for frows.Next() {
			var id int64
			if err := frows.Scan(&id); err != nil {
				frows.Close()
				return nil, fmt.Errorf("list blocked builds: %w", err)
			}
			out[i].Findings = append(out[i].Findings, id)
		}
		frows.Close()
		if err := frows.Err(); err != nil {
			return nil, fmt.Errorf("list blocked builds: %w", err)
		}
	}
	return out, nil
}
