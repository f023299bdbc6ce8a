package review

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/model/modeltest"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
)

// goGeneric is the generic checklist as a Go table, as Redline had it
// before the default checklist became data: the oracle the declarative
// default checklist must match.
var goGeneric = []struct {
	id      string
	applies func(m *model.Model, g *model.Graph, redLines []string) bool
}{
	{"GEN-DFD", func(*model.Model, *model.Graph, []string) bool { return true }},
	{"GEN-CLASS", func(m *model.Model, _ *model.Graph, _ []string) bool { return len(m.Data) > 0 }},
	{"GEN-EXC", func(m *model.Model, _ *model.Graph, _ []string) bool { return len(m.Exceptions) > 0 }},
	{"GEN-PENTEST", func(m *model.Model, g *model.Graph, _ []string) bool {
		for i := range m.Components {
			if !m.Components[i].OutOfScope && g.ReachableFromInternet(m.Components[i].ID) && !g.InInternetZone(m.Components[i].ID) {
				return true
			}
		}
		return false
	}},
	{"GEN-TENANT", func(m *model.Model, _ *model.Graph, _ []string) bool { return m.Tenancy.Model == model.MultiTenant }},
	{"GEN-REDLINE", func(_ *model.Model, _ *model.Graph, redLines []string) bool { return len(redLines) > 0 }},
	{"GEN-IR", func(*model.Model, *model.Graph, []string) bool { return true }},
}

