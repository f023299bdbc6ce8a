package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/redline-sec/redline/internal/finding"
)

// SLA is the number of days a finding of each severity may stay open.
// Findings of unknown severity have no SLA.
type SLA struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
}

// DefaultSLA is 7 days for critical, 30 for high, 90 for medium and 180 for
// low findings.
func DefaultSLA() SLA { return SLA{Critical: 7, High: 30, Medium: 90, Low: 180} }

// Days returns the SLA of a severity in days, 0 when it has none.
func (s SLA) Days(sev finding.Severity) int {
	switch sev {
	case finding.SeverityCritical:
		return s.Critical
	case finding.SeverityHigh:
		return s.High
	case finding.SeverityMedium:
		return s.Medium
	case finding.SeverityLow:
		return s.Low
	}
	return 0
}

// ParseSLA reads "critical=7,high=30,medium=90,low=180"; severities left out
// keep their default.
func ParseSLA(s string) (SLA, error) {
	out := DefaultSLA()
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		var days int
		if _, err := fmt.Sscanf(v, "%d", &days); !ok || err != nil || days <= 0 || days > 3650 || fmt.Sprint(days) != v {
			return SLA{}, fmt.Errorf("%w: SLA entry %q: want severity=days with 1 to 3650 days", ErrInvalid, part)
		}
		switch k {
		case "critical":
			out.Critical = days
		case "high":
			out.High = days
		case "medium":
			out.Medium = days
		case "low":
			out.Low = days
		default:
			return SLA{}, fmt.Errorf("%w: SLA entry %q: unknown severity %q", ErrInvalid, part, k)
		}
	}
	return out, nil
}

// KPIQuery chooses the KPIs, product and period.
type KPIQuery struct {
	// Product limits every KPI to one product; empty means all.
	Product string
	// Since and Until bound the period of the trend and remediation KPIs;
	// Until defaults to now and Since to 90 days before Until.
	Since, Until time.Time
	// SLA is the SLA per severity; the zero value means DefaultSLA.
	SLA SLA
	// Names picks KPIs by name; empty computes every registered one.
	Names []string
	// MaxBreaches bounds the SLA breaches listed (default 100, at most 1000).
	MaxBreaches int
}

// KPIReport is the computed KPIs, keyed by KPI name.
type KPIReport struct {
	Product string         `json:"product,omitempty"`
	Since   time.Time      `json:"since"`
	Until   time.Time      `json:"until"`
	SLA     SLA            `json:"sla"`
	KPIs    map[string]any `json:"kpis"`
}

// KPIDefinition is one registered KPI.
type KPIDefinition struct {
	Name        string
	Description string
	compute     func(ctx context.Context, d *DB, s *kpiScope) (any, error)
}

// kpiDefinitions is the registry: adding a KPI is adding an entry here.
var kpiDefinitions = []KPIDefinition{
	{"builds_blocked", "builds the gate blocked, per day of the period", kpiBuildsBlocked},
	{"cves_blocked", "distinct vulnerabilities among the findings that blocked builds, per day of the period", kpiCVEsBlocked},
	{"time_to_remediate", "median and 90th percentile time from first seen to fixed, per severity, of findings fixed in the period", kpiTimeToRemediate},
	{"open_by_age", "open findings (open or in triage) by severity and age in whole UTC days: up to 30, 31 to 60, 61 to 90 and over 90", kpiOpenByAge},
	{"sla", "open findings older (in whole UTC days) than their severity's SLA, counted per severity and listed oldest first", kpiSLA},
	{"mean_open_risk", "mean and total risk score (highest CVSS, else the severity's nominal score) of open findings", kpiMeanOpenRisk},
	{"review_completion", "products that submitted a model for review whose current release (the release whose first review was submitted last) has its review approved, of all such products, in percent", kpiReviewCompletion},
	{"review_red_lines_at_approval", "review approvals in the period taken with open red-line risks (must be 0)", kpiReviewRedLines},
	{"review_lead_time", "median and 90th percentile time from a model's submission to the approval or rejection of its review, of reviews decided in the period", kpiReviewLeadTime},
	{"review_first_pass", "product releases whose first review decision fell in the period and was an approval, of all such releases, in percent", kpiReviewFirstPass},
	{"design_open_risks", "open design risks (threat-model findings, open or in triage) of each product's current release, by severity and age in whole UTC days since any release first had the risk: up to 30, 31 to 60, 61 to 90 and over 90", kpiDesignOpenRisks},
	{"design_exceptions_expiring", "live acceptances of design risks of each product's current release, and those expiring within 30 days, soonest first", kpiDesignExceptionsExpiring},
}

