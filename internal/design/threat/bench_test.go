package threat

import (
	"context"
	"fmt"
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
)

// largeModel builds a model of n components in 10 zones on 5 runtimes with
// e interfaces, with a mix of controls so that rules fire.
func largeModel(n, e int) *model.Model {
	m := cleanModel()
	m.Components = m.Components[:0]
	m.Interfaces = m.Interfaces[:0]
	m.Zones = append(m.Zones[:0], model.Zone{ID: "internet", Kind: model.ZoneInternet})
	kinds := []model.ZoneKind{model.ZoneDMZ, model.ZoneInternal, model.ZoneInternal, model.ZoneRestricted, model.ZonePartner}
	for z := range 9 {
		m.Zones = append(m.Zones, model.Zone{ID: fmt.Sprintf("z%d", z), Kind: kinds[z%len(kinds)], DefaultDenyIngress: z%3 != 0,
			Egress: model.Egress{Default: model.EgressDeny}})
	}
	m.Runtimes = m.Runtimes[:0]
	for r := range 5 {
		m.Runtimes = append(m.Runtimes, model.Runtime{ID: fmt.Sprintf("rt%d", r), Kind: model.RuntimeKubernetesCluster,
			Sandbox: model.SandboxNone, Sharing: model.Shared, Region: "eu-west-1"})
	}
	types := []model.ComponentType{model.TypeGateway, model.TypeService, model.TypeWebApp, model.TypeDatastore, model.TypeCache,
		model.TypeWorker, model.TypeService, model.TypeQueue, model.TypeIdP, model.TypeService}
	data := []string{"orders", "card", "sessions", "artifacts"}
	for i := range n {
		c := model.Component{
			ID: fmt.Sprintf("c%d", i), Type: types[i%len(types)], Zone: fmt.Sprintf("z%d", i%9),
			Runtime: fmt.Sprintf("rt%d", i%5), Exposure: model.ExposureInternal, CustomCode: i%2 == 0,
			Processes: []string{data[i%4]}, Tenancy: model.Shared,
		}
		if i < 5 {
			c.Zone, c.Type, c.Runtime, c.Exposure = "internet", model.TypeClient, "", ""
			c.HumanUser = true
		}
		if i%7 == 0 {
			c.Controls = model.Controls{Virtualization: hardened, Host: hostOK, Network: meshOK}
		}
		if c.Type == model.TypeDatastore {
			c.Stores = []string{data[(i+1)%4]}
		}
		m.Components = append(m.Components, c)
	}
	authn := []model.Authentication{model.AuthnMTLS, model.AuthnNone, model.AuthnToken, model.AuthnAPIKey}
	for i := range e {
		from, to := i%n, (i*7+1)%n
		if from == to {
			to = (to + 1) % n
		}
		m.Interfaces = append(m.Interfaces, model.Interface{
			ID: fmt.Sprintf("i%d", i), From: fmt.Sprintf("c%d", from), To: fmt.Sprintf("c%d", to),
			Protocol: model.ProtocolGRPC, TLS: model.TLS{Version: []model.TLSVersion{model.TLS13, model.TLSNone}[i%2]},
			Authentication: authn[i%4], Authorization: model.AuthzRBAC, Sends: []string{data[i%4]},
		})
	}
	return m
}

func TestLargeModelChecks(t *testing.T) {
	res, err := Check(context.Background(), largeModel(500, 2000), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) < 500 {
		t.Errorf("only %d findings on the generated model; the benchmark would not exercise the rules", len(res.Findings))
	}
}

// BenchmarkCheck is `redline model check` on a 500-component,
// 2,000-interface model: graph, every built-in rule, exceptions.
func BenchmarkCheck(b *testing.B) {
	m := largeModel(500, 2000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(context.Background(), m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
