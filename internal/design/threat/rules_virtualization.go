package threat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/design/model"
)

func virtualizationRules() []Rule {
	return []Rule{
		def("RL-VIRT-001", "Untrusted code runs without a sandbox", LayerVirtualization, ElevationOfPrivilege, 653,
			Likely, ImpactVeryHigh, "container-platform-escape",
			"Code supplied by tenants or users (plugins, scripts, builds) that runs in an ordinary container shares the host kernel with everything else on the node: one kernel exploit or misconfiguration and it escapes to the node and to its neighbours.",
			"Run untrusted code in a sandboxed runtime (gVisor, Kata Containers, Firecracker microVMs, or one VM per tenant) and set the runtime's sandbox in the model.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !c.RunsUntrustedCode {
						return
					}
					r := x.runtimeOf(c)
					if r == nil {
						emit(c.ID, fmt.Sprintf("%s runs untrusted code and no runtime (so no sandbox) is declared", c.ID))
						return
					}
					if r.Sandbox == "" || r.Sandbox == model.SandboxNone {
						emit(c.ID, fmt.Sprintf("%s runs untrusted code on runtime %s without a sandbox", c.ID, r.ID))
					}
				})
			}),
		def("RL-VIRT-002", "Privileged or host-namespace workload", LayerVirtualization, ElevationOfPrivilege, 250,
			Likely, ImpactHigh, "container-platform-escape",
			"A privileged container or one sharing the host's network, PID or IPC namespace has the node's powers: a compromise of the workload is a compromise of the node and of every workload on it.",
			"Drop privileged mode and host namespaces; grant the few capabilities the workload needs. Platform agents that need host access are marked platform: true and run on dedicated nodes.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					v := c.Controls.Virtualization
					if c.Platform || !(v.Privileged || v.HostNamespaces) {
						return
					}
					what := "privileged"
					if !v.Privileged {
						what = "in host namespaces"
					}
					emit(c.ID, fmt.Sprintf("%s runs %s and is not a platform component", c.ID, what))
				})
			}),
		def("RL-VIRT-003", "Mixed trust levels on a shared runtime", LayerVirtualization, ElevationOfPrivilege, 653,
			Likely, ImpactMedium, "mixed-targets-on-shared-runtime",
			"When internet-facing workloads and workloads of a more trusted zone share a runtime, an escape from the exposed one lands next to the trusted one, bypassing every network boundary the model draws between them.",
			"Give each trust level its own runtime or dedicated node pool (taints and tolerations, separate clusters), or mark the runtime dedicated when only one trust level runs there.",
			func(x *evalCtx, emit func(string, string)) {
				for _, cl := range x.g.CoLocations() {
					if cl.Runtime.Sharing != model.Shared {
						continue
					}
					kinds := map[model.ZoneKind]bool{}
					for _, c := range cl.Components {
						if isWorkload(c) {
							kinds[x.zoneKindOf(c)] = true
						}
					}
					if len(kinds) < 2 {
						continue
					}
					names := make([]string, 0, len(kinds))
					for k := range kinds {
						names = append(names, string(k))
					}
					slices.Sort(names)
					emit(cl.Runtime.ID, fmt.Sprintf("shared runtime %s hosts workloads of zone kinds %s", cl.Runtime.ID, strings.Join(names, ", ")))
				}
			}),
		def("RL-VIRT-004", "Container runtime socket mounted", LayerVirtualization, ElevationOfPrivilege, 250,
			Likely, ImpactVeryHigh, "container-platform-escape",
			"Whoever can talk to the container runtime socket can start a privileged container on the node: mounting it into an application workload hands the node to anyone who compromises that workload.",
			"Do not mount the runtime socket into workloads; build images with a rootless builder (BuildKit rootless, kaniko) and keep socket access to platform components on dedicated nodes.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if c.Controls.Virtualization.RuntimeSocketMounted && !c.Platform {
						emit(c.ID, fmt.Sprintf("%s mounts the container runtime socket", c.ID))
					}
				})
			}),
		def("RL-VIRT-005", "Exposed container without baseline hardening", LayerVirtualization, Tampering, 693,
			Likely, ImpactMedium, "missing-hardening",
			"An internet-reachable container that runs as root, with a writable root filesystem or without a seccomp profile gives an attacker who gets code execution a much easier path to persistence and escape.",
			"Run as non-root with a read-only root filesystem and the runtime-default (or a stricter) seccomp profile.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isWorkload(c) || !isContainerRuntime(x.runtimeOf(c)) || !x.g.ReachableFromInternet(c.ID) {
						return
					}
					v := c.Controls.Virtualization
					var missing []string
					if !v.RunAsNonRoot {
						missing = append(missing, "runAsNonRoot")
					}
					if !v.ReadOnlyRootFS {
						missing = append(missing, "readOnlyRootFS")
					}
					if v.Seccomp == "" || v.Seccomp == model.SeccompUnconfined {
						missing = append(missing, "seccomp")
					}
					if len(missing) > 0 {
						emit(c.ID, fmt.Sprintf("%s is reachable from the internet and lacks %s", c.ID, strings.Join(missing, ", ")))
					}
				})
			}),
		def("RL-VIRT-006", "No resource limits on a shared runtime", LayerVirtualization, DenialOfService, 770,
			Likely, ImpactMedium, "",
			"A workload without CPU and memory limits on a shared runtime can starve its neighbours, by accident or on purpose.",
			"Set resource requests and limits on every workload (and a LimitRange per namespace) and declare resourceLimits: true.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isWorkload(c) || c.Controls.Virtualization.ResourceLimits {
						return
					}
					for _, r := range x.g.RuntimeChain(c.ID) {
						if r.Sharing == model.Shared && r.Kind != model.RuntimeManagedService && r.Kind != model.RuntimeServerless {
							emit(c.ID, fmt.Sprintf("%s has no resource limits on shared runtime %s", c.ID, r.ID))
							return
						}
					}
				})
			}),
		def("RL-VIRT-007", "Cluster control plane reachable from the internet", LayerVirtualization, ElevationOfPrivilege, 668,
			Likely, ImpactHigh, "missing-cloud-hardening",
			"A Kubernetes API server on a public endpoint is one stolen kubeconfig, token or authentication bug away from a full cluster compromise, and is scanned constantly.",
			"Use a private control-plane endpoint reached through a bastion, VPN or zero-trust proxy, and declare privateAPI: true.",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Runtimes {
					r := &x.m.Runtimes[i]
					if r.Kind == model.RuntimeKubernetesCluster && !r.Controls.PrivateAPI {
						emit(r.ID, fmt.Sprintf("cluster %s does not declare a private API endpoint", r.ID))
					}
				}
			}),
		def("RL-VIRT-008", "No admission control on a cluster", LayerVirtualization, Tampering, 693,
			Likely, ImpactMedium, "container-baseimage-backdooring",
			"Without admission control nothing stops a privileged pod, an unsigned image or a host mount from being deployed, whatever the model says about the workloads.",
			"Enforce Pod Security admission (restricted) and image signature verification (e.g. redline admission serve) and declare admissionPolicy: true.",
			func(x *evalCtx, emit func(string, string)) {
				for i := range x.m.Runtimes {
					r := &x.m.Runtimes[i]
					if r.Kind == model.RuntimeKubernetesCluster && !r.Controls.AdmissionPolicy {
						emit(r.ID, fmt.Sprintf("cluster %s has no admission policy", r.ID))
					}
				}
			}),
		def("RL-VIRT-009", "CI pushes deployments into the runtime", LayerVirtualization, Tampering, 1127,
			Unlikely, ImpactHigh, "push-instead-of-pull-deployment",
			"A CI system that pushes into production holds standing credentials to it: whoever compromises the pipeline, or a dependency running in it, controls production.",
			"Deploy by pull (a GitOps controller inside the runtime that verifies signed artifacts) so CI needs no production credentials.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if from.Type != model.TypeCI || !isWorkload(to) {
						return
					}
					switch to.Type {
					case model.TypeCI, model.TypeSourceRepo, model.TypeRegistry, model.TypeVault, model.TypeIdP, model.TypeLogging, model.TypeMonitoring:
						return
					}
					emit(f.ID, fmt.Sprintf("CI %s pushes into %s (%s)", f.From, f.To, to.Type))
				})
			}),
	}
}