// KPIDefinitions lists the registered KPIs in registry order.
func KPIDefinitions() []KPIDefinition { return slices.Clone(kpiDefinitions) }

// kpiScope is what every KPI computes over.
type kpiScope struct {
	product      string
	since, until int64
	now          int64
	sla          SLA
	maxBreaches  int
	// releases and pastTargets are currentReleases and
	// pastReleaseTargets, read once for every KPI that needs them.
	releases    func() (map[string]string, error)
	pastTargets func() (map[int64]bool, error)
}

// productFilter returns the join and condition limiting rows of alias f
// (findings) or b (blocked_builds) to the scope's product. The condition is
// a semi-join on the target ids, which both engines turn into index range
// scans per target; join is empty today and kept so a KPI needing target
// columns has one place to add them.
func (s *kpiScope) productFilter(alias string) (join, cond string, args []any) {
	if s.product == "" {
		return "", "", nil
	}
	return "", " AND " + alias + ".target_id IN (SELECT t2.id FROM targets t2 JOIN products p2 ON p2.id = t2.product_id WHERE p2.name = ?)", []any{s.product}
}

// productCheck is productFilter's condition for queries better served by
// their own index than by the product's targets: the few design findings
// among all, or the oldest open findings in first-seen order. The unary
// plus keeps SQLite's planner from driving the query by target, so it
// walks that index and checks the target_id each entry carries.
func (s *kpiScope) productCheck(alias string) (cond string, args []any) {
	if s.product == "" {
		return "", nil
	}
	return " AND +" + alias + ".target_id IN (SELECT t2.id FROM targets t2 JOIN products p2 ON p2.id = t2.product_id WHERE p2.name = ?)", []any{s.product}
}

