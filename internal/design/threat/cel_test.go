package threat

import (
	"errors"
	"slices"
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
)

func TestCustomRules(t *testing.T) {
	spec := func(over, expr string) CustomRule {
		return CustomRule{ID: "CORP-001", Title: "t", Layer: LayerGateway, STRIDE: Tampering, CWE: 693,
			Likelihood: Likely, Impact: ImpactHigh, Over: over, Expression: expr, Rationale: "r", Mitigation: "m"}
	}
	for _, tc := range []struct {
		name, over, expr string
		mutate           func(*model.Model)
		want             []string // elements it fires on
	}{
		{"component field", OverComponent, `component.zoneKind == "dmz" && !component.controls.gateway.waf`,
			func(m *model.Model) { comp(m, "edge").Controls.Gateway.WAF = false }, []string{"edge"}},
		{"component quiet", OverComponent, `component.zoneKind == "dmz" && !component.controls.gateway.waf`,
			func(*model.Model) {}, nil},
		{"derived facts", OverComponent, `component.reachableFromInternet && component.maxClassification >= RESTRICTED && component.type == "web-app"`,
			func(*model.Model) {}, []string{"web"}},
		{"interface", OverInterface, `interface.crossesZones && interface.tls.version == "1.2"`,
			func(*model.Model) {}, []string{"web-db"}},
		{"zone", OverZone, `zone.kind == "management" && !("vpn" in zone.access)`,
			func(*model.Model) {}, []string{"mgmt"}},
		{"data", OverData, `data.rank >= RESTRICTED && size(data.residency) > 0`,
			func(*model.Model) {}, []string{"card"}},
		{"runtime", OverRuntime, `runtime.kind == "kubernetes-cluster" && size(runtime.components) > 2`,
			func(*model.Model) {}, []string{"k8s"}},
		{"model", OverModel, `model.tenancy.model == "multi" && model.tenancy.isolation.keys != "per-tenant"`,
			func(m *model.Model) { m.Tenancy.Isolation.Keys = model.KeysShared }, []string{model.ModelElement}},
		{"model quiet", OverModel, `model.tenancy.model == "multi" && model.tenancy.isolation.keys != "per-tenant"`,
			func(*model.Model) {}, nil},
		{"labels and strings ext", OverComponent, `component.id.startsWith("reg") && model.product == "shop"`,
			func(*model.Model) {}, []string{"registry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := CompileCustom(spec(tc.over, tc.expr))
			if err != nil {
				t.Fatal(err)
			}
			m := cleanModel()
			tc.mutate(m)
			res := check(t, m, Options{Rules: []Rule{r}})
			got := firing(res)["CORP-001"]
			if !slices.Equal(got, tc.want) {
				t.Errorf("fired on %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCustomRuleErrors(t *testing.T) {
	base := CustomRule{ID: "CORP-002", Title: "t", Layer: LayerNetwork, STRIDE: Spoofing, CWE: 1, Likelihood: Likely, Impact: ImpactLow}
	for _, tc := range []struct {
		name, over, expr string
		line, col        int // of the first CEL problem; 0: not a CEL error
	}{
		{"unknown field", OverComponent, `component.zone == "x" &&
  component.contrls.waf`, 2, 12},
		{"wrong variable", OverComponent, `interface.tls.mutual`, 1, 1},
		{"not bool", OverComponent, `component.id`, 1, 1},
		{"syntax", OverZone, `zone.kind ==`, 1, 13},
		{"bad over", "service", `true`, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Over, c.Expression = tc.over, tc.expr
			_, err := CompileCustom(c)
			if err == nil {
				t.Fatal("compiled")
			}
			var ce *CELError
			if tc.line == 0 {
				if errors.As(err, &ce) {
					t.Errorf("want a non-CEL error, got %v", err)
				}
				return
			}
			if !errors.As(err, &ce) {
				t.Fatalf("not a CEL error: %v", err)
			}
			if p := ce.Problems[0]; p.Line != tc.line || p.Column != tc.col {
				t.Errorf("problem at %d:%d, want %d:%d: %v", p.Line, p.Column, tc.line, tc.col, err)
			}
		})
	}
}

func TestCustomRuleFailsClosed(t *testing.T) {
	r, err := CompileCustom(CustomRule{ID: "CORP-003", Title: "t", Layer: LayerModel, STRIDE: Spoofing, CWE: 1,
		Likelihood: Likely, Impact: ImpactLow, Over: OverComponent, Expression: `component.labels["team"] == "x"`})
	if err != nil {
		t.Fatal(err)
	}
	res := check(t, cleanModel(), Options{Rules: []Rule{r}})
	if n := len(firing(res)["CORP-003"]); n != len(cleanModel().Components) {
		t.Errorf("a rule that cannot be evaluated must count as matching: fired %d times", n)
	}
}
