package threat

import (
	"fmt"

	"github.com/redline-sec/redline/internal/design/model"
)

// localProtocol reports whether a protocol never leaves the host.
func localProtocol(p model.Protocol) bool {
	return p == model.ProtocolInProcess || p == model.ProtocolLocalFile
}

// adminProtocol reports whether a protocol administers hosts or platforms.
func adminProtocol(p model.Protocol) bool {
	return p == model.ProtocolSSH || p == model.ProtocolRDP || p == model.ProtocolKubernetesAPI
}

// denyIngress reports whether a zone, or a zone it lies in, denies
// ingress by default.
func (x *evalCtx) denyIngress(zoneID string) bool {
	for _, z := range x.g.ZoneAncestors(zoneID) {
		if z.DefaultDenyIngress {
			return true
		}
	}
	return false
}

// egressDefault returns a zone's egress default: its own, else that of the
// nearest zone it lies in that sets one; "" when none does.
func (x *evalCtx) egressDefault(zoneID string) model.EgressDefault {
	for _, z := range x.g.ZoneAncestors(zoneID) {
		if z.Egress.Default != "" {
			return z.Egress.Default
		}
	}
	return ""
}

func networkRules() []Rule {
	return []Rule{
		def("RL-NET-001", "Sensitive zone without default-deny ingress", LayerNetwork, ElevationOfPrivilege, 284,
			Likely, ImpactHigh, "missing-network-segmentation",
			"A zone that admits any traffic unless denied lets one compromised neighbour reach every datastore and sensitive service in it; segmentation only holds when ingress is allow-listed.",
			"Deny ingress by default (security groups, NACLs, Kubernetes NetworkPolicy) and allow only the interfaces the model declares; set defaultDenyIngress: true.",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Zones {
					z := &x.m.Zones[i]
					if z.Kind == model.ZoneInternet || x.denyIngress(z.ID) {
						continue
					}
					for _, c := range x.g.ZoneComponents(z.ID) {
						if c.OutOfScope {
							continue
						}
						if isStore(c) || x.maxRank(c) >= rankOf(model.Confidential) {
							emit(z.ID, fmt.Sprintf("zone %s holds %s (%s data) but does not deny ingress by default", z.ID, c.ID, x.g.MaxClassification(c.ID)))
							break
						}
					}
				}
			}),
		def("RL-NET-002", "Datastore reachable directly from the internet", LayerNetwork, InformationDisclosure, 668,
			VeryLikely, ImpactVeryHigh, "unguarded-access-from-internet",
			"A database, object store, cache, queue or search engine that internet clients can connect to directly is found by scanners within hours; one weak credential or unpatched bug exposes everything it stores.",
			"Put datastores in a private zone with no public address; reach them only from the services that own them.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isStore(c) {
						return
					}
					if c.Exposure == model.ExposurePublic || x.g.InInternetZone(c.ID) {
						emit(c.ID, fmt.Sprintf("datastore %s is itself exposed to the internet", c.ID))
						return
					}
					for _, f := range x.g.Incoming(c.ID) {
						if x.g.FromInternet(f) {
							emit(c.ID, fmt.Sprintf("datastore %s is called from the internet by %s over %s", c.ID, f.From, f.ID))
							return
						}
					}
				})
			}),
		def("RL-NET-003", "Cleartext traffic across zones", LayerNetwork, InformationDisclosure, 319,
			Likely, ImpactHigh, "unencrypted-communication",
			"Traffic that crosses a trust boundary unencrypted can be read and changed by anyone on the path between the zones: other tenants of the network, a compromised router, a cloud provider's misrouted mirror.",
			"Use TLS 1.2 or later (or mTLS) on every interface that crosses a zone boundary and declare tls.version.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if localProtocol(f.Protocol) || f.Encrypted() || !x.g.CrossesZones(f) {
						return
					}
					emit(f.ID, fmt.Sprintf("%s crosses from zone %s to %s without encryption", describeIface(f), from.Zone, to.Zone))
				})
			}),
		def("RL-NET-004", "Service mesh without strict mTLS", LayerNetwork, Spoofing, 290,
			Likely, ImpactMedium, "",
			"A mesh in permissive mode still accepts plaintext, unauthenticated connections: any workload in the network can call the service while pretending to be another one.",
			"Set the mesh's peer authentication to STRICT for the workload's namespace and declare controls.network.mtls: strict.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					n := c.Controls.Network
					if isWorkload(c) && n.ServiceMesh && n.MTLS != model.MTLSStrict {
						emit(c.ID, fmt.Sprintf("%s is in the service mesh with mtls %q", c.ID, cmpOr(string(n.MTLS), "unset")))
					}
				})
			}),
		def("RL-NET-005", "Unrestricted egress from a zone holding restricted data", LayerNetwork, InformationDisclosure, 200,
			Likely, ImpactHigh, "",
			"When workloads that handle restricted or secret data can open connections anywhere, an attacker who gets code execution exfiltrates the data in one request, and SSRF reaches any host.",
			"Deny egress by default for the zone and allow-list the destinations the model declares (egress.default: deny, egress.allow).",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Zones {
					z := &x.m.Zones[i]
					if z.Kind == model.ZoneInternet || x.egressDefault(z.ID) == model.EgressDeny {
						continue
					}
					for _, c := range x.g.ZoneComponents(z.ID) {
						if !c.OutOfScope && isWorkload(c) && !c.Controls.Network.EgressRestricted && x.maxRank(c) >= rankOf(model.Restricted) {
							emit(z.ID, fmt.Sprintf("zone %s allows any egress and %s handles %s data", z.ID, c.ID, x.g.MaxClassification(c.ID)))
							break
						}
					}
				}
			}),
		def("RL-NET-006", "High-value asset shares a zone with exposed components", LayerNetwork, ElevationOfPrivilege, 653,
			Likely, ImpactMedium, "missing-network-segmentation",
			"A datastore, identity provider or vault in the same zone as an internet- or partner-facing component is one lateral step from the first thing an attacker compromises.",
			"Move datastores, identity providers and vaults into their own restricted zone and reach them only through declared interfaces.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isStore(c) && c.Type != model.TypeIdP && c.Type != model.TypeVault {
						return
					}
					for _, o := range x.g.ZoneComponents(c.Zone) {
						if o.ID != c.ID && !o.OutOfScope && (o.Exposure == model.ExposurePublic || o.Exposure == model.ExposurePartner) {
							emit(c.ID, fmt.Sprintf("%s shares zone %s with %s-exposed %s", c.ID, c.Zone, o.Exposure, o.ID))
							return
						}
					}
				})
			}),
		def("RL-NET-007", "Management access outside a management path", LayerNetwork, ElevationOfPrivilege, 668,
			Likely, ImpactHigh, "",
			"SSH, RDP and Kubernetes API access from anywhere but a management zone, bastion or VPN exposes the most powerful interfaces in the system to the least controlled networks.",
			"Route administrative access through a bastion, VPN or zero-trust access proxy in a management zone, and model it so.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !adminProtocol(f.Protocol) || f.VPN || from.Type == model.TypeBastion || x.zoneKindOf(from) == model.ZoneManagement {
						return
					}
					emit(f.ID, fmt.Sprintf("%s reaches %s over %s from zone %s, not through a bastion, VPN or management zone", f.From, f.To, f.Protocol, from.Zone))
				})
			}),
		def("RL-NET-008", "Sensitive data in cleartext inside a zone", LayerNetwork, InformationDisclosure, 319,
			Unlikely, ImpactHigh, "unencrypted-communication",
			"Confidential data sent unencrypted inside a zone can be captured by any workload that gets a foothold on the same network segment.",
			"Encrypt in transit inside zones too (TLS or a mesh with mTLS) for interfaces carrying confidential data or above.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if localProtocol(f.Protocol) || f.Encrypted() || x.g.CrossesZones(f) || x.ifaceRank(f) < rankOf(model.Confidential) {
						return
					}
					if to.Controls.Network.ServiceMesh && to.Controls.Network.MTLS == model.MTLSStrict {
						return // the mesh encrypts
					}
					emit(f.ID, fmt.Sprintf("%s carries %s data unencrypted", describeIface(f), x.g.InterfaceClassification(f)))
				})
			}),
		def("RL-NET-009", "Outdated TLS version accepted", LayerNetwork, InformationDisclosure, 326,
			Likely, ImpactMedium, "",
			"TLS 1.0 and 1.1 are deprecated (RFC 8996): they lack modern cipher suites and allow downgrade attacks.",
			"Accept TLS 1.2 or 1.3 only.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, _, _ *modelComponent) {
					if f.TLS.Version == model.TLS10 || f.TLS.Version == model.TLS11 {
						emit(f.ID, fmt.Sprintf("%s accepts TLS %s", f.ID, f.TLS.Version))
					}
				})
			}),
		def("RL-NET-010", "Datastore accessed directly from an exposed zone", LayerNetwork, ElevationOfPrivilege, 501,
			Likely, ImpactHigh, "unguarded-direct-datastore-access",
			"A datastore holding confidential data that components in a partner or DMZ zone reach directly is one compromised edge component away from a full dump; the owning service's authorization is bypassed.",
			"Reach the datastore only from the internal service that owns it; keep edge and partner-facing components to APIs.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !isStore(to) || !x.g.CrossesZones(f) || x.g.FromInternet(f) || f.Usage == model.UsageDevOps {
						return
					}
					if k := x.zoneKindOf(from); k != model.ZonePartner && k != model.ZoneDMZ {
						return
					}
					if x.g.Facts(to.ID).Stored.Rank() < rankOf(model.Confidential) {
						return
					}
					emit(f.ID, fmt.Sprintf("%s in %s zone %s calls datastore %s in zone %s directly", f.From, x.zoneKindOf(from), from.Zone, f.To, to.Zone))
				})
			}),
		def("RL-NET-011", "Internet entry point without DDoS protection", LayerNetwork, DenialOfService, 400,
			Likely, ImpactMedium, "dos-risky-access-across-trust-boundary",
			"A component that internet clients call directly takes the full force of volumetric and application-layer floods; without upstream protection the product goes down with it.",
			"Front internet entry points with the provider's DDoS protection (or a CDN) and declare controls.network.ddosProtection: true.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isWorkload(c) || c.Controls.Network.DDoSProtection {
						return
					}
					for _, f := range x.g.Incoming(c.ID) {
						if x.g.FromInternet(f) {
							emit(c.ID, fmt.Sprintf("%s is called from the internet over %s without DDoS protection", c.ID, f.ID))
							return
						}
					}
				})
			}),
		def("RL-NET-012", "Build infrastructure reachable from the internet", LayerNetwork, Tampering, 912,
			Likely, ImpactVeryHigh, "code-backdooring",
			"Source repositories, CI systems and registries that internet clients reach without a VPN are where a stolen developer credential becomes a backdoor in every release.",
			"Put build infrastructure behind SSO with a second factor and a VPN or zero-trust proxy, and restrict who can push.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					switch c.Type {
					case model.TypeSourceRepo, model.TypeCI, model.TypeRegistry:
					default:
						return
					}
					if c.Exposure == model.ExposurePublic {
						emit(c.ID, fmt.Sprintf("%s %s is exposed to the public", c.Type, c.ID))
						return
					}
					for _, f := range x.g.Incoming(c.ID) {
						if x.g.FromInternet(f) && !f.VPN {
							emit(c.ID, fmt.Sprintf("%s %s is called from the internet over %s without a VPN", c.Type, c.ID, f.ID))
							return
						}
					}
				})
			}),
	}
}