// KPIs computes KPIs; see Store.
func (d *DB) KPIs(ctx context.Context, q KPIQuery) (KPIReport, error) {
	now := d.now().UTC()
	until := q.Until
	if until.IsZero() {
		until = now
	}
	since := q.Since
	if since.IsZero() {
		since = until.AddDate(0, 0, -90)
	}
	if !since.Before(until) {
		return KPIReport{}, fmt.Errorf("%w: the period's start is not before its end", ErrInvalid)
	}
	sla := q.SLA
	if sla == (SLA{}) {
		sla = DefaultSLA()
	}
	maxB := q.MaxBreaches
	if maxB <= 0 {
		maxB = 100
	}
	maxB = min(maxB, MaxPageSize)
	defs := kpiDefinitions
	if len(q.Names) > 0 {
		defs = nil
		for _, n := range q.Names {
			i := slices.IndexFunc(kpiDefinitions, func(k KPIDefinition) bool { return k.Name == n })
			if i < 0 {
				return KPIReport{}, fmt.Errorf("%w: unknown KPI %q", ErrInvalid, n)
			}
			defs = append(defs, kpiDefinitions[i])
		}
	}
	scope := &kpiScope{product: q.Product, since: unix(since), until: unix(until), now: unix(now), sla: sla, maxBreaches: maxB}
	rep := KPIReport{Product: q.Product, Since: fromUnix(scope.since), Until: fromUnix(scope.until), SLA: sla, KPIs: make(map[string]any, len(defs))}
	// The KPIs are independent reads: run them side by side on the read pool.
	values := make([]any, len(defs))
	g, gctx := errgroup.WithContext(ctx)
	scope.releases = sync.OnceValues(func() (map[string]string, error) { return d.currentReleases(gctx, scope) })
	scope.pastTargets = sync.OnceValues(func() (map[int64]bool, error) { return d.pastReleaseTargets(gctx, scope) })
	g.SetLimit(4)
	for i, k := range defs {
		g.Go(func() error {
			v, err := k.compute(gctx, d, scope)
			if err != nil {
				return fmt.Errorf("KPI %s: %w", k.Name, err)
			}
			values[i] = v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return KPIReport{}, err
	}
	for i, k := range defs {
		rep.KPIs[k.Name] = values[i]
	}
	return rep, nil
}

// DayCount is a count on one UTC day.
type DayCount struct {
	Day   string `json:"day"` // YYYY-MM-DD
	Count int    `json:"count"`
}

// Trend is a total over a period and its per-day counts (days with none
// left out), oldest first.
type Trend struct {
	Total int        `json:"total"`
	ByDay []DayCount `json:"by_day"`
}

func (d *DB) trend(ctx context.Context, perDay, total string, args []any) (Trend, error) {
	tr := Trend{ByDay: []DayCount{}}
	rows, err := d.query(ctx, perDay, args...)
	if err != nil {
		return Trend{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var day int64
		var n int
		if err := rows.Scan(&day, &n); err != nil {
			return Trend{}, err
		}
		tr.ByDay = append(tr.ByDay, DayCount{Day: fromUnix(day * 86400).Format("2006-01-02"), Count: n})
	}
	if err := rows.Err(); err != nil {
		return Trend{}, err
	}
	if err := d.queryRow(ctx, total, args...).Scan(&tr.Total); err != nil {
		return Trend{}, err
	}
	return tr, nil
}

func kpiBuildsBlocked(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	join, cond, pargs := s.productFilter("b")
	where := " FROM blocked_builds b" + join + " WHERE b.at >= ? AND b.at < ?" + cond
	args := append([]any{s.since, s.until}, pargs...)
	return d.trend(ctx, "SELECT b.at / 86400 AS day, COUNT(*)"+where+" GROUP BY b.at / 86400 ORDER BY 1", "SELECT COUNT(*)"+where, args)
}

func kpiCVEsBlocked(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	join, cond, pargs := s.productFilter("b")
	where := ` FROM blocked_builds b JOIN blocked_build_findings bf ON bf.blocked_build_id = b.id JOIN findings f ON f.id = bf.finding_id` +
		join + ` WHERE f.kind = 'vulnerability' AND b.at >= ? AND b.at < ?` + cond
	args := append([]any{s.since, s.until}, pargs...)
	return d.trend(ctx, "SELECT b.at / 86400 AS day, COUNT(DISTINCT f.rule_id)"+where+" GROUP BY b.at / 86400 ORDER BY 1",
		"SELECT COUNT(DISTINCT f.rule_id)"+where, args)
}

// Remediation is the time-to-remediate of one severity.
type Remediation struct {
	Severity string `json:"severity"`
	Fixed    int    `json:"fixed"`
	// Median and P90 are in seconds; MedianDays and P90Days the same in days.
	Median     int64   `json:"median_seconds"`
	P90        int64   `json:"p90_seconds"`
	MedianDays float64 `json:"median_days"`
	P90Days    float64 `json:"p90_days"`
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func days(sec int64) float64 { return math.Round(float64(sec)/86400*100) / 100 }

// severitiesDesc lists the severities, most severe first.
var severitiesDesc = []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityUnknown}

func kpiTimeToRemediate(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	join, cond, pargs := s.productFilter("f")
	rows, err := d.query(ctx, "SELECT f.severity, f.fixed_at - f.first_seen FROM findings f"+join+
		" WHERE f.fixed_at >= ? AND f.fixed_at < ?"+cond, append([]any{s.since, s.until}, pargs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	by := make(map[finding.Severity][]int64)
	for rows.Next() {
		var sev int
		var dur int64
		if err := rows.Scan(&sev, &dur); err != nil {
			return nil, err
		}
		by[finding.Severity(sev)] = append(by[finding.Severity(sev)], dur)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Remediation, 0, len(severitiesDesc))
	for _, sev := range severitiesDesc {
		v := by[sev]
		slices.Sort(v)
		r := Remediation{Severity: sev.String(), Fixed: len(v), Median: percentile(v, 0.5), P90: percentile(v, 0.9)}
		r.MedianDays, r.P90Days = days(r.Median), days(r.P90)
		out = append(out, r)
	}
	return out, nil
}

// AgeBuckets counts open findings of one severity by age in days.
type AgeBuckets struct {
	Severity string `json:"severity"`
	Upto30   int    `json:"0-30"`
	Upto60   int    `json:"31-60"`
	Upto90   int    `json:"61-90"`
	Over90   int    `json:"over_90"`
	Total    int    `json:"total"`
}

// rollupFilter limits open_rollup rows to the scope's product.
func (s *kpiScope) rollupFilter() (string, []any) {
	if s.product == "" {
		return "", nil
	}
	return " AND product_id = (SELECT id FROM products WHERE name = ?)", []any{s.product}
}

// today is the scope's current UTC day number; ages are in whole UTC days.
func (s *kpiScope) today() int64 { return s.now / 86400 }

func kpiOpenByAge(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	cond, pargs := s.rollupFilter()
	d30, d60, d90 := s.today()-30, s.today()-60, s.today()-90
	args := append([]any{d30, d60, d30, d90, d60, d90}, pargs...)
	rows, err := d.query(ctx, `SELECT severity,
		SUM(CASE WHEN first_day >= ? THEN n ELSE 0 END),
		SUM(CASE WHEN first_day >= ? AND first_day < ? THEN n ELSE 0 END),
		SUM(CASE WHEN first_day >= ? AND first_day < ? THEN n ELSE 0 END),
		SUM(CASE WHEN first_day < ? THEN n ELSE 0 END)
		FROM open_rollup WHERE n <> 0`+cond+` GROUP BY severity`, args...)
	if err != nil {
		return nil, err
	}
	return scanAgeBuckets(rows)
}

// scanAgeBuckets reads rows of (severity, ≤30, 31–60, 61–90, >90 days)
// into one AgeBuckets per severity, most severe first, zero where a
// severity has no row; it closes rows.
func scanAgeBuckets(rows *sql.Rows) ([]AgeBuckets, error) {
	defer rows.Close()
	by := make(map[finding.Severity]AgeBuckets)
	for rows.Next() {
		var sev int
		var b AgeBuckets
		if err := rows.Scan(&sev, &b.Upto30, &b.Upto60, &b.Upto90, &b.Over90); err != nil {
			return nil, err
		}
		by[finding.Severity(sev)] = b
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]AgeBuckets, 0, len(severitiesDesc))
	for _, sev := range severitiesDesc {
		b := by[sev]
		b.Severity = sev.String()
		b.Total = b.Upto30 + b.Upto60 + b.Upto90 + b.Over90
		out = append(out, b)
	}
	return out, nil
}

// SLAStatus is the SLA picture of one severity.
type SLAStatus struct {
	Severity string `json:"severity"`
	Days     int    `json:"days"`
	Open     int    `json:"open"`
	Breached int    `json:"breached"`
}

// SLABreach is one open finding past its SLA.
type SLABreach struct {
	FindingID int64     `json:"finding_id"`
	Product   string    `json:"product"`
	Target    string    `json:"target"`
	RuleID    string    `json:"rule_id"`
	Severity  string    `json:"severity"`
	FirstSeen time.Time `json:"first_seen"`
	// Due is the last UTC day within the SLA; DaysOverdue counts the
	// whole days since.
	Due         time.Time `json:"due"`
	DaysOverdue int       `json:"days_overdue"`
}

// SLAReport is the sla KPI.
type SLAReport struct {
	BySeverity []SLAStatus `json:"by_severity"`
	Breaches   []SLABreach `json:"breaches"`
	Listed     int         `json:"listed"`
	Breached   int         `json:"breached"`
}

func kpiSLA(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	cond, pargs := s.productCheck("f")
	rcond, rargs := s.rollupFilter()
	rep := SLAReport{BySeverity: []SLAStatus{}, Breaches: []SLABreach{}}
	// A finding breaches when its age in whole UTC days exceeds the SLA:
	// it was first seen before the due day.
	dueDay := func(sev finding.Severity) int64 { return s.today() - int64(s.sla.Days(sev)) }
	due := func(sev finding.Severity) int64 { return dueDay(sev) * 86400 }
	args := []any{dueDay(finding.SeverityCritical), dueDay(finding.SeverityHigh), dueDay(finding.SeverityMedium), dueDay(finding.SeverityLow)}
	rows, err := d.query(ctx, `SELECT severity, SUM(n), SUM(CASE WHEN first_day < CASE severity
			WHEN 4 THEN ? WHEN 3 THEN ? WHEN 2 THEN ? WHEN 1 THEN ? ELSE -1 END THEN n ELSE 0 END)
		FROM open_rollup WHERE n <> 0`+rcond+` GROUP BY severity`, append(args, rargs...)...)
	if err != nil {
		return nil, err
	}
	counts := map[finding.Severity][2]int{}
	for rows.Next() {
		var sev, open, breached int
		if err := rows.Scan(&sev, &open, &breached); err != nil {
			rows.Close()
			return nil, err
		}
		counts[finding.Severity(sev)] = [2]int{open, breached}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The oldest breaches: one index-ordered query per state and severity,
	// merged here, so no query sorts every breach.
	type cand struct{ id, first int64 }
	var cands []cand
	for _, sev := range severitiesDesc[:4] {
		c := counts[sev]
		rep.BySeverity = append(rep.BySeverity, SLAStatus{Severity: sev.String(), Days: s.sla.Days(sev), Open: c[0], Breached: c[1]})
		rep.Breached += c[1]
		if c[1] == 0 {
			continue
		}
		for _, st := range []State{StateOpen, StateInTriage} {
			rows, err := d.query(ctx, "SELECT f.id, f.first_seen FROM findings f WHERE f.state = ? AND f.severity = ? AND f.first_seen < ?"+cond+
				" ORDER BY f.first_seen, f.id LIMIT ?", append(append([]any{string(st), int(sev), due(sev)}, pargs...), s.maxBreaches)...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var c cand
				if err := rows.Scan(&c.id, &c.first); err != nil {
					rows.Close()
					return nil, err
				}
				cands = append(cands, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.first != b.first {
			return cmp.Compare(a.first, b.first)
		}
		return cmp.Compare(a.id, b.id)
	})
	cands = cands[:min(len(cands), s.maxBreaches)]
	if len(cands) > 0 {
		ids := make([]any, len(cands))
		for i, c := range cands {
			ids[i] = c.id
		}
		rows, err := d.query(ctx, "SELECT "+findingColumns+findingFrom+" WHERE f.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+
			") ORDER BY f.first_seen, f.id", ids...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanFinding(rows)
			if err != nil {
				return nil, err
			}
			// Due is the last day within the SLA; the next day it breaches.
			dueDay := f.FirstSeen.Unix()/86400 + int64(s.sla.Days(f.Severity))
			rep.Breaches = append(rep.Breaches, SLABreach{FindingID: f.ID, Product: f.Product, Target: f.Target, RuleID: f.RuleID,
				Severity: f.Severity.String(), FirstSeen: f.FirstSeen, Due: fromUnix(dueDay * 86400), DaysOverdue: int(s.today() - dueDay)})
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	rep.Listed = len(rep.Breaches)
	return rep, nil
}

// OpenRisk is the mean_open_risk KPI.
type OpenRisk struct {
	Open  int     `json:"open"`
	Mean  float64 `json:"mean"`
	Total float64 `json:"total"`
}

func kpiMeanOpenRisk(ctx context.Context, d *DB, s *kpiScope) (any, error) {
	cond, pargs := s.rollupFilter()
	var r OpenRisk
	var total10 int64
	if err := d.queryRow(ctx, "SELECT COALESCE(SUM(n), 0), COALESCE(SUM(risk10), 0) FROM open_rollup WHERE n <> 0"+cond, pargs...).
		Scan(&r.Open, &total10); err != nil {
		return nil, err
	}
	r.Total = float64(total10) / 10
	if r.Open > 0 {
		r.Mean = math.Round(r.Total/float64(r.Open)*100) / 100
	}
	r.Total = math.Round(r.Total*100) / 100
	return r, nil
}
