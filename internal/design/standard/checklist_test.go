package standard

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/threat"
)

func TestChecklistSection(t *testing.T) {
	s, err := Load("testdata/corp-checklist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range s.ChecklistItems() {
		ids = append(ids, it.ID)
	}
	if want := []string{"CORP-DFD", "CORP-PENTEST", "CORP-TENANT", "CORP-EXC"}; !slices.Equal(ids, want) {
		t.Fatalf("checklist %v, want %v (file order, no default items)", ids, want)
	}
	if len(s.Checklist) != 4 || s.Checklist[0].When != "" || !strings.HasPrefix(s.Checklist[2].When, "model.tenancy.model") {
		t.Fatalf("declared checklist %+v", s.Checklist)
	}
	var c struct {
		Checklist []canonicalChecklistItem `json:"checklist"`
	}
	if err := json.Unmarshal(s.Canonical(), &c); err != nil || len(c.Checklist) != 4 || c.Checklist[1].ID != "CORP-PENTEST" {
		t.Fatalf("canonical checklist %+v %v", c, err)
	}

	// The checklist is part of the hash: a changed title, condition or
	// order is a new content.
	data, _ := os.ReadFile("testdata/corp-checklist.yaml")
	for name, edit := range map[string]func(string) string{
		"title": func(s string) string {
			return strings.Replace(s, "Every exception has a ticket", "Every exception has an owner", 1)
		},
		"when": func(s string) string { return strings.Replace(s, `e.ticket == ""`, `e.owner == ""`, 1) },
		"order": func(s string) string {
			a := "  - id: CORP-DFD\n    title: The data-flow diagram was walked through with the team ({standard})\n"
			return strings.Replace(s, a, "", 1) + a
		},
		"removed": func(s string) string {
			return strings.Replace(s, "  - id: CORP-DFD\n    title: The data-flow diagram was walked through with the team ({standard})\n", "", 1)
		},
	} {
		changed := edit(string(data))
		if changed == string(data) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		c, err := Parse("changed.yaml", []byte(changed))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Hash() == s.Hash() {
			t.Errorf("%s: a checklist change kept the hash", name)
		}
	}
	// Layout is not content.
	relaid := strings.Replace(string(data), "title: Every exception has a ticket", "title: 'Every exception has a ticket'", 1)
	if c, err := Parse("relaid.yaml", []byte(relaid)); err != nil || c.Hash() != s.Hash() {
		t.Errorf("a quoted title changed the hash: %v", err)
	}
}

// TestDefaultChecklistNotInHash: a standard without a checklist section
// gets the default checklist, which its canonical content (and so the
// hashes locked for the built-in standards) does not include.
func TestDefaultChecklistNotInHash(t *testing.T) {
	s, err := Load("testdata/corp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def, err := DefaultChecklist()
	if err != nil {
		t.Fatal(err)
	}
	if s.Checklist != nil || len(s.ChecklistItems()) != len(def) || s.ChecklistItems()[0].ID != "GEN-DFD" {
		t.Fatalf("declared %v, effective %v", s.Checklist, s.ChecklistItems())
	}
	if strings.Contains(string(s.Canonical()), "checklist") {
		t.Errorf("canonical content of a standard without a checklist mentions one: %s", s.Canonical())
	}
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if b.Checklist != nil || len(b.ChecklistItems()) != len(def) {
			t.Errorf("%s: declared %d items, effective %d; want the default checklist", b.Ref(), len(b.Checklist), len(b.ChecklistItems()))
		}
	}
}