func genericIDs(items []Item) []string {
	var ids []string
	for _, it := range items {
		if it.Kind == KindGeneric {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

// TestDefaultChecklistMatchesGoTable evaluates the default checklist on
// every model the repository ships (and variants of them) and compares it
// with the Go predicates it replaced.
func TestDefaultChecklistMatchesGoTable(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../../examples/design/*/*.yaml", "../*/testdata/*.yaml", "../*/testdata/*/*.yaml", "../../cli/testdata/design/*.yaml"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var models []*model.Model
	for _, f := range files {
		m, err := model.Load(context.Background(), f, model.Options{})
		if err != nil {
			continue // not a model, or a part of one
		}
		models = append(models, m)
	}
	synth, err := model.Decode("synthetic.yaml", modeltest.Synthetic(60, 200), model.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	models = append(models, synth)
	if len(models) < 8 {
		t.Fatalf("only %d models found in %d files", len(models), len(files))
	}
	// Variants: every model also without its data and exceptions, single-
	// tenant, and with its internet-reachable components out of scope.
	n := len(models)
	for _, m := range models[:n] {
		v := *m
		v.Data, v.Exceptions = nil, nil
		v.Tenancy.Model = model.SingleTenant
		v.Components = slices.Clone(m.Components)
		g := model.NewGraph(m)
		for i := range v.Components {
			if g.ReachableFromInternet(v.Components[i].ID) {
				v.Components[i].OutOfScope = true
			}
		}
		models = append(models, &v)
	}
	def, err := standard.DefaultChecklist()
	if err != nil {
		t.Fatal(err)
	}
	res := &threat.Result{}
	for i, m := range models {
		for _, redLines := range [][]string{nil, {"RL-NET-002"}} {
			g := model.NewGraph(m)
			var want []string
			for _, gi := range goGeneric {
				if gi.applies(m, g, redLines) {
					want = append(want, gi.id)
				}
			}
			items, notes := Checklist(m, res, "s@1", redLines, def)
			if got := genericIDs(items); !slices.Equal(got, want) || len(notes) > 0 {
				t.Errorf("model %d (%s), red lines %v: default checklist %v (notes %v), Go table %v", i, m.Metadata.Product, redLines, got, notes, want)
			}
		}
	}
}

func TestChecklistTitles(t *testing.T) {
	sub := submission(t, nil)
	items, _ := Checklist(sub.Model, sub.Result, "corp@7", sub.RedLineRules, nil)
	if ids := genericIDs(items); len(ids) != 0 {
		t.Fatalf("no generic items given, got %v", ids)
	}
	def, err := standard.DefaultChecklist()
	if err != nil {
		t.Fatal(err)
	}
	items, _ = Checklist(sub.Model, sub.Result, "corp@7", sub.RedLineRules, def)
	i := slices.IndexFunc(items, func(it Item) bool { return it.ID == "GEN-REDLINE" })
	if i < 0 || !strings.HasSuffix(items[i].Title, "breaks a red line of the standard (corp@7)") {
		t.Fatalf("GEN-REDLINE %+v", items)
	}
}

// TestSubmitCustomChecklist: a submission carrying a standard's own
// checklist asks its items and none of the default ones; a condition that
// cannot be evaluated asks the item and says why in the warnings.
func TestSubmitCustomChecklist(t *testing.T) {
	std, err := standard.Parse("custom.yaml", []byte(`apiVersion: redline.dev/v1
kind: Standard
metadata: {name: custom, version: "1", effective: {from: 2026-01-01}}
rules: [RL-APP-010]
checklist:
  - id: CUST-ALWAYS
    title: Asked in every review of {standard}
  - id: CUST-TEAM
    title: The owning team signed the model
    when: model.labels["team"] == "shop"
  - id: CUST-SQL
    title: The SQL interfaces use least-privilege accounts
    when: interfaces.exists(i, i.protocol == "sql")
  - id: CUST-TENANT
    title: Tenant tests
    when: model.tenancy.model == "multi"
  - id: CUST-COST
    title: Too expensive to decide
    when: components.all(a, components.all(b, components.all(c, components.all(d, a.id + b.id + c.id + d.id != "")))) && false
`))
	if err != nil {
		t.Fatal(err)
	}
	sub := submission(t, func(m *model.Model) {
		for i := range 12 {
			m.Components = append(m.Components, model.Component{ID: "svc" + string(rune('a'+i)), Type: model.TypeService, Zone: "app"})
		}
	})
	sub.Checklist = std.ChecklistItems()
	r, err := Submit(nil, sub)
	if err != nil {
		t.Fatal(err)
	}
	// CUST-TEAM: the model has no label "team", so the condition fails and
	// the item is asked; CUST-COST runs out of its cost budget.
	if got, want := genericIDs(r.Checklist), []string{"CUST-ALWAYS", "CUST-TEAM", "CUST-SQL", "CUST-COST"}; !slices.Equal(got, want) {
		t.Fatalf("generic items %v, want %v", got, want)
	}
	if r.Item("CUST-ALWAYS").Title != "Asked in every review of review-test@1" {
		t.Errorf("title %q", r.Item("CUST-ALWAYS").Title)
	}
	warn := strings.Join(r.Risks.Warnings, "\n")
	if !strings.Contains(warn, "checklist item CUST-TEAM") || !strings.Contains(warn, "no such key") ||
		!strings.Contains(warn, "checklist item CUST-COST") || !strings.Contains(warn, "the item is asked") {
		t.Errorf("warnings:\n%s", warn)
	}
	// Without the standard's checklist the submission gets the default one.
	sub.Checklist = nil
	r, err = Submit(nil, sub)
	if err != nil {
		t.Fatal(err)
	}
	if got := genericIDs(r.Checklist); !slices.Equal(got, []string{"GEN-DFD", "GEN-CLASS", "GEN-REDLINE", "GEN-IR"}) {
		t.Fatalf("default items %v", got)
	}
}

// BenchmarkChecklist generates the checklist of a 500-component model
// under the default checklist: the part of a review submission that
// evaluates the CEL conditions.
func BenchmarkChecklist(b *testing.B) {
	m, err := model.Decode("synthetic.yaml", modeltest.Synthetic(500, 2000), model.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	res, err := threat.Check(context.Background(), m, threat.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	def, err := standard.DefaultChecklist()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, notes := Checklist(m, res, "s@1", []string{"RL-NET-002"}, def); len(notes) > 0 {
			b.Fatal(notes)
		}
	}
}
