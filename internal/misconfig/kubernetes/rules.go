package kubernetes

import (
	"maps"
	"slices"

	"github.com/redline-sec/redline/internal/finding"
)

// KubernetesVersion is the Kubernetes release whose Pod Security Standards
// the PSS-* rules implement: the policy of the v1.35 Pod Security Admission
// controller (k8s.io/pod-security-admission v0.35.0), which is what
// `pod-security.kubernetes.io/enforce-version: latest` enforces on v1.35.
const KubernetesVersion = "v1.35"

// Rule ids. PSS-<level>-<control> follow the controls of the Pod Security
// Standards one to one; K8S-* are hardening checks beyond them.
const (
	RuleHostProcess         = "PSS-baseline-hostProcess"
	RuleHostNamespaces      = "PSS-baseline-hostNamespaces"
	RulePrivileged          = "PSS-baseline-privileged"
	RuleCapabilitiesBase    = "PSS-baseline-capabilities"
	RuleHostPathVolumes     = "PSS-baseline-hostPathVolumes"
	RuleHostPorts           = "PSS-baseline-hostPorts"
	RuleHostProbes          = "PSS-baseline-hostProbesAndLifecycle"
	RuleAppArmor            = "PSS-baseline-appArmor"
	RuleSELinux             = "PSS-baseline-seLinux"
	RuleProcMountBase       = "PSS-baseline-procMount"
	RuleSeccompBase         = "PSS-baseline-seccomp"
	RuleSysctls             = "PSS-baseline-sysctls"
	RuleVolumeTypes         = "PSS-restricted-volumeTypes"
	RulePrivilegeEscalation = "PSS-restricted-allowPrivilegeEscalation"
	RuleRunAsNonRoot        = "PSS-restricted-runAsNonRoot"
	RuleRunAsUser           = "PSS-restricted-runAsUser"
	RuleSeccompRestricted   = "PSS-restricted-seccomp"
	RuleCapabilitiesRestr   = "PSS-restricted-capabilities"
	RuleProcMountRestricted = "PSS-restricted-procMount"

	RuleLimits            = "K8S-resource-limits"
	RuleRequests          = "K8S-resource-requests"
	RuleAutomountToken    = "K8S-automount-service-account-token"
	RuleImageLatest       = "K8S-image-latest"
	RuleImageDigest       = "K8S-image-digest"
	RuleEnvSecret         = "K8S-env-literal-secret"
	RuleSensitiveHostPath = "K8S-sensitive-hostpath"
	RuleDefaultNamespace  = "K8S-default-namespace"
	RuleReadOnlyRootFS    = "K8S-readonly-root-filesystem"
	RuleProbes            = "K8S-probes"
	RuleServiceAdminPort  = "K8S-service-admin-port"
)

const (
	pssDoc      = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
	secCtxDoc   = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
	matrixKey   = "ms-k8s-matrix"
	matrixDoc   = "https://microsoft.github.io/Threat-Matrix-for-Kubernetes/"
	psaSource   = "https://github.com/kubernetes/pod-security-admission/tree/v0.35.0/policy"
	volumesDoc  = "https://kubernetes.io/docs/concepts/storage/volumes/"
	resourceDoc = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
)

func matrix(ids ...string) map[string][]string { return map[string][]string{matrixKey: ids} }

// catalogue is every rule of this package, keyed by id. Built once, never changed.
var catalogue = func() map[string]finding.Rule {
	m := map[string]finding.Rule{}
	for _, r := range ruleList() {
		r.Kind = finding.KindMisconfiguration
		m[r.ID] = r
	}
	return m
}()

