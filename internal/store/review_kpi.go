package store

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// reviewFilter limits rows of the reviews alias to the scope's product.
func (s *kpiScope) reviewFilter(alias string) (string, []any) {
	if s.product == "" {
		return "", nil
	}
	return " AND " + alias + ".product = ?", []any{s.product}
}

// ReviewCompletion is the review_completion KPI.
type ReviewCompletion struct {
	// InScope counts the products that submitted a model for review,
	// Approved those whose current release's review (the review not
	// superseded of the release whose first review was submitted last) is
	// approved; Rate is Approved/InScope in percent.
	InScope  int     `json:"in_scope"`
	Approved int     `json:"approved"`
	Rate     float64 `json:"rate_percent"`
	// Pending lists the products in scope without approval, sorted.
	Pending []string `json:"pending"`
	// WithoutReview counts the products of the findings store that never
	// submitted a model (not in scope).
	WithoutReview int `json:"products_without_review"`
}

// currentReleases returns, per product in scope that submitted a model
// for review, its current release: the one whose first review was
// submitted last. A later review of an older release (a hotfix) does not
// make that release current again.
func (d *DB) currentReleases(ctx context.Context, s *kpiScope) (map[string]string, error) {
	cond, args := s.reviewFilter("r")
	rows, err := d.query(ctx, `SELECT r.product, r.release_name, MIN(r.id) FROM reviews r WHERE 1 = 1`+cond+
		` GROUP BY r.product, r.release_name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	current := map[string]string{}
	first := map[string]int64{}
	for rows.Next() {
		var product, release string
		var id int64
		if err := rows.Scan(&product, &release, &id); err != nil {
			return nil, err
		}
		if id > first[product] {
			current[product], first[product] = release, id
		}
	}
	return current, rows.Err()
}

func kpiReviewCompletion(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	current, err := s.releases()
	if err != nil {
		return nil, err
	}
	cond, args := s.reviewFilter("r")
	rows, err := d.query(ctx, `SELECT r.product, r.release_name, r.state FROM reviews r WHERE r.state <> 'superseded'`+cond+`
		ORDER BY r.product`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := ReviewCompletion{Pending: []string{}}
	for rows.Next() {
		var product, release, state string
		if err := rows.Scan(&product, &release, &state); err != nil {
			return nil, err
		}
		if current[product] != release {
			continue
		}
		out.InScope++
		if state == "approved" {
			out.Approved++
		} else {
			out.Pending = append(out.Pending, product)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out.InScope > 0 {
		out.Rate = math.Round(float64(out.Approved)/float64(out.InScope)*10000) / 100
	}
	pcond, pargs := "", []any{}
	if s.product != "" {
		pcond, pargs = " AND p.name = ?", []any{s.product}
	}
	if err := d.queryRow(ctx, "SELECT COUNT(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.product = p.name)"+pcond,
		pargs...).Scan(&out.WithoutReview); err != nil {
		return nil, err
	}
	return out, nil
}

// RedLinesAtApproval is the review_red_lines_at_approval KPI: it must stay 0.
type RedLinesAtApproval struct {
	Approvals  int `json:"approvals"`
	Violations int `json:"violations"`
	// Reviews lists the reviews approved with open red lines, sorted.
	Reviews []int64 `json:"reviews"`
}

func kpiReviewRedLines(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	cond, args := s.reviewFilter("r")
	rows, err := d.query(ctx, `SELECT r.id, dc.red_lines FROM review_decisions dc JOIN reviews r ON r.id = dc.review_id
		WHERE dc.action = 'approve' AND dc.at >= ? AND dc.at < ?`+cond+` ORDER BY r.id`, append([]any{s.since, s.until}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := RedLinesAtApproval{Reviews: []int64{}}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out.Approvals++
		if n > 0 {
			out.Violations++
			out.Reviews = append(out.Reviews, id)
		}
	}
	return out, rows.Err()
}

// LeadTime is the review_lead_time KPI: the time from a model's submission
// to the decision on its review, over the reviews decided in the period.
type LeadTime struct {
	Decided    int     `json:"decided"`
	Median     int64   `json:"median_seconds"`
	P90        int64   `json:"p90_seconds"`
	MedianDays float64 `json:"median_days"`
	P90Days    float64 `json:"p90_days"`
}

func kpiReviewLeadTime(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	cond, args := s.reviewFilter("r")
	rows, err := d.query(ctx, `SELECT dc.at - r.submitted_at FROM review_decisions dc JOIN reviews r ON r.id = dc.review_id
		WHERE dc.action IN ('approve', 'reject') AND dc.at >= ? AND dc.at < ?`+cond, append([]any{s.since, s.until}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var v []int64
	for rows.Next() {
		var sec int64
		if err := rows.Scan(&sec); err != nil {
			return nil, err
		}
		v = append(v, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(v)
	lt := LeadTime{Decided: len(v), Median: percentile(v, 0.5), P90: percentile(v, 0.9)}
	lt.MedianDays, lt.P90Days = days(lt.Median), days(lt.P90)
	return lt, nil
}

// FirstPass is the review_first_pass KPI: of the product releases whose
// first review decision fell in the period, how many were approved at that
// first decision (no rejection before).
type FirstPass struct {
	Releases int     `json:"releases"`
	Approved int     `json:"approved_first"`
	Rate     float64 `json:"rate_percent"`
}

func kpiReviewFirstPass(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	cond, args := s.reviewFilter("r")
	rows, err := d.query(ctx, `SELECT r.product, r.release_name, dc.action, dc.at, dc.id FROM review_decisions dc
		JOIN reviews r ON r.id = dc.review_id WHERE dc.action IN ('approve', 'reject')`+cond+`
		ORDER BY r.product, r.release_name, dc.at, dc.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out FirstPass
	prev := "\x00"
	for rows.Next() {
		var product, release, action string
		var at, id int64
		if err := rows.Scan(&product, &release, &action, &at, &id); err != nil {
			return nil, err
		}
		key := product + "\x00" + release
		if key == prev {
			continue // only the first decision of a release counts
		}
		prev = key
		if at < s.since || at >= s.until {
			continue
		}
		out.Releases++
		if action == "approve" {
			out.Approved++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out.Releases > 0 {
		out.Rate = math.Round(float64(out.Approved)/float64(out.Releases)*10000) / 100
	}
	return out, nil
}

// pastReleaseTargets returns the model targets the design KPIs leave out:
// those of a product's releases other than its current one
// (currentReleases). Each release is its own target, so without this a
// risk would count once for every release ever reviewed, and the risks of
// old releases, which no new model of theirs will close, would count for
// good. Products that never submitted a review have none.
func (d *DB) pastReleaseTargets(ctx context.Context, s *kpiScope) (map[int64]bool, error) {
	current, err := s.releases()
	if err != nil {
		return nil, err
	}
	cond, args := "", []any{}
	if s.product != "" {
		cond, args = " AND p.name = ?", []any{s.product}
	}
	rows, err := d.query(ctx, `SELECT t.id, p.name, t.name FROM targets t JOIN products p ON p.id = t.product_id
		WHERE t.kind = 'model'`+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		var product, name string
		if err := rows.Scan(&id, &product, &name); err != nil {
			return nil, err
		}
		if rel, ok := current[product]; ok && name != product+"@"+rel {
			out[id] = true
		}
	}
	return out, rows.Err()
}

func kpiDesignOpenRisks(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	past, err := s.pastTargets()
	if err != nil {
		return nil, err
	}
	// A risk's age runs from the first release that had it: the earliest
	// first sighting of its fingerprint (rule, product and element) in any
	// release of the product.
	cond, pargs := s.productCheck("f")
	rows, err := d.query(ctx, `SELECT f.fingerprint, f.severity, f.first_seen, f.state, f.target_id
		FROM findings f WHERE f.kind = 'design'`+cond, pargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type open struct {
		fingerprint string
		severity    int
	}
	since := map[string]int64{}
	var counted []open
	for rows.Next() {
		var o open
		var first, target int64
		var state State
		if err := rows.Scan(&o.fingerprint, &o.severity, &first, &state, &target); err != nil {
			return nil, err
		}
		if f, ok := since[o.fingerprint]; !ok || first < f {
			since[o.fingerprint] = first
		}
		if isOpen(state) && !past[target] {
			counted = append(counted, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	by := map[finding.Severity]*AgeBuckets{}
	for _, sev := range severitiesDesc {
		by[sev] = &AgeBuckets{Severity: sev.String()}
	}
	for _, o := range counted {
		b := by[finding.Severity(o.severity)]
		if b == nil {
			continue
		}
		switch age := s.today() - since[o.fingerprint]/86400; {
		case age <= 30:
			b.Upto30++
		case age <= 60:
			b.Upto60++
		case age <= 90:
			b.Upto90++
		default:
			b.Over90++
		}
		b.Total++
	}
	out := make([]AgeBuckets, 0, len(severitiesDesc))
	for _, sev := range severitiesDesc {
		out = append(out, *by[sev])
	}
	return out, nil
}

// ExpiringException is one accepted design risk whose acceptance ends soon.
type ExpiringException struct {
	FindingID int64     `json:"finding_id"`
	Product   string    `json:"product"`
	RuleID    string    `json:"rule_id"`
	Owner     string    `json:"owner"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ExceptionsExpiring is the design_exceptions_expiring KPI.
type ExceptionsExpiring struct {
	// Active counts the live acceptances of design risks; Expiring those
	// ending within 30 days, listed soonest first (at most the scope's
	// breach limit).
	Active   int                 `json:"active"`
	Expiring int                 `json:"expiring_30_days"`
	List     []ExpiringException `json:"expiring"`
}

func kpiDesignExceptionsExpiring(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	past, err := s.pastTargets()
	if err != nil {
		return nil, err
	}
	// Live acceptances of design risks are few: read them all, soonest
	// first, and leave out those of past releases here.
	cond, pargs := s.productCheck("f")
	rows, err := d.query(ctx, `SELECT f.id, p.name, f.rule_id, e.owner, e.expires_at, f.target_id
		FROM exceptions e JOIN findings f ON f.id = e.finding_id JOIN targets t ON t.id = f.target_id JOIN products p ON p.id = t.product_id
		WHERE e.ended_at IS NULL AND f.kind = 'design' AND f.state = 'accepted' AND e.expires_at > ?`+cond+
		` ORDER BY e.expires_at, f.id`, append([]any{s.now}, pargs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := ExceptionsExpiring{List: []ExpiringException{}}
	for rows.Next() {
		var x ExpiringException
		var exp, target int64
		if err := rows.Scan(&x.FindingID, &x.Product, &x.RuleID, &x.Owner, &exp, &target); err != nil {
			return nil, err
		}
		if past[target] {
			continue
		}
		out.Active++
		if exp > s.now+30*86400 {
			continue
		}
		out.Expiring++
		if len(out.List) < s.maxBreaches {
			x.ExpiresAt = fromUnix(exp)
			out.List = append(out.List, x)
		}
	}
	return out, rows.Err()
}
