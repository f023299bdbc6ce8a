package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/store"
)

// overviewDays is the period of the overview's trends.
const overviewDays = 90

// maxBreachesShown bounds the SLA breaches the overview lists.
const maxBreachesShown = 10

type overviewPage struct {
	base
	Product  string
	Products []store.Product
	// AnyProduct is true when the person may see every product together.
	AnyProduct bool
	// Since is the first and Through the last UTC day of the period.
	Since, Through time.Time
	SLA            store.SLA
	// OpenTotal is every open finding; Open the tiles per severity.
	OpenTotal    int
	Open         []severityTile
	Age          []store.AgeBuckets
	SLAStatus    []store.SLAStatus
	Breached     int
	Breaches     []store.SLABreach
	Remediation  []store.Remediation
	Risk         store.OpenRisk
	BuildsTotal  int
	CVEsTotal    int
	BuildsChart  template.HTML
	CVEsChart    template.HTML
	BuildsByDay  []store.DayCount
	CVEsByDay    []store.DayCount
	FindingsLink string
	// Design is the design-review section; nil when the store computes
	// none of its KPIs.
	Design *designSection
}

// designSection is the overview's design-review KPIs; each is nil when
// the store does not compute it.
type designSection struct {
	// Completion is review_completion.
	Completion *store.ReviewCompletion
	// RedLines is review_red_lines_at_approval: approvals taken with open
	// red lines, which must stay 0.
	RedLines *store.RedLinesAtApproval
	// LeadTime is review_lead_time and FirstPass review_first_pass, over
	// the period.
	LeadTime  *store.LeadTime
	FirstPass *store.FirstPass
	// Risks is design_open_risks by severity and age; RisksTotal their sum.
	Risks      []store.AgeBuckets
	RisksTotal int
	// Expiring is design_exceptions_expiring (soonest first).
	Expiring *store.ExceptionsExpiring
}

// overviewKPIs are the KPIs the overview shows; optional ones are shown
// when the store registers them.
var (
	overviewKPIs = []string{"open_by_age", "sla", "time_to_remediate", "builds_blocked", "cves_blocked", "mean_open_risk"}
	optionalKPIs = []string{"review_completion", "review_red_lines_at_approval", "review_lead_time", "review_first_pass",
		"design_open_risks", "design_exceptions_expiring"}
)

// kpiNames returns the overview's KPIs that the store registers.
func kpiNames() []string {
	names := slices.Clone(overviewKPIs)
	for _, k := range store.KPIDefinitions() {
		if slices.Contains(optionalKPIs, k.Name) {
			names = append(names, k.Name)
		}
	}
	return names
}

