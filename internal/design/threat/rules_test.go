package threat

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/finding"
)

// ruleCases are, per rule, a change to the clean model that makes the rule
// fire, and the element it must fire on.
var ruleCases = []struct {
	rule    string
	element string
	params  *Params
	mutate  func(m *model.Model)
}{
	// virtualization
	{"RL-VIRT-001", "web", nil, func(m *model.Model) {
		comp(m, "web").RunsUntrustedCode = true
		runtime(m, "k8s").Sandbox = model.SandboxNone
	}},
	{"RL-VIRT-002", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Virtualization.HostNamespaces = true }},
	{"RL-VIRT-003", "k8s", nil, func(m *model.Model) { runtime(m, "k8s").Sharing = model.Shared }},
	{"RL-VIRT-004", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Virtualization.RuntimeSocketMounted = true }},
	{"RL-VIRT-005", "edge", nil, func(m *model.Model) { comp(m, "edge").Controls.Virtualization.Seccomp = model.SeccompUnconfined }},
	{"RL-VIRT-006", "web", nil, func(m *model.Model) {
		runtime(m, "k8s").Sharing = model.Shared
		comp(m, "web").Controls.Virtualization.ResourceLimits = false
	}},
	{"RL-VIRT-007", "k8s", nil, func(m *model.Model) { runtime(m, "k8s").Controls.PrivateAPI = false }},
	{"RL-VIRT-008", "k8s", nil, func(m *model.Model) { runtime(m, "k8s").Controls.AdmissionPolicy = false }},
	{"RL-VIRT-009", "ci-deploy", nil, func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "ci-deploy", From: "ci", To: "web", Protocol: model.ProtocolKubernetesAPI,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnWorkloadIdentity, Authorization: model.AuthzRBAC,
			Usage: model.UsageDevOps, Sends: []string{"artifacts"}})
	}},
	// network
	{"RL-NET-001", "data", nil, func(m *model.Model) { zone(m, "data").DefaultDenyIngress = false }},
	{"RL-NET-002", "db", nil, func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "user-db", From: "user", To: "db", Protocol: model.ProtocolSQL,
			TLS: model.TLS{Version: model.TLS12}, Authentication: model.AuthnPassword, Authorization: model.AuthzRBAC, Receives: []string{"orders"}})
	}},
	{"RL-NET-003", "web-db", nil, func(m *model.Model) { iface(m, "web-db").TLS.Version = model.TLSNone }},
	{"RL-NET-004", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Network.MTLS = model.MTLSPermissive }},
	{"RL-NET-005", "app", nil, func(m *model.Model) {
		zone(m, "app").Egress.Default = model.EgressAllow
		comp(m, "web").Controls.Network.EgressRestricted = false
	}},
	{"RL-NET-006", "db", nil, func(m *model.Model) { comp(m, "db").Zone = "dmz"; zone(m, "data").DefaultDenyIngress = true }},
	{"RL-NET-007", "ops-ssh", nil, func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "ops-ssh", From: "web", To: "idp", Protocol: model.ProtocolSSH,
			Authentication: model.AuthnMTLS, Authorization: model.AuthzRBAC, Usage: model.UsageDevOps, Sends: []string{"sessions"}})
	}},
	{"RL-NET-008", "web-db", nil, func(m *model.Model) {
		comp(m, "db").Zone = "app"
		iface(m, "web-db").TLS.Version = model.TLSNone
	}},
	{"RL-NET-009", "web-db", nil, func(m *model.Model) { iface(m, "web-db").TLS.Version = model.TLS11 }},
	{"RL-NET-010", "edge-db", nil, func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "edge-db", From: "edge", To: "db", Protocol: model.ProtocolSQL,
			TLS: model.TLS{Version: model.TLS12}, Authentication: model.AuthnCloudIAM, Authorization: model.AuthzRBAC,
			Propagation: model.Propagation{Tenant: true}, Receives: []string{"orders"}})
	}},
	{"RL-NET-011", "edge", nil, func(m *model.Model) { comp(m, "edge").Controls.Network.DDoSProtection = false }},
	{"RL-NET-012", "registry", nil, func(m *model.Model) { comp(m, "registry").Exposure = model.ExposurePublic }},
	{"RL-NET-012", "ci", nil, func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "user-ci", From: "user", To: "ci", Protocol: model.ProtocolHTTPS,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnSSO, MFA: true, Authorization: model.AuthzRBAC,
			Usage: model.UsageDevOps, Sends: []string{"artifacts"}})
	}},
	// gateway
	{"RL-GW-001", "user-web", nil, func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "user-web", From: "user", To: "web", Protocol: model.ProtocolHTTPS,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnToken, MFA: true, Authorization: model.AuthzScopedToken,
			Propagation: model.Propagation{Identity: model.IdentityEndUser, Tenant: true}, Sends: []string{"orders"}})
		c := comp(m, "web")
		c.Controls.Gateway = model.GatewayControls{WAF: true, RateLimit: model.RateLimit{Enabled: true, PerTenant: true}}
		c.Controls.Network.DDoSProtection = true
	}},
	{"RL-GW-002", "user-edge", nil, func(m *model.Model) {
		iface(m, "user-edge").Authentication = model.AuthnNone
		comp(m, "edge").Controls.Gateway.Authentication = false
	}},
	{"RL-GW-003", "edge", nil, func(m *model.Model) { comp(m, "edge").Controls.Gateway.RateLimit.Enabled = false }},
	{"RL-GW-004", "edge-web", nil, func(m *model.Model) { iface(m, "edge-web").Authorization = model.AuthzAuthenticated }},
	{"RL-GW-005", "edge", nil, func(m *model.Model) { comp(m, "edge").Controls.Gateway.SchemaValidation = false }},
	{"RL-GW-006", "edge", nil, func(m *model.Model) { comp(m, "edge").Controls.Gateway.RateLimit.PerTenant = false }},
	{"RL-GW-007", "user-edge", nil, func(m *model.Model) { iface(m, "user-edge").MFA = false }},
	// application
	{"RL-APP-001", "web", nil, func(m *model.Model) { comp(m, "edge").Controls.Gateway.WAF = false }},
	{"RL-APP-002", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Application.RASP = false }},
	{"RL-APP-003", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Application.InputValidation = false }},
	{"RL-APP-004", "web", nil, func(m *model.Model) {
		comp(m, "web").Accepts = append(comp(m, "web").Accepts, model.FormatSerialization)
	}},
	{"RL-APP-005", "web", nil, func(m *model.Model) {
		c := comp(m, "web")
		c.Accepts = []model.DataFormat{model.FormatFile}
		c.Controls.Application.InputValidation = false
	}},
	{"RL-APP-006", "web", nil, func(m *model.Model) {
		m.Components = append(m.Components, model.Component{ID: "psp", Type: model.TypeExternal, Zone: "internet"})
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "web-psp", From: "web", To: "psp", Protocol: model.ProtocolHTTPS,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnMTLS, Authorization: model.AuthzRBAC, Sends: []string{"orders"}})
		zone(m, "app").Egress.Default = model.EgressAllow
		comp(m, "web").Controls.Network.EgressRestricted = false
	}},
	{"RL-APP-007", "web", nil, func(m *model.Model) { comp(m, "web").Secrets = model.SecretsEnv }},
	{"RL-APP-008", "web", nil, func(m *model.Model) { comp(m, "web").Secrets = model.SecretsCode }},
	{"RL-APP-009", "idp", nil, func(m *model.Model) { comp(m, "idp").Logging.Audit = false }},
	{"RL-APP-010", "web-db", nil, func(m *model.Model) {
		c := comp(m, "web")
		c.Controls.Application.InputValidation = false
		c.Accepts = []model.DataFormat{model.FormatJSON}
	}},
	{"RL-APP-011", "web", nil, func(m *model.Model) {
		iface(m, "edge-web").Authentication = model.AuthnSession
		comp(m, "web").Controls.Application.CSRFProtection = false
	}},
	{"RL-APP-011", "web", nil, func(m *model.Model) { // the session cookie travels through the gateway
		iface(m, "user-edge").Authentication = model.AuthnSession
		iface(m, "edge-web").Authentication = model.AuthnNone
		comp(m, "web").Controls.Application.CSRFProtection = false
	}},
	{"RL-APP-012", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Application.OutputEncoding = false }},
	{"RL-APP-013", "web-files", nil, func(m *model.Model) {
		comp(m, "web").Controls.Application.InputValidation = false
		comp(m, "web").Accepts = nil
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "web-files", From: "web", To: "db", Protocol: model.ProtocolNFS,
			TLS: model.TLS{Version: model.TLS12}, Authentication: model.AuthnCloudIAM, Authorization: model.AuthzRBAC,
			Propagation: model.Propagation{Tenant: true}, Receives: []string{"orders"}})
	}},
	// host
	{"RL-HOST-001", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Host.EDR = false }},
	{"RL-HOST-002", "web", nil, func(m *model.Model) {
		runtime(m, "k8s").Controls.NodeHardening = false
		comp(m, "web").Controls.Host.Hardening = model.HardeningNone
	}},
	{"RL-HOST-003", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Host.PatchSLADays = 45 }},
	{"RL-HOST-003", "idp", &Params{MaxPatchSLADays: 7}, func(*model.Model) {}},
	{"RL-HOST-004", "db", nil, func(m *model.Model) { comp(m, "db").EncryptionAtRest = model.EncryptionNone }},
	{"RL-HOST-005", "db", nil, func(m *model.Model) { comp(m, "db").Logging.Central = false }},
	{"RL-HOST-006", "db", nil, func(m *model.Model) {
		data(m, "card").Classification = model.Secret
		comp(m, "db").EncryptionAtRest = model.EncryptionPlatform
	}},
	// tenant isolation
	{"RL-TEN-001", "db", nil, func(m *model.Model) { m.Tenancy.Isolation.Data = model.DataShared }},
	{"RL-TEN-002", "edge-web", nil, func(m *model.Model) { iface(m, "edge-web").Propagation.Tenant = false }},
	{"RL-TEN-003", model.ModelElement, nil, func(m *model.Model) { m.Tenancy.TenantIDSource = model.TenantFromHeader }},
	{"RL-TEN-004", "card", nil, func(m *model.Model) { m.Tenancy.Isolation.Keys = model.KeysShared }},
	{"RL-TEN-005", "cache", nil, func(m *model.Model) {
		m.Components = append(m.Components, model.Component{ID: "cache", Type: model.TypeCache, Zone: "data", Runtime: "rds",
			Exposure: model.ExposurePrivate, Tenancy: model.Shared, Logging: model.Logging{Central: true}})
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "web-cache", From: "web", To: "cache", Protocol: model.ProtocolRedis,
			TLS: model.TLS{Version: model.TLS12}, Authentication: model.AuthnCloudIAM, Authorization: model.AuthzRBAC,
			Propagation: model.Propagation{Tenant: true}, Receives: []string{"orders"}})
	}},
	{"RL-TEN-006", model.ModelElement, nil, func(m *model.Model) { m.Tenancy.Isolation.Quotas = model.QuotasGlobal }},
	{"RL-TEN-007", "web", nil, func(m *model.Model) {
		m.Tenancy.Isolation.Compute = model.ComputeSharedKernel
		comp(m, "web").RunsUntrustedCode = true
	}},
	{"RL-TEN-008", "web", nil, func(m *model.Model) { comp(m, "web").Controls.Application.AuthzChecks = false }},
	{"RL-TEN-009", "web", nil, func(m *model.Model) {
		m.Tenancy.Isolation.Network = model.NetworkShared
		comp(m, "web").RunsUntrustedCode = true
	}},
	// zero trust
	{"RL-ZT-001", "edge-web", nil, func(m *model.Model) { iface(m, "edge-web").Propagation.Identity = model.IdentityService }},
	{"RL-ZT-002", "edge-idp", nil, func(m *model.Model) { iface(m, "edge-idp").Authentication = model.AuthnNone }},
	{"RL-ZT-003", "web-db", nil, func(m *model.Model) {
		iface(m, "web-db").Authentication = model.AuthnPassword
		comp(m, "web").WorkloadIdentity = ""
	}},
	{"RL-ZT-004", "user-edge", &Params{MaxPatchSLADays: 30, RequireAdaptiveAuth: true}, func(m *model.Model) {
		iface(m, "user-edge").Propagation.Risk = false
	}},
	{"RL-ZT-005", "idp", nil, func(m *model.Model) { comp(m, "idp").Zone = "app" }},
	{"RL-ZT-006", "web", nil, func(m *model.Model) {
		comp(m, "web").WorkloadIdentity = ""
		iface(m, "web-db").Authentication = model.AuthnToken
	}},
	{"RL-ZT-007", "vault", nil, func(m *model.Model) {
		m.Components = append(m.Components, model.Component{ID: "vault", Type: model.TypeVault, Zone: "app", Runtime: "k8s",
			Exposure: model.ExposureInternal, Secrets: model.SecretsKMS, Logging: model.Logging{Audit: true, Central: true}})
	}},
	// data
	{"RL-DATA-001", "edge-idp", nil, func(m *model.Model) { iface(m, "edge-idp").Sends = []string{"sessions", "card"} }},
	{"RL-DATA-002", "db", nil, func(m *model.Model) { runtime(m, "rds").Region = "us-east-1" }},
	{"RL-DATA-003", "unused", nil, func(m *model.Model) {
		m.Data = append(m.Data, model.DataAsset{ID: "unused", Classification: model.Internal})
	}},
	{"RL-DATA-004", "web-psp", nil, func(m *model.Model) {
		m.Components = append(m.Components, model.Component{ID: "psp", Type: model.TypeExternal, Zone: "internet"})
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "web-psp", From: "web", To: "psp", Protocol: model.ProtocolHTTPS,
			TLS: model.TLS{Version: model.TLS13}, Authentication: model.AuthnMTLS, Authorization: model.AuthzRBAC, Sends: []string{"card"}})
	}},
	// model completeness
	{"RL-MOD-001", "web", nil, func(m *model.Model) { comp(m, "web").Runtime = "" }},
	{"RL-MOD-002", "k8s", nil, func(m *model.Model) { runtime(m, "k8s").Sandbox = "" }},
	{"RL-MOD-003", "ci-registry", nil, func(m *model.Model) { iface(m, "ci-registry").Sends = nil }},
	{"RL-MOD-004", "ci", nil, func(m *model.Model) {
		comp(m, "ci").Processes = nil
		iface(m, "ci-registry").Sends = nil
	}},
	{"RL-MOD-005", model.ModelElement, nil, func(m *model.Model) { comp(m, "web").Secrets = model.SecretsVault }},
	{"RL-MOD-006", model.ModelElement, nil, func(m *model.Model) {
		comp(m, "idp").Type = model.TypeService
	}},
	{"RL-MOD-007", model.ModelElement, nil, func(m *model.Model) {
		comp(m, "ci").Type = model.TypeService
		comp(m, "registry").Type = model.TypeObjectStore
		comp(m, "registry").Zone = "data"
	}},
	{"RL-MOD-008", "db", nil, func(m *model.Model) { comp(m, "db").Exposure = "" }},
	{"RL-MOD-011", "web-db", nil, func(m *model.Model) { iface(m, "web-db").ReadOnly = true }},
	{"RL-MOD-011", "edge-idp", nil, func(m *model.Model) { iface(m, "edge-idp").Protocol = model.ProtocolSQL }},
	{"RL-MOD-009", "RL-APP-002@web", nil, func(m *model.Model) {
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: "RL-APP-002", Element: "web", Reason: "r", Owner: "o", Expires: future})
	}},
	{"RL-MOD-010", "RL-APP-002@web", nil, func(m *model.Model) {
		comp(m, "web").Controls.Application.RASP = false
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: "RL-APP-002", Element: "web", Reason: "r", Owner: "o", Expires: future})
	}},
}

