package threat

import (
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/finding"
)

func TestDiffRisks(t *testing.T) {
	old := cleanModel()
	comp(old, "web").Controls.Application.RASP = false           // RL-APP-002: resolved in new
	comp(old, "edge").Controls.Gateway.RateLimit.Enabled = false // RL-GW-003: unchanged
	new := cleanModel()
	comp(new, "edge").Controls.Gateway.RateLimit.Enabled = false
	comp(new, "edge").Pos = model.Pos{File: "other.yaml", Line: 99} // moved: same risk
	comp(new, "web").Controls.Application.OutputEncoding = false    // RL-APP-012: added

	rules := Builtin()
	for i := range rules {
		if rules[i].ID == "RL-GW-003" {
			rules[i].Severity = finding.SeverityCritical // a standard raised it: changed
		}
	}
	a := check(t, old, Options{})
	b := check(t, new, Options{Rules: rules})
	d := DiffRisks(a.Findings, b.Findings)
	if len(d.Added) != 1 || d.Added[0].RuleID != "RL-APP-012" {
		t.Errorf("added: %v", d.Added)
	}
	if len(d.Resolved) != 1 || d.Resolved[0].RuleID != "RL-APP-002" {
		t.Errorf("resolved: %v", d.Resolved)
	}
	if len(d.Changed) != 1 || d.Changed[0].New.RuleID != "RL-GW-003" || d.Changed[0].Changes[0] != "severity" {
		t.Errorf("changed: %+v", d.Changed)
	}
	if d.Empty() {
		t.Error("diff is empty")
	}
	if same := DiffRisks(a.Findings, a.Findings); !same.Empty() || same.Unchanged != len(a.Findings) {
		t.Errorf("self diff: %+v", same)
	}
}
