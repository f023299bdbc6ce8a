package threat

import (
	"fmt"

	"github.com/redline-sec/redline/internal/design/model"
)

// strongServiceAuthn reports whether an authentication method proves a
// workload's identity without a static secret.
func strongServiceAuthn(a model.Authentication) bool {
	switch a {
	case model.AuthnMTLS, model.AuthnWorkloadIdentity, model.AuthnCloudIAM, model.AuthnKerberos:
		return true
	}
	return false
}

func zeroTrustRules() []Rule {
	return []Rule{
		def("RL-ZT-001", "End-user identity not propagated to a sensitive service", LayerZeroTrust, ElevationOfPrivilege, 284,
			Likely, ImpactMedium, "missing-identity-propagation",
			"A backend that sees only the calling service's identity cannot authorize by the end user: any flaw in the front service lets one user act with the service's full rights.",
			"Propagate the end user's identity (a signed token or token exchange) to services that authorize on user data and set propagation.identity: end-user.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !isWorkload(from) || !isApp(to) || !to.CustomCode || f.Usage == model.UsageDevOps {
						return
					}
					if f.Propagation.Identity == model.IdentityEndUser || x.g.Facts(to.ID).Processed.Rank() < rankOf(model.Confidential) {
						return
					}
					emit(f.ID, fmt.Sprintf("%s calls %s, which processes %s data, without the end user's identity", f.From, f.To, x.g.Facts(to.ID).Processed))
				})
			}),
		def("RL-ZT-002", "Implicit trust in the internal network", LayerZeroTrust, Spoofing, 306,
			Likely, ImpactHigh, "missing-authentication",
			"An internal interface without authentication trusts anything that can reach it on the network: one compromised workload can call it as anyone.",
			"Authenticate every internal call (mTLS, workload identity, tokens); network location is not identity.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if x.external(f) || localProtocol(f.Protocol) || f.Anonymous || !isWorkload(to) || isEntry(to) {
						return
					}
					if f.Authentication == model.AuthnNone || f.Authentication == "" {
						emit(f.ID, fmt.Sprintf("%s calls %s with no authentication", f.From, f.To))
					}
				})
			}),
		def("RL-ZT-003", "Static credentials between services", LayerZeroTrust, Spoofing, 522,
			Likely, ImpactMedium, "",
			"Passwords and API keys between services are long-lived, copied into configuration and rarely rotated; whoever reads one impersonates the service indefinitely.",
			"Authenticate services with workload identity or mTLS certificates issued per workload (SPIFFE, cloud IAM) and declare workloadIdentity.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !isWorkload(from) || from.HumanUser || from.WorkloadIdentity != "" || x.external(f) {
						return
					}
					if f.Authentication == model.AuthnPassword || f.Authentication == model.AuthnAPIKey {
						emit(f.ID, fmt.Sprintf("%s authenticates to %s with a static %s", f.From, f.To, f.Authentication))
					}
				})
			}),
		def("RL-ZT-004", "Risk signal not propagated", LayerZeroTrust, ElevationOfPrivilege, 287,
			Unlikely, ImpactMedium, "",
			"Adaptive access decisions need the device and session risk of the person behind a request at every hop; services that never see it cannot step up or refuse risky sessions.",
			"Carry a risk signal (device posture, session risk score) in the request context and set propagation.risk: true.",
			func(x *evalCtx, emit func(string, string)) {
				if !x.params.RequireAdaptiveAuth {
					return
				}
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if from.HumanUser && !f.Propagation.Risk && isWorkload(to) {
						emit(f.ID, fmt.Sprintf("people's requests on %s carry no risk signal", f.ID))
					}
				})
			}),
		def("RL-ZT-005", "Identity provider not isolated", LayerZeroTrust, ElevationOfPrivilege, 653,
			Likely, ImpactMedium, "missing-identity-provider-isolation",
			"An identity provider sharing a zone with ordinary workloads can be reached and attacked from any of them; whoever controls it can log in as anyone.",
			"Put identity providers in their own zone (shared only with vaults, if at all) with default-deny ingress.",
			func(x *evalCtx, emit func(string, string)) { x.notIsolated(model.TypeIdP, emit) }),
		def("RL-ZT-007", "Vault not isolated", LayerZeroTrust, ElevationOfPrivilege, 653,
			Likely, ImpactMedium, "missing-vault-isolation",
			"A secret vault sharing a zone with ordinary workloads can be reached and attacked from any of them; its compromise hands out every secret it keeps.",
			"Put vaults in their own zone (shared only with identity providers, if at all) with default-deny ingress.",
			func(x *evalCtx, emit func(string, string)) { x.notIsolated(model.TypeVault, emit) }),
		def("RL-ZT-006", "Workload without an identity", LayerZeroTrust, Spoofing, 287,
			Unlikely, ImpactMedium, "",
			"A service with no workload identity cannot be authenticated by the services it calls except by network location or shared secrets.",
			"Give each workload an identity (SPIFFE id, cloud service account) and declare workloadIdentity.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isApp(c) || !c.CustomCode || c.WorkloadIdentity != "" {
						return
					}
					out := x.g.Outgoing(c.ID)
					if len(out) == 0 {
						return
					}
					for _, f := range out {
						if strongServiceAuthn(f.Authentication) {
							return
						}
					}
					emit(c.ID, fmt.Sprintf("%s calls other components but has no workload identity", c.ID))
				})
			}),
	}
}

// notIsolated reports components of the type that share a zone with
// anything but identity providers and vaults.
func (x *evalCtx) notIsolated(t model.ComponentType, emit func(string, string)) {
	x.eachComponent(func(c *modelComponent) {
		if c.Type != t {
			return
		}
		for _, o := range x.g.ZoneComponents(c.Zone) {
			if o.ID != c.ID && !o.OutOfScope && o.Type != model.TypeIdP && o.Type != model.TypeVault {
				emit(c.ID, fmt.Sprintf("%s (%s) shares zone %s with %s", c.ID, c.Type, c.Zone, o.ID))
				return
			}
		}
	})
}