var (
	testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	future  = time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
)

// redLineAll returns the built-in rules with RL-APP-002 a red line, as the
// exception cases need.
func redLineAPP002() []Rule {
	rules := Builtin()
	for i := range rules {
		if rules[i].ID == "RL-APP-002" {
			rules[i].RedLine = true
		}
	}
	return rules
}

func check(t *testing.T, m *model.Model, opts Options) *Result {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	res, err := Check(context.Background(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func firing(res *Result) map[string][]string {
	out := make(map[string][]string)
	for _, f := range res.Findings {
		out[f.RuleID] = append(out[f.RuleID], elementOf(f.Location.Object))
	}
	return out
}

func TestCleanModelHasNoFindings(t *testing.T) {
	res := check(t, cleanModel(), Options{})
	for _, f := range res.Findings {
		t.Errorf("clean model: %s on %s: %s", f.RuleID, f.Location.Object, f.Description)
	}
}

func TestEveryRuleFiresAndStaysQuiet(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.rule+"/"+tc.element, func(t *testing.T) {
			m := cleanModel()
			tc.mutate(m)
			opts := Options{}
			if tc.params != nil {
				opts.Params = *tc.params
			}
			if tc.rule == "RL-MOD-010" {
				opts.Rules = redLineAPP002()
			}
			got := firing(check(t, m, opts))
			if !slices.Contains(got[tc.rule], tc.element) {
				t.Fatalf("%s did not fire on %s; fired: %v", tc.rule, tc.element, got)
			}
			// Not on the clean model (checked for all rules above), and the
			// mutation should not set off unrelated layers wholesale.
			if len(got) > 4 {
				t.Logf("note: mutation fired %d rules: %v", len(got), keys(got))
			}
		})
	}
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestEveryRuleHasACase(t *testing.T) {
	covered := make(map[string]bool)
	for _, tc := range ruleCases {
		covered[tc.rule] = true
	}
	for _, r := range Builtin() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no test case", r.ID)
		}
	}
}

