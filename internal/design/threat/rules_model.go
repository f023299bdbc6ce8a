package threat

import (
	"fmt"

	"github.com/redline-sec/redline/internal/design/model"
)

func modelRules() []Rule {
	return []Rule{
		def("RL-MOD-001", "Workload without a runtime", LayerModel, InformationDisclosure, 1008,
			Likely, ImpactLow, "incomplete-model",
			"Without the runtime a workload runs on, the virtualization and host layers cannot be assessed at all: sandboxing, co-location and host controls stay unknown.",
			"Declare the runtime (cluster, namespace, VM, serverless, managed service) the component runs on.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && c.Runtime == "" {
						emit(c.ID, fmt.Sprintf("%s declares no runtime", c.ID))
					}
				})
			}),
		def("RL-MOD-002", "Runtime without a declared sandbox", LayerModel, InformationDisclosure, 1008,
			Likely, ImpactLow, "incomplete-model",
			"Whether a container runtime sandboxes workloads decides how far an escape reaches; an unknown value cannot be reviewed.",
			"Declare the runtime's sandbox: none, gvisor, kata, firecracker or vm.",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Runtimes {
					r := &x.m.Runtimes[i]
					if isContainerRuntime(r) && r.Sandbox == "" {
						emit(r.ID, fmt.Sprintf("runtime %s does not say whether it sandboxes workloads", r.ID))
					}
				}
			}),
		def("RL-MOD-003", "Interface carries no data", LayerModel, ElevationOfPrivilege, 1008,
			Unlikely, ImpactLow, "unnecessary-communication-link",
			"An interface that carries no modelled data is either unnecessary (and an attack path to remove) or under-modelled, which hides risks the data would reveal.",
			"Name the data assets the interface sends and receives, or remove the interface.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, _, _ *modelComponent) {
					if len(f.Sends) == 0 && len(f.Receives) == 0 {
						emit(f.ID, fmt.Sprintf("%s sends and receives no modelled data", f.ID))
					}
				})
			}),
		def("RL-MOD-004", "Component handles no data", LayerModel, ElevationOfPrivilege, 1008,
			Unlikely, ImpactLow, "unnecessary-technical-asset",
			"A workload that processes, stores and transfers no modelled data is either unnecessary or under-modelled; its risks cannot be rated without knowing what it handles.",
			"Declare what the component processes and stores, and what its interfaces carry.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && x.g.Facts(c.ID).Max == "" && len(c.Processes) == 0 && len(c.Stores) == 0 {
						emit(c.ID, fmt.Sprintf("%s handles no modelled data", c.ID))
					}
				})
			}),
		def("RL-MOD-005", "Vault used but not modelled", LayerModel, InformationDisclosure, 522,
			Likely, ImpactLow, "missing-vault",
			"Components say they take their secrets from a vault, but no vault is in the model: its isolation, access paths and audit logging cannot be reviewed.",
			"Model the vault (type vault) in its zone, with the interfaces that read secrets from it.",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Components {
					if x.m.Components[i].Type == model.TypeVault {
						return
					}
				}
				x.eachComponent(func(c *modelComponent) {
					if c.Secrets == model.SecretsVault {
						emit(model.ModelElement, fmt.Sprintf("%s reads secrets from a vault, but the model has none", c.ID))
					}
				})
			}),
		def("RL-MOD-006", "Identity provider used but not modelled", LayerModel, Spoofing, 287,
			Likely, ImpactMedium, "missing-identity-store",
			"People authenticate with tokens or single sign-on, but no identity provider is in the model: where identities live, how they are protected and isolated is not reviewed.",
			"Model the identity provider (type idp) and the interfaces that use it.",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Components {
					if x.m.Components[i].Type == model.TypeIdP {
						return
					}
				}
				x.eachInterface(func(f *modelInterface, from, _ *modelComponent) {
					if from.HumanUser && (f.Authentication == model.AuthnSSO || f.Authentication == model.AuthnToken) {
						emit(model.ModelElement, fmt.Sprintf("%s authenticates people with %s, but the model has no identity provider", f.ID, f.Authentication))
					}
				})
			}),
		def("RL-MOD-007", "Custom code without a modelled build pipeline", LayerModel, Tampering, 1127,
			Unlikely, ImpactMedium, "missing-build-infrastructure",
			"Custom code reaches production through repositories, CI and registries; when none are modelled, the supply-chain attack surface (backdoored builds, unchecked deployments) is not reviewed.",
			"Model the source repository, CI pipeline and image registry, and their interfaces to the runtimes.",
			func(x *evalCtx, emit func(string, string)) {
				custom := ""
				for i := range x.m.Components {
					c := &x.m.Components[i]
					switch c.Type {
					case model.TypeCI, model.TypeSourceRepo, model.TypeRegistry:
						return
					}
					if c.CustomCode && !c.OutOfScope && custom == "" {
						custom = c.ID
					}
				}
				if custom != "" {
					emit(model.ModelElement, fmt.Sprintf("%s has custom code, but no source repository, CI or registry is modelled", custom))
				}
			}),
		def("RL-MOD-008", "Workload exposure not declared", LayerModel, InformationDisclosure, 1008,
			Likely, ImpactLow, "incomplete-model",
			"Whether a workload is public, partner-facing, internal or private drives the gateway and network rules; left out, exposure is guessed from interfaces only.",
			"Declare exposure: public, partner, internal or private.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && c.Exposure == "" {
						emit(c.ID, fmt.Sprintf("%s declares no exposure", c.ID))
					}
				})
			}),
		def("RL-MOD-011", "Interface contradicts itself", LayerModel, InformationDisclosure, 1008,
			Likely, ImpactLow, "wrong-communication-link-content",
			"A read-only interface that sends data, or a database protocol to a component that is no datastore, means the model is wrong about the interface; every rule reading it is misled.",
			"Correct the interface: its direction, readOnly, protocol or the callee's type.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, _, to *modelComponent) {
					if f.ReadOnly && len(f.Sends) > 0 {
						emit(f.ID, fmt.Sprintf("%s is read-only but sends %v", f.ID, f.Sends))
						return
					}
					if (f.Protocol == model.ProtocolSQL || f.Protocol == model.ProtocolNoSQL) && !isStore(to) && to.Type != model.TypeExternal {
						emit(f.ID, fmt.Sprintf("%s speaks %s to %s, which is a %s, not a datastore", f.ID, f.Protocol, f.To, to.Type))
					}
				})
			}),
		def(ruleUnusedException, "Exception matches no risk", LayerModel, Repudiation, 1008,
			Likely, ImpactLow, "",
			"An exception that names a rule the standard does not run, an element the model does not have, or a risk that no longer fires is stale: it hides nothing today and may hide the wrong thing tomorrow.",
			"Remove the exception, or correct its rule id and element.",
			nil),
		def(ruleRedLineException, "Exception on a red-line rule", LayerModel, Repudiation, 1008,
			VeryLikely, ImpactMedium, "",
			"Red-line rules block approval and cannot be excepted; an exception on one is refused, and its presence means someone tried to waive a red line.",
			"Remove the exception and fix the risk; red lines are changed only by a new version of the standard.",
			nil),
	}
}
