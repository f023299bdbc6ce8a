// Package report writes the threat model of an architecture model for a
// security review meeting, as Markdown or as a self-contained HTML page: the
// verdict, the data-flow diagram drawn from the model as SVG, the risks by
// layer and severity, the red lines, the excepted risks and the checklist of
// every rule the standard runs. Output is deterministic: no timestamps, and
// everything sorted.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

// The formats this package writes.
const (
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Input is what a report shows.
type Input struct {
	// Graph is the checked model's graph.
	Graph *model.Graph
	// Result is the threat check of the model.
	Result *threat.Result
	// Decision is the gate's verdict on Result (Result.Decide).
	Decision *policy.Decision
	// Warnings are notes beyond the decision's (the standard's dates).
	Warnings []string
	// DiagramHref, for Markdown, links the diagram from this file instead
	// of embedding it as a data URI.
	DiagramHref string
}

// Write writes the report in the named format.
func Write(w io.Writer, format string, in *Input) error {
	if in == nil || in.Graph == nil || in.Result == nil || in.Decision == nil {
		return fmt.Errorf("threat-model report: incomplete input")
	}
	d := build(in)
	switch format {
	case FormatMarkdown:
		return writeMarkdown(w, d, in.DiagramHref)
	case FormatHTML:
		return writeHTML(w, d)
	}
	return fmt.Errorf("unknown threat-model report format %q (want %s or %s)", format, FormatMarkdown, FormatHTML)
}

// item is one risk as the report shows it.
type item struct {
	Severity    string
	Rule        string
	Title       string
	Element     string
	Where       string
	Description string
	Mitigation  string
	RedLine     bool
	Layer       threat.Layer
	STRIDE      string
	CWE         string
}

type excepted struct {
	item
	Owner, Expires, Reason string
}

type layerRow struct {
	Layer                              threat.Layer
	Critical, High, Medium, Low, Total int
	Items                              []item
}

type checkItem struct {
	Layer    threat.Layer
	Rule     string
	Title    string
	Severity string
	RedLine  bool
	Status   string // "pass", "open", "excepted"
	Open     int
}

type compRow struct {
	ID, Type, Zone, Runtime, Exposure, Data, Worst string
}

type ifaceRow struct {
	ID, From, To, Protocol, TLS, Authn, Authz, Data, Crosses string
}

// document is everything the templates print.
type document struct {
	Title, Product, Release, Owner, Hash, Standard string
	Blocked                                        bool
	Reasons                                        []string
	Total                                          int
	Counts                                         [4]int // critical, high, medium, low
	Layers                                         []layerRow
	RedLines                                       []item
	Excepted                                       []excepted
	Checklist                                      []checkItem
	Passed, Open, ExceptedRules                    int
	Components                                     []compRow
	Interfaces                                     []ifaceRow
	Warnings                                       []string
	SVG                                            []byte
}

func build(in *Input) *document {
	m := in.Graph.Model
	res, dec := in.Result, in.Decision
	d := &document{
		Title:   cmpOr(m.Metadata.Name, m.Metadata.Product),
		Product: m.Metadata.Product, Release: m.Metadata.Release, Owner: m.Metadata.Owner,
		Hash: res.Target.Digest, Standard: cmpOr(res.Standard, "built-in rules"),
		Blocked: dec.Blocked, Reasons: dec.Reasons,
		Warnings: append(slices.Clone(dec.Warnings), in.Warnings...),
	}
	rules := make(map[string]*threat.Rule, len(res.Rules))
	for i := range res.Rules {
		rules[res.Rules[i].ID] = &res.Rules[i]
	}
	worst := make(map[string]finding.Severity)
	byLayer := make(map[threat.Layer]*layerRow)
	for _, l := range threat.Layers() {
		byLayer[l] = &layerRow{Layer: l}
	}
	open := make(map[string]int)
	for i := range dec.Findings {
		f := &dec.Findings[i]
		it := toItem(f, rules[f.RuleID], res.IsRedLine(f.Fingerprint))
		el := elementID(f.Location.Object)
		worst[el] = max(worst[el], f.Severity)
		open[f.RuleID]++
		row := byLayer[it.Layer]
		if row == nil {
			row = &layerRow{Layer: it.Layer}
			byLayer[it.Layer] = row
		}
		row.Items = append(row.Items, it)
		row.Total++
		d.Total++
		switch f.Severity {
		case finding.SeverityCritical:
			row.Critical++
			d.Counts[0]++
		case finding.SeverityHigh:
			row.High++
			d.Counts[1]++
		case finding.SeverityMedium:
			row.Medium++
			d.Counts[2]++
		default:
			row.Low++
			d.Counts[3]++
		}
		if it.RedLine {
			d.RedLines = append(d.RedLines, it)
		}
	}
	for _, l := range threat.Layers() {
		d.Layers = append(d.Layers, *byLayer[l])
	}
	exceptedRules := make(map[string]bool)
	for _, s := range dec.Suppressed {
		f := s.Finding
		exceptedRules[f.RuleID] = true
		d.Excepted = append(d.Excepted, excepted{
			item:  toItem(&f, rules[f.RuleID], false),
			Owner: s.Ignore.Owner, Expires: s.Ignore.Expires.UTC().Format("2006-01-02"), Reason: s.Ignore.Reason,
		})
	}
	for _, l := range threat.Layers() {
		for i := range res.Rules {
			r := &res.Rules[i]
			if r.Layer != l {
				continue
			}
			c := checkItem{Layer: l, Rule: r.ID, Title: r.Title, Severity: r.Severity.String(), RedLine: r.RedLine, Status: "pass", Open: open[r.ID]}
			switch {
			case c.Open > 0:
				c.Status = "open"
				d.Open++
			case exceptedRules[r.ID]:
				c.Status = "excepted"
				d.ExceptedRules++
			default:
				d.Passed++
			}
			d.Checklist = append(d.Checklist, c)
		}
	}
	g := in.Graph
	for i := range m.Components {
		c := &m.Components[i]
		w := ""
		if s, ok := worst[c.ID]; ok {
			w = s.String()
		}
		d.Components = append(d.Components, compRow{ID: c.ID, Type: string(c.Type), Zone: c.Zone, Runtime: c.Runtime,
			Exposure: string(c.Exposure), Data: string(g.MaxClassification(c.ID)), Worst: w})
	}
	for i := range m.Interfaces {
		f := &m.Interfaces[i]
		tls := string(f.TLS.Version)
		if f.TLS.Mutual {
			tls += " mutual"
		}
		if tls == "" && f.Encrypted() {
			tls = "by protocol"
		}
		crosses := strings.Join(g.ZonesCrossed(f), " → ")
		d.Interfaces = append(d.Interfaces, ifaceRow{ID: f.ID, From: f.From, To: f.To, Protocol: string(f.Protocol), TLS: tls,
			Authn: string(f.Authentication), Authz: string(f.Authorization), Data: strings.Join(f.Carries(), ", "), Crosses: crosses})
	}
	d.SVG = Diagram(g, worst)
	return d
}

// RiskDiagram returns the data-flow diagram of the input's model with each
// component and interface coloured by its worst open risk.
func RiskDiagram(in *Input) []byte {
	worst := make(map[string]finding.Severity)
	if in.Decision != nil {
		for i := range in.Decision.Findings {
			f := &in.Decision.Findings[i]
			el := elementID(f.Location.Object)
			worst[el] = max(worst[el], f.Severity)
		}
	}
	return Diagram(in.Graph, worst)
}

func toItem(f *finding.Finding, r *threat.Rule, redLine bool) item {
	it := item{
		Severity: f.Severity.String(), Rule: f.RuleID, Title: f.Title, Element: f.Location.Object,
		Where: f.Location.String(), Description: f.Description, RedLine: redLine, Layer: threat.LayerModel,
	}
	if f.Fix != nil {
		it.Mitigation = f.Fix.Remediation
	}
	if r != nil {
		it.Layer, it.STRIDE, it.CWE = r.Layer, r.STRIDE.Letter(), fmt.Sprintf("CWE-%d", r.CWE)
	}
	return it
}

// elementID returns the element id of a finding's object ("component/x").
func elementID(object string) string {
	if _, id, ok := strings.Cut(object, "/"); ok {
		return id
	}
	return object
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