func TestCatalogue(t *testing.T) {
	rules := Builtin()
	if len(rules) < 45 {
		t.Errorf("%d built-in rules; the design phase needs at least 45", len(rules))
	}
	layers := make(map[Layer]int)
	seen := make(map[string]bool)
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		layers[r.Layer]++
		prefix := map[Layer]string{LayerVirtualization: "RL-VIRT-", LayerNetwork: "RL-NET-", LayerGateway: "RL-GW-",
			LayerApplication: "RL-APP-", LayerHost: "RL-HOST-", LayerTenant: "RL-TEN-", LayerZeroTrust: "RL-ZT-",
			LayerData: "RL-DATA-", LayerModel: "RL-MOD-"}[r.Layer]
		if prefix == "" || !strings.HasPrefix(r.ID, prefix) {
			t.Errorf("%s: id does not match layer %s", r.ID, r.Layer)
		}
		if r.Title == "" || r.Rationale == "" || r.Mitigation == "" || r.CWE <= 0 {
			t.Errorf("%s: title, rationale, mitigation and CWE are required", r.ID)
		}
		if _, err := ParseSTRIDE(string(r.STRIDE)); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
		if r.Severity != SeverityOf(r.Likelihood, r.Impact) || r.Severity == 0 {
			t.Errorf("%s: severity %s is not the matrix value of %s × %s", r.ID, r.Severity, r.Likelihood, r.Impact)
		}
		if r.RedLine {
			t.Errorf("%s: built-in rules carry no red line; standards set them", r.ID)
		}
	}
	for _, l := range Layers() {
		if layers[l] == 0 {
			t.Errorf("layer %s has no rule", l)
		}
	}
	stride := make(map[STRIDE]bool)
	for _, r := range rules {
		stride[r.STRIDE] = true
	}
	for _, s := range strideCategories {
		if !stride[s] {
			t.Errorf("no rule for STRIDE %s", s)
		}
	}
}