// Rules returns the catalogue of Kubernetes checks, sorted by id.
func Rules() []finding.Rule {
	out := make([]finding.Rule, 0, len(catalogue))
	for _, r := range catalogue {
		out = append(out, cloneRule(r))
	}
	slices.SortFunc(out, func(a, b finding.Rule) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

func cloneRule(r finding.Rule) finding.Rule {
	r.References = slices.Clone(r.References)
	if r.Mappings != nil {
		m := maps.Clone(r.Mappings)
		for k, v := range m {
			m[k] = slices.Clone(v)
		}
		r.Mappings = m
	}
	return r
}

func ruleList() []finding.Rule {
	return []finding.Rule{
		// Pod Security Standards: baseline.
		{
			ID: RuleHostProcess, Title: "Windows HostProcess container", Severity: finding.SeverityHigh,
			Rationale: "A Windows HostProcess container runs directly on the node with privileged access to it. " +
				"Baseline forbids spec.securityContext.windowsOptions.hostProcess and the same field of every container, init container and ephemeral container being true.",
			Remediation: "Remove hostProcess or set it to false:\n  securityContext:\n    windowsOptions:\n      hostProcess: false",
			References:  []string{pssDoc + "#baseline", "https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/"},
			Mappings:    matrix("MS-TA9018"),
		},
		{
			ID: RuleHostNamespaces, Title: "Pod shares host namespaces", Severity: finding.SeverityHigh,
			Rationale: "hostNetwork, hostPID and hostIPC give the pod the node's network stack, process table or IPC objects, " +
				"breaking isolation from the node and every other pod on it. Baseline allows only false or unset.",
			Remediation: "Remove the fields or set them to false:\n  spec:\n    hostNetwork: false\n    hostPID: false\n    hostIPC: false",
			References:  []string{pssDoc + "#baseline"},
		},
		{
			ID: RulePrivileged, Title: "Privileged container", Severity: finding.SeverityCritical,
			Rationale: "A privileged container has every capability and all host devices; escaping to the node is trivial. " +
				"Baseline allows securityContext.privileged only false or unset, for every container, init container and ephemeral container.",
			Remediation: "Remove privileged or set it to false:\n  securityContext:\n    privileged: false",
			References:  []string{pssDoc + "#baseline", matrixDoc + "techniques/Privileged%20container/"},
			Mappings:    matrix("MS-TA9018"),
		},
		{
			ID: RuleCapabilitiesBase, Title: "Container adds a capability outside the baseline set", Severity: finding.SeverityHigh,
			Rationale: "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or NET_RAW widen the kernel attack surface and enable escapes. " +
				"Baseline allows securityContext.capabilities.add to hold only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.",
			Remediation: "Remove the capability from capabilities.add, for example:\n  securityContext:\n    capabilities:\n      add: [\"NET_BIND_SERVICE\"]",
			References:  []string{pssDoc + "#baseline", secCtxDoc + "#set-capabilities-for-a-container"},
		},
		{
			ID: RuleHostPathVolumes, Title: "hostPath volume", Severity: finding.SeverityHigh,
			Rationale: "A hostPath volume mounts a directory of the node into the pod; a writable one lets the pod change the node " +
				"(kubelet configuration, static pods, container runtime socket). Baseline forbids spec.volumes[*].hostPath.",
			Remediation: "Replace the hostPath volume with a volume type that does not reach the node, for example:\n  volumes:\n  - name: data\n    emptyDir: {}",
			References:  []string{pssDoc + "#baseline", volumesDoc + "#hostpath", matrixDoc + "techniques/Writable%20hostPath%20mount/"},
			Mappings:    matrix("MS-TA9013"),
		},
		{
			ID: RuleHostPorts, Title: "Container binds a host port", Severity: finding.SeverityMedium,
			Rationale: "hostPort opens the port on the node's own network interfaces, bypassing Services and network policies. " +
				"Baseline allows ports[*].hostPort only 0 or unset (the standard allows a known list, which the built-in admission controller does not support).",
			Remediation: "Remove hostPort and expose the port through a Service:\n  ports:\n  - containerPort: 8080",
			References:  []string{pssDoc + "#baseline", "https://kubernetes.io/docs/concepts/configuration/overview/#services"},
		},
		{
			ID: RuleHostProbes, Title: "Probe or lifecycle hook targets another host", Severity: finding.SeverityMedium,
			Rationale: "The kubelet makes HTTP and TCP probes and lifecycle hooks from the node; a host field lets a pod direct the kubelet's requests at any address the node can reach. " +
				"Since v1.34 baseline requires httpGet.host and tcpSocket.host of livenessProbe, readinessProbe, startupProbe, lifecycle.postStart and lifecycle.preStop to be unset or empty.",
			Remediation: "Remove the host field so the probe targets the pod's own IP:\n  livenessProbe:\n    httpGet:\n      path: /healthz\n      port: 8080",
			References:  []string{pssDoc + "#baseline", "https://github.com/kubernetes/enhancements/issues/4940"},
		},
		{
			ID: RuleAppArmor, Title: "AppArmor profile overridden or disabled", Severity: finding.SeverityMedium,
			Rationale: "The runtime's default AppArmor profile confines the container; Unconfined removes that. " +
				"Baseline allows appArmorProfile.type (pod and every container) to be unset, RuntimeDefault or Localhost, and the annotations container.apparmor.security.beta.kubernetes.io/* to be unset, runtime/default or localhost/*.",
			Remediation: "Use the runtime default profile:\n  securityContext:\n    appArmorProfile:\n      type: RuntimeDefault",
			References:  []string{pssDoc + "#baseline", "https://kubernetes.io/docs/tutorials/security/apparmor/"},
		},
		{
			ID: RuleSELinux, Title: "Custom SELinux options", Severity: finding.SeverityMedium,
			Rationale: "A custom SELinux type, user or role can grant a container the host's SELinux privileges. " +
				"Baseline allows seLinuxOptions.type to be unset, \"\", container_t, container_init_t, container_kvm_t or container_engine_t, and user and role to be unset or empty.",
			Remediation: "Remove the custom options, or use an allowed type only:\n  securityContext:\n    seLinuxOptions:\n      type: container_t",
			References:  []string{pssDoc + "#baseline", secCtxDoc + "#assign-selinux-labels-to-a-container"},
		},
		{
			ID: RuleProcMountBase, Title: "Unmasked /proc mount", Severity: finding.SeverityMedium,
			Rationale: "The default /proc mount masks and makes read-only the paths that leak host information or allow changing it; Unmasked removes that. " +
				"Baseline allows securityContext.procMount unset or Default; since v1.35 any value is allowed when the pod runs in a user namespace (hostUsers: false).",
			Remediation: "Remove procMount or set it to Default:\n  securityContext:\n    procMount: Default",
			References:  []string{pssDoc + "#baseline", secCtxDoc},
		},
		{
			ID: RuleSeccompBase, Title: "Seccomp disabled", Severity: finding.SeverityMedium,
			Rationale: "Seccomp filters the system calls a container can make; Unconfined turns the filter off. " +
				"Baseline allows seccompProfile.type (pod and every container) to be unset, RuntimeDefault or Localhost.",
			Remediation: "Use the runtime default profile:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault",
			References:  []string{pssDoc + "#baseline", "https://kubernetes.io/docs/tutorials/security/seccomp/"},
		},
		{
			ID: RuleSysctls, Title: "Unsafe sysctl", Severity: finding.SeverityMedium,
			Rationale: "Sysctls outside the namespaced, isolated safe set can change the node's kernel for every pod. " +
				"Baseline allows spec.securityContext.sysctls[*].name to be only kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem or net.ipv4.tcp_wmem.",
			Remediation: "Remove the sysctl from the pod, or set it on the node instead:\n  securityContext:\n    sysctls:\n    - name: net.ipv4.ip_local_port_range\n      value: \"32768 60999\"",
			References:  []string{pssDoc + "#baseline", "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/"},
		},
		// Pod Security Standards: restricted.
		{
			ID: RuleVolumeTypes, Title: "Volume type not allowed by the restricted policy", Severity: finding.SeverityMedium,
			Rationale: "Restricted allows only volume types that are either ephemeral or backed by a PersistentVolume a cluster administrator controls: " +
				"configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret.",
			Remediation: "Replace the volume with a persistentVolumeClaim (or another allowed type):\n  volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: data",
			References:  []string{pssDoc + "#restricted", volumesDoc},
		},
		{
			ID: RulePrivilegeEscalation, Title: "Privilege escalation allowed", Severity: finding.SeverityMedium,
			Rationale: "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent (setuid binaries, file capabilities). " +
				"Restricted requires securityContext.allowPrivilegeEscalation: false on every container, init container and ephemeral container (Windows pods exempt).",
			Remediation: "Set it on every container:\n  securityContext:\n    allowPrivilegeEscalation: false",
			References:  []string{pssDoc + "#restricted", secCtxDoc},
		},
		{
			ID: RuleRunAsNonRoot, Title: "Containers may run as root", Severity: finding.SeverityMedium,
			Rationale: "runAsNonRoot: true makes the kubelet refuse to start a container whose user is root. " +
				"Restricted requires it at pod level or on every container; no level may set it false. Since v1.35 pods with hostUsers: false are exempt.",
			Remediation: "Set it once for the pod:\n  spec:\n    securityContext:\n      runAsNonRoot: true",
			References:  []string{pssDoc + "#restricted", secCtxDoc},
		},
		{
			ID: RuleRunAsUser, Title: "Container runs as UID 0", Severity: finding.SeverityMedium,
			Rationale: "runAsUser: 0 runs the container as root. Restricted forbids runAsUser 0 at pod level and on every container. " +
				"Since v1.35 pods with hostUsers: false are exempt.",
			Remediation: "Run as a non-zero UID:\n  securityContext:\n    runAsUser: 10001",
			References:  []string{pssDoc + "#restricted", secCtxDoc},
		},
		{
			ID: RuleSeccompRestricted, Title: "Seccomp profile not set", Severity: finding.SeverityMedium,
			Rationale:   "Restricted requires seccompProfile.type RuntimeDefault or Localhost at pod level, or on every container when the pod level is unset (Windows pods exempt).",
			Remediation: "Set it once for the pod:\n  spec:\n    securityContext:\n      seccompProfile:\n        type: RuntimeDefault",
			References:  []string{pssDoc + "#restricted", "https://kubernetes.io/docs/tutorials/security/seccomp/"},
		},
		{
			ID: RuleCapabilitiesRestr, Title: "Capabilities not dropped", Severity: finding.SeverityMedium,
			Rationale: "Restricted requires every container to drop ALL capabilities and add back at most NET_BIND_SERVICE (Windows pods exempt). " +
				"The default set includes NET_RAW, which allows crafted packets such as ARP spoofing.",
			Remediation: "On every container:\n  securityContext:\n    capabilities:\n      drop: [\"ALL\"]\n      add: [\"NET_BIND_SERVICE\"]  # only if needed",
			References:  []string{pssDoc + "#restricted", secCtxDoc + "#set-capabilities-for-a-container", matrixDoc + "techniques/ARP%20poisoning%20and%20IP%20spoofing/"},
			Mappings:    matrix("MS-TA9036"),
		},
		{
			ID: RuleProcMountRestricted, Title: "Unmasked /proc mount (restricted)", Severity: finding.SeverityMedium,
			Rationale:   "Since v1.35 the restricted policy keeps forbidding procMount values other than Default even for pods in a user namespace, which baseline now allows.",
			Remediation: "Remove procMount or set it to Default:\n  securityContext:\n    procMount: Default",
			References:  []string{pssDoc + "#restricted", psaSource + "/check_procMount_restricted.go"},
		},
		// Hardening beyond the Pod Security Standards.
		{
			ID: RuleLimits, Title: "Container has no CPU or memory limit", Severity: finding.SeverityMedium,
			Rationale:   "Without limits one container can take all the CPU or memory of its node, starving other pods (denial of service, resource hijacking by a cryptominer).",
			Remediation: "Set limits on every container:\n  resources:\n    limits:\n      cpu: \"500m\"\n      memory: \"256Mi\"",
			References:  []string{resourceDoc, matrixDoc + "techniques/Denial%20of%20service/"},
			Mappings:    matrix("MS-TA9040"),
		},
		{
			ID: RuleRequests, Title: "Container has no CPU or memory request", Severity: finding.SeverityLow,
			Rationale:   "Without requests the scheduler cannot place the pod sensibly and the pod is the first to be evicted under pressure.",
			Remediation: "Set requests on every container:\n  resources:\n    requests:\n      cpu: \"100m\"\n      memory: \"128Mi\"",
			References:  []string{resourceDoc},
		},
		{
			ID: RuleAutomountToken, Title: "Service account token mounted automatically", Severity: finding.SeverityMedium,
			Rationale:   "Unless automountServiceAccountToken is false the pod gets a token for the Kubernetes API; an attacker in the container can use it with whatever RBAC the service account has.",
			Remediation: "If the pod does not call the Kubernetes API:\n  spec:\n    automountServiceAccountToken: false",
			References:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting", matrixDoc + "techniques/Container%20service%20account/"},
			Mappings:    matrix("MS-TA9016"),
		},
		{
			ID: RuleImageLatest, Title: "Image uses the latest tag or no tag", Severity: finding.SeverityMedium,
			Rationale:   "A :latest or untagged image can change under the same manifest: what runs is not what was reviewed and scanned, and rollbacks are not reproducible.",
			Remediation: "Pin a version tag, better a digest:\n  image: registry.example.com/app:1.4.2@sha256:<digest>",
			References:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-names", matrixDoc + "techniques/Compromised%20Image%20In%20Registry/"},
			Mappings:    matrix("MS-TA9002"),
		},
		{
			ID: RuleImageDigest, Title: "Image not pinned by digest", Severity: finding.SeverityLow,
			Rationale:   "A tag can be moved to another image; only a digest names exactly the image that was built and scanned.",
			Remediation: "Add the digest:\n  image: registry.example.com/app:1.4.2@sha256:<digest>",
			References:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-names", matrixDoc + "techniques/Compromised%20Image%20In%20Registry/"},
			Mappings:    matrix("MS-TA9002"),
		},
		{
			ID: RuleEnvSecret, Title: "Secret as a literal environment variable", Severity: finding.SeverityHigh,
			Rationale:   "A password, token or key written as env[*].value is stored in the manifest, in version control and in the object anyone with read access to the workload can see.",
			Remediation: "Reference a Secret instead of a literal:\n  env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password",
			References:  []string{"https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables", matrixDoc + "techniques/Application%20credentials%20in%20configuration%20files/"},
			Mappings:    matrix("MS-TA9027"),
		},
		{
			ID: RuleSensitiveHostPath, Title: "hostPath mounts a sensitive node path", Severity: finding.SeverityCritical,
			Rationale:   "Mounting /, /etc, /proc, /var/lib/kubelet or a container runtime socket (/var/run/docker.sock, containerd) hands the pod the node: it can read credentials, start privileged containers or rewrite the kubelet's configuration.",
			Remediation: "Remove the volume; if a node agent truly needs it, run it in a dedicated namespace with readOnly: true:\n  volumeMounts:\n  - name: host\n    mountPath: /host\n    readOnly: true",
			References:  []string{volumesDoc + "#hostpath", matrixDoc + "techniques/Writable%20hostPath%20mount/"},
			Mappings:    matrix("MS-TA9013"),
		},
		{
			ID: RuleDefaultNamespace, Title: "Object in the default namespace", Severity: finding.SeverityLow,
			Rationale:   "Objects without a namespace land in default (or whatever namespace the deployer happens to use), where policies, quotas and RBAC are usually weakest.",
			Remediation: "Name a dedicated namespace:\n  metadata:\n    namespace: my-app",
			References:  []string{"https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"},
		},
		{
			ID: RuleReadOnlyRootFS, Title: "Root filesystem is writable", Severity: finding.SeverityMedium,
			Rationale:   "A writable root filesystem lets an attacker drop tools and change binaries in the running container.",
			Remediation: "Make the root filesystem read-only and mount emptyDir where the application writes:\n  securityContext:\n    readOnlyRootFilesystem: true",
			References:  []string{secCtxDoc},
		},
		{
			ID: RuleProbes, Title: "Container has no liveness or readiness probe", Severity: finding.SeverityLow,
			Rationale:   "Without probes Kubernetes sends traffic to containers that are not ready and keeps hung ones running.",
			Remediation: "Add probes:\n  readinessProbe:\n    httpGet:\n      path: /ready\n      port: 8080\n  livenessProbe:\n    httpGet:\n      path: /healthz\n      port: 8080",
			References:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"},
		},
		{
			ID: RuleServiceAdminPort, Title: "Service exposes an administrative port outside the cluster", Severity: finding.SeverityHigh,
			Rationale: "A NodePort or LoadBalancer Service makes its ports reachable from outside the cluster. Ports of remote shells, container runtimes, the Kubernetes control plane, etcd and databases " +
				"(22 SSH, 2375/2376 Docker, 2379/2380 etcd, 3306 MySQL, 3389 RDP, 5432 PostgreSQL, 6379 Redis, 6443 kube-apiserver, 9200 Elasticsearch, 10250/10255 kubelet, 10256 kube-proxy, 10257 kube-controller-manager, 10259 kube-scheduler, 27017 MongoDB) should never be.",
			Remediation: "Use a ClusterIP Service, or restrict the sources:\n  spec:\n    type: ClusterIP\nor\n  spec:\n    type: LoadBalancer\n    loadBalancerSourceRanges: [\"10.0.0.0/8\"]",
			References: []string{
				"https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
				"https://docs.docker.com/engine/security/protect-access/",
				matrixDoc + "techniques/Exposed%20sensitive%20interfaces/",
			},
			Mappings: matrix("MS-TA9005"),
		},
	}
}
