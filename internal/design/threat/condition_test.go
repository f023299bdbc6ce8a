package threat

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
)

func TestConditions(t *testing.T) {
	env, err := NewConditionEnv()
	if err != nil {
		t.Fatal(err)
	}
	m := cleanModel()
	m.Exceptions = []model.Exception{{Rule: "RL-APP-010", Element: "api", Owner: "team", Reason: "r",
		Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}
	scope := NewScope(model.NewGraph(m), StandardFacts{Name: "corp", Version: "1", Rules: []string{"RL-APP-010"}, RedLines: []string{"RL-NET-002"}})
	empty := NewScope(model.NewGraph(&model.Model{}), StandardFacts{})
	for _, tc := range []struct {
		expr        string
		want, wantE bool // on the model, on an empty model
	}{
		{`size(components) > 0 && size(interfaces) > 0 && size(zones) > 0 && size(data) > 0 && size(runtimes) > 0`, true, false},
		{`components.exists(c, c.reachableFromInternet && !c.inInternetZone && c.maxClassification >= CONFIDENTIAL)`, true, false},
		{`components.exists(c, c.inInternetZone)`, true, false},
		{`interfaces.exists(i, i.fromInternet)`, true, false},
		{`exceptions.exists(e, e.rule == "RL-APP-010" && e.expires == "2026-12-31" && e.ticket == "")`, true, false},
		{`standard.ref == "corp@1" && "RL-NET-002" in standard.redLines && size(standard.rules) == 1`, true, false},
		{`standard.ref == "" && size(standard.redLines) == 0 && size(exceptions) == 0`, false, true},
		{`model.tenancy.model == "multi" && model.product.startsWith("sh")`, true, false},
	} {
		c, err := env.Compile("T", tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		for _, s := range []struct {
			scope *Scope
			want  bool
		}{{scope, tc.want}, {empty, tc.wantE}} {
			got, err := c.Eval(s.scope)
			if err != nil || got != s.want {
				t.Errorf("%s = %v, %v; want %v", tc.expr, got, err, s.want)
			}
		}
	}
	for _, tc := range []struct{ expr, want string }{
		{`size(components`, "1:"},
		{`size(components)`, "must be a bool"},
		{`component.zone == "dmz"`, "undeclared reference to 'component'"},
		{`components.exists(c, c.nope)`, "undefined field 'nope'"},
		{strings.Repeat("true && ", MaxExpressionLen/8+1) + "true", "longer than"},
	} {
		_, err := env.Compile("T", tc.expr)
		var ce *CELError
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.want != "longer than" && !errors.As(err, &ce)) {
			t.Errorf("%.40s: %v", tc.expr, err)
		}
	}
	// A runtime error is returned, not a value.
	c, err := env.Compile("T", `model.labels["team"] == "x"`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Eval(scope); err == nil || !strings.Contains(err.Error(), "no such key") {
		t.Errorf("missing key: %v", err)
	}
}