func TestSeverityMatrix(t *testing.T) {
	for _, tc := range []struct {
		l    Likelihood
		i    Impact
		want string
	}{
		{Unlikely, ImpactLow, "low"}, {Unlikely, ImpactVeryHigh, "high"}, {Likely, ImpactMedium, "medium"},
		{Likely, ImpactHigh, "high"}, {VeryLikely, ImpactVeryHigh, "critical"}, {Frequent, ImpactHigh, "critical"},
		{Frequent, ImpactLow, "medium"}, {0, ImpactLow, "unknown"}, {Likely, 9, "unknown"},
	} {
		if got := SeverityOf(tc.l, tc.i).String(); got != tc.want {
			t.Errorf("SeverityOf(%s, %s) = %s, want %s", tc.l, tc.i, got, tc.want)
		}
	}
	// Monotonic in both directions.
	for l := Unlikely; l <= Frequent; l++ {
		for i := ImpactLow; i <= ImpactVeryHigh; i++ {
			if l > Unlikely && SeverityOf(l, i) < SeverityOf(l-1, i) {
				t.Errorf("matrix not monotonic in likelihood at %s,%s", l, i)
			}
			if i > ImpactLow && SeverityOf(l, i) < SeverityOf(l, i-1) {
				t.Errorf("matrix not monotonic in impact at %s,%s", l, i)
			}
		}
	}
}

