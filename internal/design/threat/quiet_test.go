package threat

import (
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
)

// quietCases are changes that come close to a rule's condition but must not
// make it fire: the other half of each rule's test, beyond the clean model.
var quietCases = []struct {
	name   string
	rules  []string
	mutate func(m *model.Model)
}{
	{"egress inherited from the parent zone", []string{"RL-NET-005", "RL-APP-006"}, func(m *model.Model) {
		m.Zones = append(m.Zones, model.Zone{ID: "vpc", Kind: model.ZoneInternal, DefaultDenyIngress: true, Egress: model.Egress{Default: model.EgressDeny}})
		z := zone(m, "app")
		z.Parent, z.Egress = "vpc", model.Egress{}
		comp(m, "web").Controls.Network.EgressRestricted = false
	}},
	{"default-deny inherited from the parent zone", []string{"RL-NET-001"}, func(m *model.Model) {
		m.Zones = append(m.Zones, model.Zone{ID: "vpc", Kind: model.ZoneInternal, DefaultDenyIngress: true, Egress: model.Egress{Default: model.EgressDeny}})
		z := zone(m, "data")
		z.Parent, z.DefaultDenyIngress = "vpc", false
	}},
	{"CDN in front of a gateway that limits", []string{"RL-GW-003", "RL-GW-006"}, func(m *model.Model) {
		m.Components = append(m.Components, model.Component{ID: "cdn", Type: model.TypeWAF, Zone: "dmz", Runtime: "k8s",
			Exposure: model.ExposurePublic, Tenancy: model.Shared, Secrets: model.SecretsKMS, WorkloadIdentity: "cdn",
			Logging:  model.Logging{Audit: true, Central: true},
			Controls: model.Controls{Virtualization: hardened, Host: hostOK, Network: model.NetworkControls{DDoSProtection: true}}})
		iface(m, "user-edge").To = "cdn"
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "cdn-edge", From: "cdn", To: "edge", Protocol: model.ProtocolHTTPS,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnMTLS, Authorization: model.AuthzScopedToken,
			Propagation: model.Propagation{Identity: model.IdentityEndUser, Tenant: true, Risk: true}, Sends: []string{"orders", "card"}})
	}},
	{"operations traffic from outside", []string{"RL-GW-003", "RL-GW-006"}, func(m *model.Model) {
		m.Components = append(m.Components, model.Component{ID: "dev", Type: model.TypeClient, Zone: "internet", HumanUser: true})
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "dev-registry", From: "dev", To: "registry", Protocol: model.ProtocolHTTPS,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnSSO, MFA: true, VPN: true, Authorization: model.AuthzRBAC,
			Usage: model.UsageDevOps, Receives: []string{"artifacts"}})
	}},
	{"login at the identity provider", []string{"RL-GW-004"}, func(m *model.Model) {
		iface(m, "edge-idp").Authorization = model.AuthzAuthenticated
	}},
	{"the central log store itself", []string{"RL-HOST-005"}, func(m *model.Model) {
		c := comp(m, "registry")
		c.Type, c.Logging.Central = model.TypeLogging, false
		comp(m, "ci").Type = model.TypeSourceRepo
	}},
	{"privileged platform agent", []string{"RL-VIRT-002", "RL-VIRT-004"}, func(m *model.Model) {
		c := comp(m, "idp")
		c.Platform = true
		c.Controls.Virtualization.Privileged = true
		c.Controls.Virtualization.RuntimeSocketMounted = true
	}},
	{"single tenant sharing everything", []string{"RL-TEN-001", "RL-TEN-002", "RL-TEN-003", "RL-TEN-004", "RL-TEN-005", "RL-TEN-006",
		"RL-TEN-007", "RL-TEN-008", "RL-TEN-009", "RL-GW-006"}, func(m *model.Model) {
		m.Tenancy = model.Tenancy{Model: model.SingleTenant, TenantIDSource: model.TenantFromHeader}
		comp(m, "web").Controls.Application.AuthzChecks = false
		iface(m, "edge-web").Propagation.Tenant = false
	}},
	{"an internal service reads its own datastore", []string{"RL-NET-010", "RL-NET-002"}, func(m *model.Model) {
		iface(m, "web-db").ReadOnly = false
	}},
	{"sandboxed tenant code", []string{"RL-VIRT-001", "RL-TEN-007", "RL-TEN-009"}, func(m *model.Model) {
		comp(m, "web").RunsUntrustedCode = true
	}},
	{"risk signal not required", []string{"RL-ZT-004"}, func(m *model.Model) { iface(m, "user-edge").Propagation.Risk = false }},
	{"deliberately public content", []string{"RL-GW-002"}, func(m *model.Model) {
		f := iface(m, "user-edge")
		f.Authentication, f.Anonymous = model.AuthnNone, true
		comp(m, "edge").Controls.Gateway.Authentication = false
	}},
	{"mesh encrypts inside the zone", []string{"RL-NET-008"}, func(m *model.Model) {
		comp(m, "idp").Zone = "app"
		comp(m, "idp").Type = model.TypeService
		comp(m, "idp").CustomCode = false
		iface(m, "edge-idp").From = "web"
		iface(m, "edge-idp").TLS = model.TLS{Version: model.TLSNone}
	}},
}

func TestQuiet(t *testing.T) {
	for _, tc := range quietCases {
		t.Run(tc.name, func(t *testing.T) {
			m := cleanModel()
			tc.mutate(m)
			got := firing(check(t, m, Options{}))
			for _, r := range tc.rules {
				if len(got[r]) > 0 {
					t.Errorf("%s fired on %v", r, got[r])
				}
			}
		})
	}
}