// severityTile is the count of open findings of one severity and the link
// that lists them.
type severityTile struct {
	Severity string
	Count    int
	Link     string
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request, u User) error {
	ctx := r.Context()
	product, options, err := d.productScope(ctx, u, r.URL.Query().Get("product"))
	if err != nil {
		return err
	}
	all, err := d.cfg.Store.Products(ctx)
	if err != nil {
		return err
	}
	var products []store.Product
	for _, p := range all {
		if u.canRead(p.Name) {
			products = append(products, p)
		}
	}
	anyProduct := len(options) > 0 && options[0].Value == ""
	// The period is whole UTC days, today included.
	until := d.cfg.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	rep, err := d.cfg.Store.KPIs(ctx, store.KPIQuery{
		Product: product, SLA: d.cfg.SLA, Until: until, Since: until.AddDate(0, 0, -overviewDays), MaxBreaches: maxBreachesShown,
		Names: kpiNames(),
	})
	if err != nil {
		return err
	}
	p := &overviewPage{base: d.base(r, u, "Security overview"), Product: product, Products: products, AnyProduct: anyProduct,
		Since: rep.Since, Through: rep.Until.AddDate(0, 0, -1), SLA: rep.SLA}
	p.Nav = "overview"
	var ok bool
	if p.Age, ok = rep.KPIs["open_by_age"].([]store.AgeBuckets); !ok {
		return fmt.Errorf("overview: KPI open_by_age has type %T", rep.KPIs["open_by_age"])
	}
	sla, ok := rep.KPIs["sla"].(store.SLAReport)
	if !ok {
		return fmt.Errorf("overview: KPI sla has type %T", rep.KPIs["sla"])
	}
	if p.Remediation, ok = rep.KPIs["time_to_remediate"].([]store.Remediation); !ok {
		return fmt.Errorf("overview: KPI time_to_remediate has type %T", rep.KPIs["time_to_remediate"])
	}
	builds, ok1 := rep.KPIs["builds_blocked"].(store.Trend)
	cves, ok2 := rep.KPIs["cves_blocked"].(store.Trend)
	if p.Risk, ok = rep.KPIs["mean_open_risk"].(store.OpenRisk); !ok || !ok1 || !ok2 {
		return fmt.Errorf("overview: unexpected KPI types")
	}
	p.SLAStatus, p.Breached, p.Breaches = sla.BySeverity, sla.Breached, sla.Breaches
	p.Design = designKPIs(rep.KPIs)
	open := url.Values{"state": {string(store.StateOpen), string(store.StateInTriage)}}
	if product != "" {
		open.Set("product", product)
	}
	p.FindingsLink = Prefix + "findings?" + open.Encode()
	for _, a := range p.Age {
		p.OpenTotal += a.Total
		q := url.Values{"severity": {a.Severity}}
		for k, v := range open {
			q[k] = v
		}
		p.Open = append(p.Open, severityTile{Severity: a.Severity, Count: a.Total, Link: Prefix + "findings?" + q.Encode()})
	}
	p.BuildsTotal, p.CVEsTotal = builds.Total, cves.Total
	p.BuildsByDay, p.CVEsByDay = builds.ByDay, cves.ByDay
	p.BuildsChart = barChart("Builds blocked per day", rep.Since, rep.Until, builds.ByDay)
	p.CVEsChart = barChart("CVEs blocked per day", rep.Since, rep.Until, cves.ByDay)
	d.render(w, r, http.StatusOK, "overview", p)
	return nil
}

// designKPIs picks the design-review KPIs out of a report; nil when it
// holds none of them.
func designKPIs(kpis map[string]any) *designSection {
	var ds designSection
	found := false
	if v, ok := kpis["review_completion"].(store.ReviewCompletion); ok {
		ds.Completion, found = &v, true
	}
	if v, ok := kpis["review_red_lines_at_approval"].(store.RedLinesAtApproval); ok {
		ds.RedLines, found = &v, true
	}
	if v, ok := kpis["review_lead_time"].(store.LeadTime); ok {
		ds.LeadTime, found = &v, true
	}
	if v, ok := kpis["review_first_pass"].(store.FirstPass); ok {
		ds.FirstPass, found = &v, true
	}
	if v, ok := kpis["design_open_risks"].([]store.AgeBuckets); ok {
		ds.Risks, found = v, true
		for _, a := range v {
			ds.RisksTotal += a.Total
		}
	}
	if v, ok := kpis["design_exceptions_expiring"].(store.ExceptionsExpiring); ok {
		ds.Expiring, found = &v, true
	}
	if !found {
		return nil
	}
	return &ds
}

// severityNames lists the severities, most severe first.
var severityNames = []string{"critical", "high", "medium", "low", "unknown"}

// funcs are the template functions.
var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"datePtr": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"stateLabel": stateLabel,
	"join":       strings.Join,
	"severityName": func(s finding.Severity) string {
		return s.String()
	},
	"findingURL": func(id int64) string { return fmt.Sprintf("%sfindings/%d", Prefix, id) },
	"prefix":     func() string { return Prefix },
	"isHTTP": func(s string) bool {
		return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
	},
}

// stateLabel is how a state reads on a page.
func stateLabel(s store.State) string {
	switch s {
	case store.StateOpen:
		return "Open"
	case store.StateInTriage:
		return "In triage"
	case store.StateFixed:
		return "Fixed"
	case store.StateAccepted:
		return "Accepted"
	case store.StateFalsePositive:
		return "False positive"
	}
	return string(s)
}
