package kubernetes

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// podCase is a minimal pod built from flow-style YAML fragments, and
// whether rule must fire on it.
type podCase struct {
	name  string
	ann   string // metadata.annotations entries
	spec  string // extra pod spec entries
	podSC string // pod securityContext entries
	field string // containers (default), initContainers or ephemeralContainers
	ctrSC string // container securityContext entries
	ctr   string // extra container entries
	rule  string
	fail  bool
}

func (c podCase) yaml() string {
	field := c.field
	if field == "" {
		field = "containers"
	}
	ctr := flow("name: t", "image: x", "securityContext: {"+c.ctrSC+"}", c.ctr)
	// A regular container is always present, as the API requires; the
	// container under test is the one named "t".
	ctrs := "containers: [" + ctr + "]"
	if field != "containers" {
		ctrs = "containers: [{name: main, image: x}], " + field + ": [" + ctr + "]"
	}
	spec := flow(c.spec, "securityContext: {"+c.podSC+"}", ctrs)
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod, annotations: {%s}}\nspec: %s\n", c.ann, spec)
}

// flow joins the non-empty entries into a flow mapping.
func flow(entries ...string) string {
	entries = slices.DeleteFunc(entries, func(s string) bool { return s == "" })
	return "{" + strings.Join(entries, ", ") + "}"
}

func runCases(t *testing.T, cases []podCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			data := []byte(c.yaml())
			fs, err := analyze(walk.BytesFile("pod.yaml", data), data)
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			got := slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.RuleID == c.rule })
			if got != c.fail {
				t.Errorf("%s fired = %v, want %v\n%s", c.rule, got, c.fail, data)
			}
		})
	}
}

// allContainerKinds repeats a container-level case for every container kind.
func allContainerKinds(cases []podCase) []podCase {
	var out []podCase
	for _, c := range cases {
		for _, f := range containerFields {
			c2 := c
			c2.field, c2.name = f, f+"/"+c.name
			out = append(out, c2)
		}
	}
	return out
}

func TestBaselineHostProcess(t *testing.T) {
	cases := []podCase{
		{name: "pod true", podSC: "windowsOptions: {hostProcess: true}", fail: true},
		{name: "pod false", podSC: "windowsOptions: {hostProcess: false}"},
		{name: "pod unset", podSC: "windowsOptions: {}"},
	}
	cases = append(cases, allContainerKinds([]podCase{
		{name: "container true", ctrSC: "windowsOptions: {hostProcess: true}", fail: true},
		{name: "container false", ctrSC: "windowsOptions: {hostProcess: false}"},
		{name: "container unset", ctrSC: ""},
	})...)
	for i := range cases {
		cases[i].rule = RuleHostProcess
	}
	runCases(t, cases)
}

func TestBaselineHostNamespaces(t *testing.T) {
	var cases []podCase
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		cases = append(cases,
			podCase{name: f + " true", spec: f + ": true", fail: true},
			podCase{name: f + " yes (YAML 1.1)", spec: f + ": yes", fail: true},
			podCase{name: f + " false", spec: f + ": false"},
			podCase{name: f + " unset", spec: "x: 1"},
		)
	}
	for i := range cases {
		cases[i].rule = RuleHostNamespaces
	}
	runCases(t, cases)
}

func TestBaselinePrivileged(t *testing.T) {
	cases := allContainerKinds([]podCase{
		{name: "true", ctrSC: "privileged: true", fail: true},
		{name: "on (YAML 1.1)", ctrSC: "privileged: on", fail: true},
		{name: "false", ctrSC: "privileged: false"},
		{name: "unset", ctrSC: ""},
	})
	for i := range cases {
		cases[i].rule = RulePrivileged
	}
	runCases(t, cases)
}

func TestBaselineCapabilities(t *testing.T) {
	var cases []podCase
	for c := range baselineCapabilities {
		cases = append(cases, podCase{name: "add " + c, ctrSC: "capabilities: {add: [" + c + "]}"})
	}
	for _, c := range []string{"SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_MODULE", "BPF", "ALL", "chown"} {
		cases = append(cases, podCase{name: "add " + c, ctrSC: "capabilities: {add: [CHOWN, " + c + "]}", fail: true})
	}
	cases = append(cases, podCase{name: "unset", ctrSC: ""}, podCase{name: "drop only", ctrSC: "capabilities: {drop: [SYS_ADMIN]}"})
	cases = allContainerKinds(cases)
	for i := range cases {
		cases[i].rule = RuleCapabilitiesBase
	}
	slices.SortFunc(cases, func(a, b podCase) int { return cmpString(a.name, b.name) })
	runCases(t, cases)
}

