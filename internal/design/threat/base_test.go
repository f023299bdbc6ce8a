package threat

import (
	"github.com/redline-sec/redline/internal/design/model"
)

// hardened are the container settings of a well-run workload.
var hardened = model.VirtualizationControls{RunAsNonRoot: true, ReadOnlyRootFS: true, Seccomp: model.SeccompRuntimeDefault, ResourceLimits: true}

// hostOK are the host controls of a well-run workload.
var hostOK = model.HostControls{Hardening: model.HardeningCISL1, PatchSLADays: 14, EDR: true}

var meshOK = model.NetworkControls{MTLS: model.MTLSStrict, ServiceMesh: true, NetworkPolicy: model.NetworkPolicyDefaultDeny, EgressRestricted: true}

// cleanModel returns a multi-tenant model that no built-in rule fires on:
// each rule's test changes one thing in it.
func cleanModel() *model.Model {
	deny := model.Egress{Default: model.EgressDeny}
	tls13 := model.TLS{Version: model.TLS13, Mutual: true}
	full := model.Propagation{Identity: model.IdentityEndUser, Tenant: true, Risk: true}
	logs := model.Logging{Audit: true, Central: true}
	return &model.Model{
		APIVersion: model.APIVersion, Kind: model.KindModel,
		Metadata: model.Metadata{Product: "shop", Release: "2026.11", Owner: "team-shop", Standard: "redline-baseline@2026H2"},
		Tenancy: model.Tenancy{Model: model.MultiTenant, TenantIDSource: model.TenantFromToken, Isolation: model.Isolation{
			Compute: model.ComputeSandboxed, Network: model.NetworkNamespacePolicy, Data: model.DataSchemaPerTenant,
			Keys: model.KeysPerTenant, Quotas: model.QuotasPerTenant}},
		Data: []model.DataAsset{
			{ID: "orders", Classification: model.Confidential, TenantScoped: true, Pos: model.Pos{File: "m.yaml", Line: 10}},
			{ID: "card", Classification: model.Restricted, TenantScoped: true, Residency: []string{"eu-west-1"}},
			{ID: "sessions", Classification: model.Confidential},
			{ID: "artifacts", Classification: model.Internal},
		},
		Zones: []model.Zone{
			{ID: "internet", Kind: model.ZoneInternet},
			{ID: "dmz", Kind: model.ZoneDMZ, DefaultDenyIngress: true, Egress: deny},
			{ID: "app", Kind: model.ZoneInternal, DefaultDenyIngress: true, Egress: deny},
			{ID: "data", Kind: model.ZoneRestricted, DefaultDenyIngress: true, Egress: deny},
			{ID: "sec", Kind: model.ZoneRestricted, DefaultDenyIngress: true, Egress: deny},
			{ID: "mgmt", Kind: model.ZoneManagement, DefaultDenyIngress: true, Egress: deny, Access: []model.ZoneAccess{model.AccessBastion}},
		},
		Runtimes: []model.Runtime{
			{ID: "k8s", Kind: model.RuntimeKubernetesCluster, Region: "eu-west-1", Sandbox: model.SandboxGVisor, Sharing: model.Dedicated,
				Controls: model.RuntimeControls{AdmissionPolicy: true, NodeHardening: true, NetworkPolicy: true, AuditLogging: true, PrivateAPI: true}},
			{ID: "rds", Kind: model.RuntimeManagedService, Region: "eu-west-1", Sharing: model.Dedicated},
			{ID: "saas", Kind: model.RuntimeManagedService, Region: "eu-west-1", Sharing: model.Dedicated},
		},
		Components: []model.Component{
			{ID: "user", Type: model.TypeClient, Zone: "internet", HumanUser: true},
			{ID: "edge", Type: model.TypeGateway, Zone: "dmz", Runtime: "k8s", Exposure: model.ExposurePublic, Tenancy: model.Shared,
				Secrets: model.SecretsWorkloadIdentity, WorkloadIdentity: "spiffe://shop/edge", Logging: logs,
				Controls: model.Controls{Virtualization: hardened, Host: hostOK,
					Network: model.NetworkControls{MTLS: model.MTLSStrict, ServiceMesh: true, DDoSProtection: true, EgressRestricted: true},
					Gateway: model.GatewayControls{WAF: true, RateLimit: model.RateLimit{Enabled: true, RPS: 500, PerTenant: true},
						Authentication: true, Authorization: model.AuthzScopedToken, SchemaValidation: true}},
				Pos: model.Pos{File: "m.yaml", Line: 40}},
			{ID: "web", Type: model.TypeWebApp, Zone: "app", Runtime: "k8s", Exposure: model.ExposureInternal, Tenancy: model.Shared,
				CustomCode: true, Processes: []string{"orders", "card"}, Accepts: []model.DataFormat{model.FormatJSON, model.FormatXML},
				Secrets: model.SecretsWorkloadIdentity, WorkloadIdentity: "spiffe://shop/web", Logging: logs,
				Controls: model.Controls{Virtualization: hardened, Host: hostOK, Network: meshOK,
					Application: model.ApplicationControls{InputValidation: true, OutputEncoding: true, CSRFProtection: true, RASP: true, AuthzChecks: true}}},
			{ID: "db", Type: model.TypeDatastore, Zone: "data", Runtime: "rds", Exposure: model.ExposurePrivate, Tenancy: model.Shared,
				Stores: []string{"orders", "card"}, EncryptionAtRest: model.EncryptionCMK, Secrets: model.SecretsKMS, Logging: logs},
			{ID: "idp", Type: model.TypeIdP, Zone: "sec", Runtime: "k8s", Exposure: model.ExposureInternal,
				Processes: []string{"sessions"}, Stores: []string{"sessions"}, EncryptionAtRest: model.EncryptionCMK,
				Secrets: model.SecretsKMS, WorkloadIdentity: "spiffe://shop/idp", Logging: logs,
				Controls: model.Controls{Virtualization: hardened, Host: hostOK, Network: meshOK}},
			{ID: "ci", Type: model.TypeCI, Zone: "mgmt", Runtime: "saas", Exposure: model.ExposurePrivate,
				Processes: []string{"artifacts"}, Secrets: model.SecretsWorkloadIdentity, WorkloadIdentity: "ci", Logging: logs},
			{ID: "registry", Type: model.TypeRegistry, Zone: "mgmt", Runtime: "saas", Exposure: model.ExposurePrivate,
				Stores: []string{"artifacts"}, EncryptionAtRest: model.EncryptionPlatform, Secrets: model.SecretsKMS, Logging: logs},
		},
		Interfaces: []model.Interface{
			{ID: "user-edge", From: "user", To: "edge", Protocol: model.ProtocolHTTPS, Port: 443, TLS: model.TLS{Version: model.TLS13},
				Authentication: model.AuthnToken, MFA: true, Authorization: model.AuthzScopedToken, Propagation: full,
				Sends: []string{"orders", "card"}, Receives: []string{"orders"}, Pos: model.Pos{File: "m.yaml", Line: 90}},
			{ID: "edge-web", From: "edge", To: "web", Protocol: model.ProtocolGRPC, TLS: tls13,
				Authentication: model.AuthnMTLS, Authorization: model.AuthzScopedToken, Propagation: full,
				Sends: []string{"orders", "card"}, Receives: []string{"orders"}},
			{ID: "web-db", From: "web", To: "db", Protocol: model.ProtocolSQL, TLS: model.TLS{Version: model.TLS12},
				Authentication: model.AuthnCloudIAM, Authorization: model.AuthzRBAC,
				Propagation: model.Propagation{Identity: model.IdentityService, Tenant: true},
				Sends:       []string{"orders", "card"}, Receives: []string{"orders"}},
			{ID: "edge-idp", From: "edge", To: "idp", Protocol: model.ProtocolHTTPS, TLS: tls13,
				Authentication: model.AuthnMTLS, Authorization: model.AuthzRBAC, Sends: []string{"sessions"}},
			{ID: "ci-registry", From: "ci", To: "registry", Protocol: model.ProtocolHTTPS, TLS: model.TLS{Version: model.TLS13},
				Authentication: model.AuthnWorkloadIdentity, Authorization: model.AuthzRBAC, Usage: model.UsageDevOps, Sends: []string{"artifacts"}},
		},
	}
}

// Helpers the mutations use.
func comp(m *model.Model, id string) *model.Component {
	for i := range m.Components {
		if m.Components[i].ID == id {
			return &m.Components[i]
		}
	}
	panic("no component " + id)
}

func iface(m *model.Model, id string) *model.Interface {
	for i := range m.Interfaces {
		if m.Interfaces[i].ID == id {
			return &m.Interfaces[i]
		}
	}
	panic("no interface " + id)
}

func zone(m *model.Model, id string) *model.Zone {
	for i := range m.Zones {
		if m.Zones[i].ID == id {
			return &m.Zones[i]
		}
	}
	panic("no zone " + id)
}

func runtime(m *model.Model, id string) *model.Runtime {
	for i := range m.Runtimes {
		if m.Runtimes[i].ID == id {
			return &m.Runtimes[i]
		}
	}
	panic("no runtime " + id)
}

func data(m *model.Model, id string) *model.DataAsset {
	for i := range m.Data {
		if m.Data[i].ID == id {
			return &m.Data[i]
		}
	}
	panic("no data " + id)
}
