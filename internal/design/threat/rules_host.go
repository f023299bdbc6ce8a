package threat

import (
	"fmt"

	"github.com/redline-sec/redline/internal/design/model"
)

// hostOwned reports whether the product runs the hosts of a component.
func (x *evalCtx) hostOwned(c *model.Component) bool {
	return isWorkload(c) && ownsHost(x.runtimeOf(c))
}

func hostRules() []Rule {
	return []Rule{
		def("RL-HOST-001", "No host intrusion detection on an exposed or sensitive workload", LayerHost, Tampering, 778,
			Likely, ImpactMedium, "",
			"Without EDR or runtime monitoring on the hosts of internet-reachable or sensitive workloads, a compromise runs undetected for as long as the attacker likes.",
			"Deploy EDR/HIDS or eBPF runtime monitoring (e.g. redline agent) on those hosts and declare controls.host.edr or runtimeMonitoring.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !x.hostOwned(c) {
						return
					}
					h := c.Controls.Host
					if h.EDR || (h.RuntimeMonitoring != "" && h.RuntimeMonitoring != model.MonitoringNone) {
						return
					}
					if x.g.ReachableFromInternet(c.ID) || x.maxRank(c) >= rankOf(model.Confidential) {
						emit(c.ID, fmt.Sprintf("%s has neither EDR nor runtime monitoring", c.ID))
					}
				})
			}),
		def("RL-HOST-002", "No hardening baseline on self-managed hosts", LayerHost, Tampering, 16,
			Likely, ImpactMedium, "missing-hardening",
			"Default operating system installations ship services, accounts and settings an attacker uses for persistence and lateral movement.",
			"Apply a hardening baseline (CIS level 1 or a vendor image) to VMs and nodes and declare it (controls.host.hardening or the runtime's nodeHardening).",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !x.hostOwned(c) {
						return
					}
					if h := c.Controls.Host.Hardening; h != "" && h != model.HardeningNone {
						return
					}
					for _, r := range x.g.RuntimeChain(c.ID) {
						if r.Controls.NodeHardening {
							return
						}
					}
					emit(c.ID, fmt.Sprintf("%s runs on %s hosts with no hardening baseline", c.ID, x.runtimeOf(c).Kind))
				})
			}),
		def("RL-HOST-003", "Patch SLA missing or longer than the standard allows", LayerHost, ElevationOfPrivilege, 1104,
			Likely, ImpactMedium, "",
			"Known vulnerabilities are exploited within days of disclosure; hosts without a committed patch window stay exploitable for months.",
			"Commit to a patch SLA within the standard's limit and declare controls.host.patchSlaDays.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !x.hostOwned(c) {
						return
					}
					d := c.Controls.Host.PatchSLADays
					switch {
					case d == 0:
						emit(c.ID, fmt.Sprintf("%s declares no patch SLA (the standard allows at most %d days)", c.ID, x.params.MaxPatchSLADays))
					case d > x.params.MaxPatchSLADays:
						emit(c.ID, fmt.Sprintf("%s patches within %d days; the standard allows at most %d", c.ID, d, x.params.MaxPatchSLADays))
					}
				})
			}),
		def("RL-HOST-004", "Sensitive data stored unencrypted", LayerHost, InformationDisclosure, 311,
			Likely, ImpactHigh, "unencrypted-asset",
			"Confidential data at rest without encryption is exposed by every lost disk, snapshot, backup copy and mis-shared bucket.",
			"Encrypt at rest (platform encryption at least; customer-managed keys for restricted data) and declare encryptionAtRest.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					st := x.g.Facts(c.ID).Stored
					if st.Rank() >= rankOf(model.Confidential) && (c.EncryptionAtRest == "" || c.EncryptionAtRest == model.EncryptionNone) {
						emit(c.ID, fmt.Sprintf("%s stores %s data without encryption at rest", c.ID, st))
					}
				})
			}),
		def("RL-HOST-005", "Logs not shipped to central storage", LayerHost, Repudiation, 778,
			Likely, ImpactLow, "",
			"Logs kept only on the workload are lost when it is replaced and altered by whoever compromises it, just when they are needed.",
			"Ship logs to central, append-only storage outside the workload's control and declare logging.central.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && !c.Logging.Central && c.Type != model.TypeLogging && c.Type != model.TypeMonitoring {
						emit(c.ID, fmt.Sprintf("%s does not ship its logs centrally", c.ID))
					}
				})
			}),
		def("RL-HOST-006", "Secret data encrypted only with platform keys", LayerHost, InformationDisclosure, 311,
			Unlikely, ImpactHigh, "unencrypted-asset",
			"Platform-managed encryption protects against lost disks but not against the provider's operators or a compromised cloud account; secret data needs keys the owner controls.",
			"Encrypt secret-class data with customer-managed keys (cmk) or per-tenant keys.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if x.g.Facts(c.ID).Stored == model.Secret && c.EncryptionAtRest == model.EncryptionPlatform {
						emit(c.ID, fmt.Sprintf("%s stores secret data with platform-managed keys only", c.ID))
					}
				})
			}),
	}
}