func TestBaselineHostPath(t *testing.T) {
	runCases(t, []podCase{
		{rule: RuleHostPathVolumes, name: "hostPath", spec: "volumes: [{name: v, hostPath: {path: /data}}]", fail: true},
		{rule: RuleHostPathVolumes, name: "emptyDir", spec: "volumes: [{name: v, emptyDir: {}}]"},
		{rule: RuleHostPathVolumes, name: "no volumes", spec: "x: 1"},
	})
}

func TestBaselineHostPorts(t *testing.T) {
	cases := allContainerKinds([]podCase{
		{name: "0", ctr: "ports: [{containerPort: 80, hostPort: 0}]"},
		{name: "unset", ctr: "ports: [{containerPort: 80}]"},
		{name: "8080", ctr: "ports: [{containerPort: 80, hostPort: 8080}]", fail: true},
		{name: "1", ctr: "ports: [{containerPort: 80}, {containerPort: 81, hostPort: 1}]", fail: true},
	})
	for i := range cases {
		cases[i].rule = RuleHostPorts
	}
	runCases(t, cases)
}

func TestBaselineHostProbes(t *testing.T) {
	var cases []podCase
	for _, h := range []string{"livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"} {
		for _, a := range []string{"httpGet", "tcpSocket"} {
			wrap := func(inner string) string {
				if h[:9] == "lifecycle" {
					return fmt.Sprintf("lifecycle: {%s: {%s: {port: 80%s}}}", h[10:], a, inner)
				}
				return fmt.Sprintf("%s: {%s: {port: 80%s}}", h, a, inner)
			}
			cases = append(cases,
				podCase{name: h + "." + a + " host set", ctr: wrap(", host: 10.0.0.1"), fail: true},
				podCase{name: h + "." + a + " host localhost", ctr: wrap(", host: localhost"), fail: true},
				podCase{name: h + "." + a + " host empty", ctr: wrap(`, host: ""`)},
				podCase{name: h + "." + a + " host unset", ctr: wrap("")},
			)
		}
	}
	cases = allContainerKinds(cases)
	for i := range cases {
		cases[i].rule = RuleHostProbes
	}
	runCases(t, cases)
}

func TestBaselineAppArmor(t *testing.T) {
	const key = "container.apparmor.security.beta.kubernetes.io/t"
	cases := []podCase{
		{name: "annotation runtime/default", ann: key + ": runtime/default"},
		{name: "annotation localhost/profile", ann: key + ": localhost/my-profile"},
		{name: "annotation empty", ann: key + `: ""`},
		{name: "annotation unconfined", ann: key + ": unconfined", fail: true},
		{name: "annotation other", ann: key + ": something", fail: true},
		{name: "pod RuntimeDefault", podSC: "appArmorProfile: {type: RuntimeDefault}"},
		{name: "pod Localhost", podSC: "appArmorProfile: {type: Localhost, localhostProfile: p}"},
		{name: "pod Unconfined", podSC: "appArmorProfile: {type: Unconfined}", fail: true},
	}
	cases = append(cases, allContainerKinds([]podCase{
		{name: "container RuntimeDefault", ctrSC: "appArmorProfile: {type: RuntimeDefault}"},
		{name: "container Localhost", ctrSC: "appArmorProfile: {type: Localhost, localhostProfile: p}"},
		{name: "container Unconfined", ctrSC: "appArmorProfile: {type: Unconfined}", fail: true},
		{name: "container unset", ctrSC: ""},
	})...)
	for i := range cases {
		cases[i].rule = RuleAppArmor
	}
	runCases(t, cases)
}

