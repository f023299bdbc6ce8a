package model

import (
	"strings"
	"testing"
)

func TestStarterValidates(t *testing.T) {
	cases := []StarterOptions{
		{},
		{Multi: true},
		{Product: "billing", Name: `Billing: "v2"`, Owner: "team: billing", Release: "2026.06", Standard: "corp-baseline@2026H2", Multi: true},
	}
	for _, o := range cases {
		b, err := Starter(o)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode("model.yaml", b, Limits{})
		if err != nil {
			t.Fatalf("%+v: starter does not validate:\n%v", o, err)
		}
		if o.Multi != (m.Tenancy.Model == MultiTenant) {
			t.Errorf("%+v: tenancy %s", o, m.Tenancy.Model)
		}
		if o.Name != "" && m.Metadata.Name != o.Name {
			t.Errorf("name %q survived quoting as %q", o.Name, m.Metadata.Name)
		}
		if o.Multi && !strings.Contains(string(b), "tenantScoped: true") {
			t.Error("multi-tenant starter without tenant-scoped data")
		}
	}
	for _, o := range []StarterOptions{{Product: "Bad Product"}, {Standard: "baseline"}} {
		if _, err := Starter(o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
}