func TestFindingShape(t *testing.T) {
	m := cleanModel()
	comp(m, "edge").Controls.Gateway.RateLimit.Enabled = false
	res := check(t, m, Options{Standard: "redline-baseline@2026H2"})
	var f *finding.Finding
	for i := range res.Findings {
		if res.Findings[i].RuleID == "RL-GW-003" {
			f = &res.Findings[i]
		}
	}
	if f == nil {
		t.Fatal("RL-GW-003 did not fire")
	}
	if f.Kind != "design" || f.Target.Kind != "model" || f.Target.Name != "shop@"+m.Metadata.Release || !strings.HasPrefix(f.Target.Digest, "sha256:") {
		t.Errorf("kind/target: %+v %+v", f.Kind, f.Target)
	}
	if f.Location.Path != "m.yaml" || f.Location.Line != 40 || f.Location.Object != "component/edge" {
		t.Errorf("location: %+v", f.Location)
	}
	if f.Mappings["cwe"][0] != "CWE-770" || f.Mappings["stride"][0] != "D" || f.Mappings["standard"][0] != "redline-baseline@2026H2" {
		t.Errorf("mappings: %v", f.Mappings)
	}
	if f.Fix == nil || f.Fix.Remediation == "" {
		t.Error("no remediation")
	}
	// The fingerprint survives the element moving in the file.
	comp(m, "edge").Pos = model.Pos{File: "parts/edge.yaml", Line: 3}
	res2 := check(t, m, Options{})
	for _, g := range res2.Findings {
		if g.RuleID == "RL-GW-003" && g.Fingerprint != f.Fingerprint {
			t.Errorf("fingerprint changed when the element moved: %s != %s", g.Fingerprint, f.Fingerprint)
		}
	}
	// Each release is its own target, and the risk keeps its fingerprint
	// from release to release; another product's risk does not share it.
	first := res.Target.Name
	m.Metadata.Release = "2027.01"
	res3 := check(t, m, Options{})
	if res3.Target.Name != "shop@2027.01" {
		t.Errorf("target of the next release: %q", res3.Target.Name)
	}
	m.Metadata.Product = "till"
	res4 := check(t, m, Options{})
	for _, r := range []*Result{res3, res4} {
		for _, g := range r.Findings {
			if g.RuleID == "RL-GW-003" && (g.Fingerprint == f.Fingerprint) != (r == res3) {
				t.Errorf("%s: fingerprint %s vs %s of %s", r.Target.Name, g.Fingerprint, f.Fingerprint, first)
			}
		}
	}
}