func TestChecklistErrors(t *testing.T) {
	valid, _ := os.ReadFile("testdata/corp-checklist.yaml")
	for _, tc := range []struct{ name, old, new, want string }{
		{"bad id", "id: CORP-EXC", "id: corp-exc", `x.yaml:34: checklist[3] corp-exc: id "corp-exc": want upper-case words`},
		{"duplicate id", "id: CORP-EXC", "id: CORP-DFD", "x.yaml:34: checklist[3] CORP-DFD: duplicate id"},
		{"built-in rule id", "id: CORP-EXC", "id: RL-NET-002", "checklist[3] RL-NET-002: id is a rule"},
		{"custom rule id", "id: CORP-EXC", "id: CORP-GW-001", "checklist[3] CORP-GW-001: id is a rule"},
		{"no title", "    title: Every exception has a ticket\n", "", "checklist[3] CORP-EXC: title is required"},
		{"when not a string", `when: exceptions.exists(e, e.ticket == "")`, "when: [a, b]", "checklist[3] CORP-EXC: when: want a CEL expression"},
		{"when empty", `when: exceptions.exists(e, e.ticket == "")`, `when: ""`, "checklist[3] CORP-EXC: when: want a CEL expression"},
		{"unknown field", `e.ticket == ""`, `e.tickets == ""`, "x.yaml:36: checklist[3] CORP-EXC: when: CEL: undefined field 'tickets'"},
		{"block scalar line", "interfaces.exists(i, !i.propagation.tenant)", "interfaces.exists(i, !i.propagation.tenants)",
			"x.yaml:33: checklist[2] CORP-TENANT: when: CEL: undefined field 'tenants' (expression line 2"},
		{"not a bool", `when: exceptions.exists(e, e.ticket == "")`, "when: size(exceptions)", "expression must be a bool"},
		{"custom rule variable", `e.ticket == ""`, `component.zone == ""`, "undeclared reference to 'component'"},
		{"unknown key", "    when: exceptions", "    if: exceptions", "field if not found"},
		{"empty section", string(valid[strings.Index(string(valid), "checklist:"):]), "checklist: []\n", "checklist: no items; omit the section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(string(valid), tc.old, tc.new, 1)
			if data == string(valid) {
				t.Fatal("the edit changed nothing")
			}
			_, err := Parse("x.yaml", []byte(data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Too many items.
	var b strings.Builder
	b.WriteString(string(valid[:strings.Index(string(valid), "checklist:")]) + "checklist:\n")
	for i := range MaxChecklistItems + 1 {
		b.WriteString("  - {id: ITEM-" + strings.Repeat("A", 1+i%5) + "-" + itoa(i) + ", title: t}\n")
	}
	if _, err := Parse("x.yaml", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "at most 500") {
		t.Errorf("too many items: %v", err)
	}
	// A null section is the default checklist.
	nulled := string(valid[:strings.Index(string(valid), "checklist:")]) + "checklist:\n"
	if s, err := Parse("x.yaml", []byte(nulled)); err != nil || s.Checklist != nil || s.ChecklistItems()[0].ID != "GEN-DFD" {
		t.Errorf("null checklist: %v", err)
	}
	// A custom rule may not take the id of a default item when the
	// standard relies on the default checklist.
	corp, _ := os.ReadFile("testdata/corp.yaml")
	if _, err := Parse("x.yaml", []byte(strings.ReplaceAll(string(corp), "CORP-GW-001", "GEN-DFD"))); err == nil ||
		!strings.Contains(err.Error(), "GEN-DFD is an item of the default checklist") {
		t.Errorf("custom rule with a default item's id: %v", err)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestDefaultChecklistConditions: each default item's condition is true on
// a model that needs the item and false on one that does not; the items
// without a condition are asked in every review.
func TestDefaultChecklistConditions(t *testing.T) {
	base := func(t *testing.T) *model.Model {
		m, err := model.Load(context.Background(), "../review/testdata/v1.yaml", model.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	withRedLines := threat.StandardFacts{Name: "s", Version: "1", RedLines: []string{"RL-NET-002"}}
	noRedLines := threat.StandardFacts{Name: "s", Version: "1"}
	userToAPI := func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "user-api", From: "user", To: "api", Protocol: model.ProtocolHTTPS})
	}
	type variant struct {
		edit func(*model.Model)
		std  threat.StandardFacts
	}
	for _, tc := range []struct {
		id          string
		needs, not_ []variant
	}{
		{"GEN-CLASS",
			[]variant{{nil, noRedLines}},
			[]variant{{func(m *model.Model) {
				m.Data = nil
				m.Components[1].Processes = nil
				m.Components[2].Stores = nil
				m.Interfaces[0].Sends = nil
			}, noRedLines}}},
		{"GEN-EXC",
			[]variant{{func(m *model.Model) {
				m.Exceptions = []model.Exception{{Rule: "RL-APP-010", Element: "api-db", Reason: "r", Owner: "o", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}
			}, noRedLines}},
			[]variant{{nil, noRedLines}}},
		{"GEN-PENTEST",
			[]variant{{userToAPI, noRedLines}, {func(m *model.Model) { m.Components[2].Exposure = model.ExposurePublic }, noRedLines}},
			// Only the internet client itself is reachable; out-of-scope
			// components behind it are not the product's to test.
			[]variant{{nil, noRedLines}, {func(m *model.Model) {
				userToAPI(m)
				m.Components[1].OutOfScope, m.Components[2].OutOfScope = true, true
			}, noRedLines}}},
		{"GEN-TENANT",
			[]variant{{func(m *model.Model) { m.Tenancy.Model = model.MultiTenant }, noRedLines}},
			[]variant{{nil, noRedLines}}},
		{"GEN-REDLINE",
			[]variant{{nil, withRedLines}},
			[]variant{{nil, noRedLines}}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			def, err := DefaultChecklist()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(def, func(it ChecklistItem) bool { return it.ID == tc.id })
			if i < 0 || def[i].When == "" {
				t.Fatalf("no default item %s with a condition", tc.id)
			}
			eval := func(v variant) bool {
				m := base(t)
				if v.edit != nil {
					v.edit(m)
				}
				ok, err := def[i].Applies(threat.NewScope(model.NewGraph(m), v.std))
				if err != nil {
					t.Fatalf("%s: %v", def[i].When, err)
				}
				return ok
			}
			for k, v := range tc.needs {
				if !eval(v) {
					t.Errorf("needs[%d]: %s is false", k, def[i].When)
				}
			}
			for k, v := range tc.not_ {
				if eval(v) {
					t.Errorf("not[%d]: %s is true", k, def[i].When)
				}
			}
		})
	}
	def, err := DefaultChecklist()
	if err != nil {
		t.Fatal(err)
	}
	var ids, always []string
	for _, it := range def {
		ids = append(ids, it.ID)
		if it.When == "" {
			always = append(always, it.ID)
		}
	}
	if want := []string{"GEN-DFD", "GEN-CLASS", "GEN-EXC", "GEN-PENTEST", "GEN-TENANT", "GEN-REDLINE", "GEN-IR"}; !slices.Equal(ids, want) {
		t.Errorf("default items %v, want %v", ids, want)
	}
	if !slices.Equal(always, []string{"GEN-DFD", "GEN-IR"}) {
		t.Errorf("unconditional items %v", always)
	}
}

func TestCustomRuleUnknownKey(t *testing.T) {
	valid, _ := os.ReadFile("testdata/corp.yaml")
	_, err := Parse("x.yaml", []byte(strings.Replace(string(valid), "    cwe: 693", "    cwe: 693\n    severity: high", 1)))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:18: field severity not found") {
		t.Errorf("unknown key in a custom rule: %v", err)
	}
}

func TestCompareChecklists(t *testing.T) {
	own, err := Load("testdata/corp-checklist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/corp-checklist.yaml")
	edited := strings.Replace(string(data), "Every exception has a ticket", "Every exception has an owner", 1)
	edited = strings.Replace(edited, "  - id: CORP-DFD\n    title: The data-flow diagram was walked through with the team ({standard})\n", "", 1)
	edited += "  - id: CORP-NEW\n    title: New\n"
	b, err := Parse("edited.yaml", []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Compare(own, b).Checklist, ", "); got != "changed CORP-EXC, added CORP-NEW, removed CORP-DFD" {
		t.Errorf("checklist diff: %s", got)
	}
	corp, err := Load("testdata/corp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(corp, own)
	if d.Empty() || !slices.Contains(d.Checklist, "added CORP-PENTEST") || !slices.Contains(d.Checklist, "removed GEN-DFD") {
		t.Errorf("default → own checklist: %v", d.Checklist)
	}
	if got := Compare(own, own).Checklist; len(got) != 0 {
		t.Errorf("a checklist differs from itself: %v", got)
	}
	swapped := strings.Replace(string(data), "  - id: CORP-DFD\n    title: The data-flow diagram was walked through with the team ({standard})\n", "", 1) +
		"  - id: CORP-DFD\n    title: The data-flow diagram was walked through with the team ({standard})\n"
	s, err := Parse("swapped.yaml", []byte(swapped))
	if err != nil {
		t.Fatal(err)
	}
	if got := Compare(own, s).Checklist; !slices.Equal(got, []string{"reordered"}) {
		t.Errorf("reordered checklist: %v", got)
	}
}
