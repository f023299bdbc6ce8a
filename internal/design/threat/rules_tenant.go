package threat

import (
	"fmt"

	"github.com/redline-sec/redline/internal/design/model"
)

func tenantRules() []Rule {
	return []Rule{
		def("RL-TEN-001", "Shared datastore without tenant separation", LayerTenant, InformationDisclosure, 653,
			VeryLikely, ImpactVeryHigh, "",
			"Tenant-scoped records in one shared store with no database, schema or row-level separation are kept apart only by every query remembering a WHERE clause; one forgotten filter leaks every tenant's data.",
			"Separate tenants' data by database, schema or enforced row-level security, and set tenancy.isolation.data accordingly.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				iso := x.m.Tenancy.Isolation.Data
				if iso != "" && iso != model.DataShared {
					return
				}
				x.eachComponent(func(c *modelComponent) {
					if !isStore(c) || c.Tenancy == model.Dedicated {
						return
					}
					for _, id := range c.Stores {
						if d := x.g.Data(id); d != nil && d.TenantScoped {
							emit(c.ID, fmt.Sprintf("%s stores tenant-scoped %s with data isolation %q", c.ID, id, cmpOr(string(iso), "unset")))
							return
						}
					}
				})
			}),
		def("RL-TEN-002", "Tenant context not propagated", LayerTenant, ElevationOfPrivilege, 639,
			Likely, ImpactHigh, "",
			"A shared service that receives tenant data without an unforgeable tenant context must trust whatever tenant id the request names, so one tenant can act on another's data.",
			"Carry the tenant in a signed token claim or the mTLS identity on every hop (propagation.tenant: true) and check it in the service.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				x.eachInterface(func(f *modelInterface, _, to *modelComponent) {
					if f.Propagation.Tenant || to.Tenancy == model.Dedicated || !isWorkload(to) || !x.tenantData(f) {
						return
					}
					emit(f.ID, fmt.Sprintf("%s carries tenant-scoped data into shared %s without tenant context", f.ID, f.To))
				})
			}),
		def("RL-TEN-003", "Tenant id taken from client-controlled input", LayerTenant, Spoofing, 639,
			Likely, ImpactHigh, "",
			"A tenant id read from a header or URL path is whatever the client sends: changing one value switches tenants.",
			"Derive the tenant from the authenticated identity (token claim, mTLS identity, session) and ignore client-supplied tenant ids.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				if s := x.m.Tenancy.TenantIDSource; s == model.TenantFromHeader || s == model.TenantFromPath {
					emit(model.ModelElement, fmt.Sprintf("services learn the tenant from the request %s", s))
				}
			}),
		def("RL-TEN-004", "Shared keys for restricted tenant data", LayerTenant, InformationDisclosure, 320,
			Unlikely, ImpactHigh, "",
			"When every tenant's restricted data is encrypted with the same key, one key compromise or one mis-scoped decrypt permission exposes them all, and no tenant can revoke access to its own data.",
			"Encrypt restricted tenant data with per-tenant keys (envelope encryption with a key per tenant) and set tenancy.isolation.keys: per-tenant.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() || x.m.Tenancy.Isolation.Keys == model.KeysPerTenant {
					return
				}
				for i := range x.m.Data {
					d := &x.m.Data[i]
					if d.TenantScoped && d.Classification.Rank() >= rankOf(model.Restricted) {
						emit(d.ID, fmt.Sprintf("tenant-scoped %s data %s is not encrypted with per-tenant keys", d.Classification, d.ID))
					}
				}
			}),
		def("RL-TEN-005", "Tenant data flows into a shared sink without tenant checks", LayerTenant, InformationDisclosure, 200,
			Likely, ImpactMedium, "",
			"Caches, search indexes, logs and monitoring that mix tenants' data and answer reads without checking ownership leak one tenant's data into another's queries and dashboards.",
			"Partition shared sinks by tenant (key prefixes, index per tenant, tenant field enforced on read) and declare authzChecks on the sink.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				x.eachInterface(func(f *modelInterface, _, to *modelComponent) {
					switch to.Type {
					case model.TypeCache, model.TypeSearch, model.TypeLogging, model.TypeMonitoring:
					default:
						return
					}
					if to.Tenancy == model.Dedicated || to.Controls.Application.AuthzChecks || !x.tenantData(f) {
						return
					}
					emit(to.ID, fmt.Sprintf("tenant-scoped data reaches shared %s %s over %s without tenant checks", to.Type, to.ID, f.ID))
				})
			}),
		def("RL-TEN-006", "No per-tenant resource quotas", LayerTenant, DenialOfService, 770,
			Likely, ImpactMedium, "",
			"Without per-tenant quotas a single tenant can consume the shared compute, storage and connection pools and degrade service for the others.",
			"Enforce quotas per tenant (requests, storage, jobs, connections) and set tenancy.isolation.quotas: per-tenant.",
			func(x *evalCtx, emit func(string, string)) {
				if x.multiTenant() && x.m.Tenancy.Isolation.Quotas != model.QuotasPerTenant {
					emit(model.ModelElement, fmt.Sprintf("tenant quotas are %q", cmpOr(string(x.m.Tenancy.Isolation.Quotas), "unset")))
				}
			}),
		def("RL-TEN-007", "Tenant code on a shared kernel", LayerTenant, ElevationOfPrivilege, 653,
			VeryLikely, ImpactVeryHigh, "",
			"Tenant-supplied code in containers that share a kernel (or a process) with other tenants is one escape away from every other tenant's workloads and data.",
			"Isolate tenant code in sandboxes (gVisor, Kata, Firecracker) or dedicated VMs and set tenancy.isolation.compute: sandboxed or dedicated.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				switch x.m.Tenancy.Isolation.Compute {
				case model.ComputeSandboxed, model.ComputeDedicated:
					return
				}
				x.eachComponent(func(c *modelComponent) {
					if c.RunsUntrustedCode && c.Tenancy != model.Dedicated {
						emit(c.ID, fmt.Sprintf("%s runs tenant code with compute isolation %q", c.ID, cmpOr(string(x.m.Tenancy.Isolation.Compute), "unset")))
					}
				})
			}),
		def("RL-TEN-008", "Shared service without object-level tenant checks", LayerTenant, ElevationOfPrivilege, 639,
			Likely, ImpactVeryHigh, "",
			"A service that serves all tenants from one instance must check on every request that the object belongs to the caller's tenant; without that check, guessing an id crosses tenants (BOLA/IDOR).",
			"Check tenant ownership of every object in the service (or enforce it in the data layer) and declare controls.application.authzChecks.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				x.eachComponent(func(c *modelComponent) {
					if isApp(c) && c.Tenancy != model.Dedicated && !c.Controls.Application.AuthzChecks && x.g.Facts(c.ID).TenantScoped {
						emit(c.ID, fmt.Sprintf("shared %s handles tenant-scoped data without object-level tenant checks", c.ID))
					}
				})
			}),
		def("RL-TEN-009", "Tenant code on a network shared between tenants", LayerTenant, ElevationOfPrivilege, 653,
			Likely, ImpactHigh, "",
			"When tenants' code runs on one flat network, a tenant's workload can scan and attack the others' services directly.",
			"Give tenants separate VPCs or security groups, or enforce per-tenant namespace network policies, and set tenancy.isolation.network.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				if n := x.m.Tenancy.Isolation.Network; n != "" && n != model.NetworkShared {
					return
				}
				x.eachComponent(func(c *modelComponent) {
					if c.RunsUntrustedCode {
						emit(c.ID, fmt.Sprintf("%s runs tenant code and tenants share the network", c.ID))
					}
				})
			}),
	}
}