func TestBaselineSELinux(t *testing.T) {
	var cases []podCase
	for ty := range seLinuxTypes {
		cases = append(cases, podCase{name: "type " + ty, ctrSC: fmt.Sprintf("seLinuxOptions: {type: %q}", ty)})
	}
	cases = append(cases,
		podCase{name: "type spc_t", ctrSC: "seLinuxOptions: {type: spc_t}", fail: true},
		podCase{name: "type unconfined_t", ctrSC: "seLinuxOptions: {type: unconfined_t}", fail: true},
		podCase{name: "user set", ctrSC: "seLinuxOptions: {user: system_u}", fail: true},
		podCase{name: "role set", ctrSC: "seLinuxOptions: {role: sysadm_r}", fail: true},
		podCase{name: "user empty", ctrSC: `seLinuxOptions: {user: "", role: ""}`},
		podCase{name: "level only", ctrSC: `seLinuxOptions: {level: "s0:c123,c456"}`},
	)
	cases = allContainerKinds(cases)
	cases = append(cases,
		podCase{name: "pod type spc_t", podSC: "seLinuxOptions: {type: spc_t}", fail: true},
		podCase{name: "pod type container_t", podSC: "seLinuxOptions: {type: container_t}"},
		podCase{name: "pod user", podSC: "seLinuxOptions: {user: system_u}", fail: true},
	)
	for i := range cases {
		cases[i].rule = RuleSELinux
	}
	runCases(t, cases)
}

func TestProcMount(t *testing.T) {
	var cases []podCase
	for _, rule := range []string{RuleProcMountBase, RuleProcMountRestricted} {
		cases = append(cases, allContainerKinds([]podCase{
			{rule: rule, name: "Default", ctrSC: "procMount: Default"},
			{rule: rule, name: "unset", ctrSC: ""},
			{rule: rule, name: "Unmasked", ctrSC: "procMount: Unmasked", fail: true},
			{rule: rule, name: "Unmasked hostUsers true", spec: "hostUsers: true", ctrSC: "procMount: Unmasked", fail: true},
			// v1.35: baseline allows any procMount in a user namespace; restricted does not.
			{rule: rule, name: "Unmasked hostUsers false", spec: "hostUsers: false", ctrSC: "procMount: Unmasked", fail: rule == RuleProcMountRestricted},
		})...)
	}
	runCases(t, cases)
}

func TestSeccomp(t *testing.T) {
	var cases []podCase
	for _, rule := range []string{RuleSeccompBase, RuleSeccompRestricted} {
		restricted := rule == RuleSeccompRestricted
		cases = append(cases,
			podCase{rule: rule, name: "pod RuntimeDefault", podSC: "seccompProfile: {type: RuntimeDefault}"},
			podCase{rule: rule, name: "pod Localhost", podSC: "seccompProfile: {type: Localhost, localhostProfile: p.json}"},
			podCase{rule: rule, name: "pod Unconfined", podSC: "seccompProfile: {type: Unconfined}", fail: true},
			podCase{rule: rule, name: "pod Unconfined, container RuntimeDefault", podSC: "seccompProfile: {type: Unconfined}", ctrSC: "seccompProfile: {type: RuntimeDefault}", fail: true},
			// Restricted needs a valid profile somewhere for every container.
			podCase{rule: rule, name: "unset everywhere", fail: restricted},
			podCase{rule: rule, name: "unset everywhere, windows", spec: "os: {name: windows}"},
		)
		cases = append(cases, allContainerKinds([]podCase{
			{rule: rule, name: "container RuntimeDefault", ctrSC: "seccompProfile: {type: RuntimeDefault}", podSC: "seccompProfile: {type: RuntimeDefault}"},
			{rule: rule, name: "container Localhost", ctrSC: "seccompProfile: {type: Localhost, localhostProfile: p.json}", podSC: "seccompProfile: {type: RuntimeDefault}"},
			{rule: rule, name: "container Unconfined", ctrSC: "seccompProfile: {type: Unconfined}", podSC: "seccompProfile: {type: RuntimeDefault}", fail: true},
		})...)
	}
	// The restricted rule with every container setting its own profile
	// (the main container included) and no pod-level profile passes.
	cases = append(cases, podCase{rule: RuleSeccompRestricted, name: "only container level", ctrSC: "seccompProfile: {type: RuntimeDefault}"})
	runCases(t, cases)
}

func TestBaselineSysctls(t *testing.T) {
	var cases []podCase
	for s := range safeSysctls {
		cases = append(cases, podCase{name: s, podSC: "sysctls: [{name: " + s + ", value: \"1\"}]"})
	}
	for _, s := range []string{"kernel.msgmax", "kernel.sem", "net.core.somaxconn", "vm.swappiness", "net.ipv4.ip_forward"} {
		cases = append(cases, podCase{name: s, podSC: "sysctls: [{name: kernel.shm_rmid_forced, value: \"1\"}, {name: " + s + ", value: \"1\"}]", fail: true})
	}
	cases = append(cases, podCase{name: "unset", podSC: ""})
	for i := range cases {
		cases[i].rule = RuleSysctls
	}
	runCases(t, cases)
}

