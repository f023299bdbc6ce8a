package review

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
)

// Status is the answer to a checklist item.
type Status string

// The answers; an item starts unanswered.
const (
	StatusUnanswered    Status = ""
	StatusMet           Status = "met"
	StatusNotMet        Status = "not-met"
	StatusNotApplicable Status = "not-applicable"
)

// ParseStatus checks an answer's status.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusUnanswered, StatusMet, StatusNotMet, StatusNotApplicable:
		return st, nil
	}
	return "", fmt.Errorf("%w: unknown status %q (want met, not-met or not-applicable)", ErrInvalid, s)
}

// ItemKind says where a checklist item comes from.
type ItemKind string

// The item kinds: a rule of the standard that applies to the model, or a
// generic item of the standard's checklist (standard.ChecklistItem) whose
// condition holds for the model.
const (
	KindRule    ItemKind = "rule"
	KindGeneric ItemKind = "generic"
)

// Item is one requirement of the checklist and its answer.
type Item struct {
	// ID is the rule id (RL-NET-002) or the generic item's id (GEN-DFD).
	ID    string   `json:"id"`
	Kind  ItemKind `json:"kind"`
	Title string   `json:"title"`
	// Layer, Severity and RedLine describe a rule item's rule.
	Layer    string `json:"layer,omitempty"`
	Severity string `json:"severity,omitempty"`
	RedLine  bool   `json:"red_line,omitempty"`
	// OpenRisks and AcceptedRisks count the rule's risks in the model.
	OpenRisks     int `json:"open_risks"`
	AcceptedRisks int `json:"accepted_risks"`

	Status     Status     `json:"status"`
	Evidence   string     `json:"evidence,omitempty"`
	AnsweredBy string     `json:"answered_by,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
}

// Checklist generates the requirement checklist of a checked model: one
// item per rule of the check that applies to the model (a rule applies when
// it found a risk, or when the model has the kind of element the rule's
// layer is about), in rule-id order, then the standard's generic items
// (standard.Standard.ChecklistItems) whose condition holds, in their
// order. standardRef names the standard (it replaces standard.TitleStandard
// in titles and is the condition's standard.ref); redLines are its
// red-line rule ids. A generic item whose condition cannot be evaluated
// is asked, and notes say why.
func Checklist(m *model.Model, res *threat.Result, standardRef string, redLines []string, generic []standard.ChecklistItem) (items []Item, notes []string) {
	g := model.NewGraph(m)
	open := make(map[string]int)
	accepted := make(map[string]int)
	for i := range res.Findings {
		open[res.Findings[i].RuleID]++
	}
	for i := range res.Excepted {
		accepted[res.Excepted[i].Finding.RuleID]++
	}
	items = []Item{}
	rules := slices.Clone(res.Rules)
	slices.SortFunc(rules, func(a, b threat.Rule) int { return strings.Compare(a.ID, b.ID) })
	ruleIDs := make([]string, 0, len(rules))
	for i := range rules {
		r := &rules[i]
		ruleIDs = append(ruleIDs, r.ID)
		if open[r.ID] == 0 && accepted[r.ID] == 0 && !applies(r, m, g) {
			continue
		}
		items = append(items, Item{
			ID: r.ID, Kind: KindRule, Title: r.Title, Layer: string(r.Layer), Severity: r.Severity.String(),
			RedLine: r.RedLine, OpenRisks: open[r.ID], AcceptedRisks: accepted[r.ID],
		})
	}
	if len(generic) == 0 {
		return items, nil
	}
	name, version, _ := strings.Cut(standardRef, "@")
	scope := threat.NewScope(g, threat.StandardFacts{Name: name, Version: version, Rules: ruleIDs, RedLines: slices.Clone(redLines)})
	for i := range generic {
		gi := &generic[i]
		ok, err := gi.Applies(scope)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%v; the item is asked", err))
		}
		if ok {
			items = append(items, Item{ID: gi.ID, Kind: KindGeneric, Title: strings.ReplaceAll(gi.Title, standard.TitleStandard, standardRef)})
		}
	}
	return items, notes
}

// applies reports whether the model has what a rule examines: the elements
// of its layer, or for a custom rule the elements it is evaluated over.
func applies(r *threat.Rule, m *model.Model, g *model.Graph) bool {
	if r.Custom {
		switch r.Over {
		case "component":
			return len(m.Components) > 0
		case "interface":
			return len(m.Interfaces) > 0
		case "zone":
			return len(m.Zones) > 0
		case "data":
			return len(m.Data) > 0
		case "runtime":
			return len(m.Runtimes) > 0
		}
		return true
	}
	switch r.Layer {
	case threat.LayerVirtualization:
		return len(m.Runtimes) > 0
	case threat.LayerNetwork:
		return len(m.Zones) > 0
	case threat.LayerGateway:
		for i := range m.Interfaces {
			if g.FromInternet(&m.Interfaces[i]) || fromPartner(g, &m.Interfaces[i]) {
				return true
			}
		}
		return false
	case threat.LayerApplication:
		return slices.ContainsFunc(m.Components, func(c model.Component) bool { return c.CustomCode && !c.OutOfScope })
	case threat.LayerHost:
		return len(m.Runtimes) > 0
	case threat.LayerTenant:
		return m.Tenancy.Model == model.MultiTenant
	case threat.LayerZeroTrust:
		return len(m.Interfaces) > 0
	case threat.LayerData:
		return len(m.Data) > 0
	}
	return true // model completeness applies to every model
}

func fromPartner(g *model.Graph, f *model.Interface) bool {
	c := g.Component(f.From)
	if c == nil {
		return false
	}
	z := g.Zone(c.Zone)
	return z != nil && z.Kind == model.ZonePartner
}