func TestExceptions(t *testing.T) {
	base := func() *model.Model {
		m := cleanModel()
		comp(m, "web").Controls.Application.RASP = false // RL-APP-002 on web
		return m
	}
	ex := func(expires time.Time) model.Exception {
		return model.Exception{Rule: "RL-APP-002", Element: "web", Reason: "rollout in Q1", Owner: "alice", Expires: expires,
			Pos: model.Pos{File: "m.yaml", Line: 200}}
	}
	t.Run("active suppresses", func(t *testing.T) {
		m := base()
		m.Exceptions = []model.Exception{ex(future)}
		res := check(t, m, Options{})
		if len(res.Findings) != 0 || len(res.Excepted) != 1 || res.Excepted[0].Ignore.Owner != "alice" || res.Excepted[0].Ignore.Line != 200 {
			t.Errorf("findings %v excepted %+v", firing(res), res.Excepted)
		}
	})
	t.Run("holds through its expiry day", func(t *testing.T) {
		m := base()
		m.Exceptions = []model.Exception{ex(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))}
		if res := check(t, m, Options{}); len(res.Excepted) != 1 {
			t.Errorf("exception expiring today did not apply: %v", firing(res))
		}
	})
	t.Run("expired does not suppress and says so", func(t *testing.T) {
		m := base()
		m.Exceptions = []model.Exception{ex(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}
		res := check(t, m, Options{})
		if len(res.Excepted) != 0 || !slices.Contains(firing(res)["RL-APP-002"], "web") {
			t.Errorf("expired exception suppressed: %v", firing(res))
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "expired on 2026-11-01") {
			t.Errorf("warnings: %q", res.Warnings)
		}
	})
	t.Run("red line cannot be excepted", func(t *testing.T) {
		m := base()
		m.Exceptions = []model.Exception{ex(future)}
		res := check(t, m, Options{Rules: redLineAPP002()})
		got := firing(res)
		if len(res.Excepted) != 0 || !slices.Contains(got["RL-APP-002"], "web") || len(got["RL-MOD-010"]) != 1 {
			t.Errorf("red line excepted: %v", got)
		}
		if len(res.RedLines) != 1 {
			t.Errorf("red lines: %v", res.RedLines)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "cannot be excepted") {
			t.Errorf("warnings: %q", res.Warnings)
		}
	})
	t.Run("stale exception reported", func(t *testing.T) {
		m := cleanModel()
		m.Exceptions = []model.Exception{
			{Rule: "RL-NOPE-001", Element: "web", Owner: "o", Expires: future},
			{Rule: "RL-APP-002", Element: "ghost", Owner: "o", Expires: future},
		}
		res := check(t, m, Options{})
		var msgs []string
		for _, f := range res.Findings {
			msgs = append(msgs, f.Description)
		}
		if len(msgs) != 2 || !strings.Contains(msgs[0]+msgs[1], "does not run") || !strings.Contains(msgs[0]+msgs[1], "does not have") {
			t.Errorf("stale exceptions: %q", msgs)
		}
	})
}

func TestCheckDeterministic(t *testing.T) {
	m := cleanModel()
	m.Tenancy.Isolation.Quotas = model.QuotasNone
	comp(m, "web").Controls = model.Controls{}
	a := check(t, m, Options{})
	b := check(t, m, Options{})
	if !reflect.DeepEqual(a.Findings, b.Findings) {
		t.Error("two checks of one model differ")
	}
	if len(a.Findings) < 5 {
		t.Errorf("expected many findings, got %d", len(a.Findings))
	}
}

func TestCheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Check(ctx, cleanModel(), Options{}); err == nil {
		t.Error("cancelled check returned no error")
	}
	if _, err := Check(context.Background(), nil, Options{}); err == nil {
		t.Error("nil model: want error")
	}
}