func TestRestrictedVolumeTypes(t *testing.T) {
	var cases []podCase
	for v := range restrictedVolumes {
		cases = append(cases, podCase{name: v, spec: "volumes: [{name: v, " + v + ": {}}]"})
	}
	for v := range forbiddenVolumes {
		cases = append(cases, podCase{name: v, spec: "volumes: [{name: ok, emptyDir: {}}, {name: v, " + v + ": {}}]", fail: true})
	}
	cases = append(cases, podCase{name: "no source (defaults to emptyDir)", spec: "volumes: [{name: v}]"})
	for i := range cases {
		cases[i].rule = RuleVolumeTypes
	}
	runCases(t, cases)
}

func TestRestrictedPrivilegeEscalation(t *testing.T) {
	cases := allContainerKinds([]podCase{
		{name: "false", ctrSC: "allowPrivilegeEscalation: false"},
		{name: "true", ctrSC: "allowPrivilegeEscalation: true", fail: true},
		{name: "unset", ctrSC: "", fail: true},
		{name: "unset windows", spec: "os: {name: windows}", ctrSC: ""},
	})
	for i := range cases {
		cases[i].rule = RulePrivilegeEscalation
		if cases[i].field != "containers" && !cases[i].fail {
			// the always-present main container must pass too
			cases[i].fail = cases[i].spec == ""
		}
	}
	runCases(t, cases)
}

func TestRestrictedRunAsNonRoot(t *testing.T) {
	cases := []podCase{
		{name: "pod true", podSC: "runAsNonRoot: true"},
		{name: "pod true, container true", podSC: "runAsNonRoot: true", ctrSC: "runAsNonRoot: true"},
		{name: "pod unset, container true", ctrSC: "runAsNonRoot: true"},
		{name: "pod true, container false", podSC: "runAsNonRoot: true", ctrSC: "runAsNonRoot: false", fail: true},
		{name: "pod false, container true", podSC: "runAsNonRoot: false", ctrSC: "runAsNonRoot: true", fail: true},
		{name: "unset everywhere", fail: true},
		{name: "unset, hostUsers false", spec: "hostUsers: false"},
		{name: "init container unset", podSC: "", field: "initContainers", ctrSC: "runAsNonRoot: true", fail: true},
	}
	for i := range cases {
		cases[i].rule = RuleRunAsNonRoot
	}
	runCases(t, cases)
}

func TestRestrictedRunAsUser(t *testing.T) {
	cases := []podCase{
		{name: "pod 0", podSC: "runAsUser: 0", fail: true},
		{name: "pod 1000", podSC: "runAsUser: 1000"},
		{name: "unset", podSC: ""},
		{name: "pod 0, hostUsers false", spec: "hostUsers: false", podSC: "runAsUser: 0"},
	}
	cases = append(cases, allContainerKinds([]podCase{
		{name: "container 0", ctrSC: "runAsUser: 0", fail: true},
		{name: "container 65534", ctrSC: "runAsUser: 65534"},
		{name: "container 0, hostUsers false", spec: "hostUsers: false", ctrSC: "runAsUser: 0"},
	})...)
	for i := range cases {
		cases[i].rule = RuleRunAsUser
	}
	runCases(t, cases)
}

func TestRestrictedCapabilities(t *testing.T) {
	cases := []podCase{
		{name: "drop ALL", ctrSC: "capabilities: {drop: [ALL]}"},
		{name: "drop ALL add NET_BIND_SERVICE", ctrSC: "capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}"},
		{name: "drop ALL add CHOWN", ctrSC: "capabilities: {drop: [ALL], add: [CHOWN]}", fail: true},
		{name: "drop all (lower case)", ctrSC: "capabilities: {drop: [all]}", fail: true},
		{name: "drop NET_RAW only", ctrSC: "capabilities: {drop: [NET_RAW]}", fail: true},
		{name: "unset", ctrSC: "", fail: true},
		{name: "unset windows", spec: "os: {name: windows}", ctrSC: ""},
	}
	for i := range cases {
		cases[i].rule = RuleCapabilitiesRestr
	}
	runCases(t, cases)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
