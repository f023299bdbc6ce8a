package kubernetes

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Allowed values of the Pod Security Standards, Kubernetes v1.35.
var (
	baselineCapabilities = set("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
		"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT")
	seLinuxTypes = set("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")
	safeSysctls  = set("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
	restrictedVolumes = set("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
		"persistentVolumeClaim", "projected", "secret")
	// forbiddenVolumes are the other volume sources of the core API.
	forbiddenVolumes = set("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
		"glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume",
		"quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")
	profileTypes = set("RuntimeDefault", "Localhost")
)

const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// checkPSS evaluates every control of the baseline and restricted policies.
func (c *checker) checkPSS(p *pod) {
	c.hostProcess(p)
	c.hostNamespaces(p)
	c.hostPathVolumes(p)
	c.sysctls(p)
	c.appArmorAnnotations(p)
	c.podProfiles(p)
	c.volumeTypes(p)
	c.runAsNonRoot(p)
	for _, ct := range p.containers {
		c.containerPSS(p, ct)
	}
}

func (c *checker) hostProcess(p *pod) {
	path := p.path + ".securityContext.windowsOptions.hostProcess"
	k, v := field(get(p.spec, "securityContext", "windowsOptions"), "hostProcess")
	if b, ok := c.boolean(p, v, path); ok && b {
		c.report(RuleHostProcess, p.obj, lineOf(k, v, p.line), "pod sets securityContext.windowsOptions.hostProcess: true", path+": true")
	}
}

func (c *checker) hostNamespaces(p *pod) {
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		k, v := field(p.spec, f)
		if b, ok := c.boolean(p, v, p.path+"."+f); ok && b {
			c.report(RuleHostNamespaces, p.obj, lineOf(k, v, p.line), "pod sets "+f+": true", p.path+"."+f+": true")
		}
	}
}

// volume is one entry of spec.volumes.
type volume struct {
	name   string
	node   *yaml.Node
	path   string
	source string     // the volume source key: "hostPath", "emptyDir"…
	srcKey *yaml.Node // its key node
}

func (p *pod) volumes() []volume {
	var out []volume
	for i, v := range items(get(p.spec, "volumes")) {
		if v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		vol := volume{node: v, path: fmt.Sprintf("%s.volumes[%d]", p.path, i)}
		for j := 0; j+1 < len(v.Content); j += 2 {
			key := v.Content[j].Value
			switch {
			case key == "name":
				vol.name = v.Content[j+1].Value
			case vol.source == "" && (restrictedVolumes[key] || forbiddenVolumes[key]) && resolve(v.Content[j+1]) != nil:
				vol.source, vol.srcKey = key, v.Content[j]
			}
		}
		out = append(out, vol)
	}
	return out
}

func (c *checker) hostPathVolumes(p *pod) {
	for _, v := range p.volumes() {
		if v.source == "hostPath" {
			path, _, _ := stringValue(get(v.node, "hostPath", "path"), "")
			c.report(RuleHostPathVolumes, p.obj, v.srcKey.Line,
				fmt.Sprintf("volume %q is a hostPath volume (%s)", v.name, path), v.path+".hostPath.path: "+path)
		}
	}
}

func (c *checker) volumeTypes(p *pod) {
	for _, v := range p.volumes() {
		// A volume without a source is defaulted to emptyDir by the API server.
		if v.source == "" || restrictedVolumes[v.source] {
			continue
		}
		c.report(RuleVolumeTypes, p.obj, v.srcKey.Line,
			fmt.Sprintf("volume %q uses the %s volume type", v.name, v.source), v.path+"."+v.source)
	}
}

func (c *checker) sysctls(p *pod) {
	for i, s := range items(get(p.spec, "securityContext", "sysctls")) {
		path := fmt.Sprintf("%s.securityContext.sysctls[%d].name", p.path, i)
		k, n := field(s, "name")
		name, ok := c.str(p, n, path)
		if ok && !safeSysctls[name] {
			c.report(RuleSysctls, p.obj, lineOf(k, n, p.line), fmt.Sprintf("pod sets the unsafe sysctl %s", name), path+": "+name)
		}
	}
}

func (c *checker) appArmorAnnotations(p *pod) {
	anns := get(p.meta, "annotations")
	if anns == nil || anns.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(anns.Content); i += 2 {
		key := anns.Content[i].Value
		if !strings.HasPrefix(key, appArmorAnnotationPrefix) {
			continue
		}
		val := ""
		if v := resolve(anns.Content[i+1]); v != nil {
			val = v.Value
		}
		if val == "" || val == "runtime/default" || strings.HasPrefix(val, "localhost/") {
			continue
		}
		c.report(RuleAppArmor, p.obj, anns.Content[i].Line,
			fmt.Sprintf("annotation %s sets the AppArmor profile %q", key, val), fmt.Sprintf("%s: %s", key, val))
	}
}

// podProfiles checks the pod-level AppArmor, seccomp and SELinux settings.
func (c *checker) podProfiles(p *pod) {
	sc := get(p.spec, "securityContext")
	c.profiles(p, sc, p.path+".securityContext", "pod")
	if p.windows() {
		return
	}
	// Restricted seccomp: pod level valid, or every container valid.
	if podSeccompValid(sc) {
		return
	}
	for _, ct := range p.containers {
		csc := get(ct.node, "securityContext")
		k, prof := field(csc, "seccompProfile")
		if prof != nil {
			continue // set on the container: judged by the explicit check below
		}
		c.report(RuleSeccompRestricted, p.obj, lineOf(k, csc, ct.line),
			ct.label()+" has no seccompProfile and the pod sets none", ct.path+".securityContext.seccompProfile: unset")
	}
}

func podSeccompValid(sc *yaml.Node) bool {
	t := get(sc, "seccompProfile", "type")
	return t != nil && t.Kind == yaml.ScalarNode && profileTypes[t.Value]
}

// profiles checks appArmorProfile, seccompProfile and seLinuxOptions of one
// securityContext (pod or container); who names it in messages.
func (c *checker) profiles(p *pod, sc *yaml.Node, path, who string) {
	if k, prof := field(sc, "appArmorProfile"); prof != nil {
		t := typeOf(prof)
		if !profileTypes[t] {
			c.report(RuleAppArmor, p.obj, lineOf(k, prof, p.line),
				fmt.Sprintf("%s sets appArmorProfile.type %q", who, t), path+".appArmorProfile.type: "+t)
		}
	}
	if k, prof := field(sc, "seccompProfile"); prof != nil {
		t := typeOf(prof)
		if !profileTypes[t] {
			c.report(RuleSeccompBase, p.obj, lineOf(k, prof, p.line),
				fmt.Sprintf("%s sets seccompProfile.type %q", who, t), path+".seccompProfile.type: "+t)
			if !p.windows() {
				c.report(RuleSeccompRestricted, p.obj, lineOf(k, prof, p.line),
					fmt.Sprintf("%s sets seccompProfile.type %q", who, t), path+".seccompProfile.type: "+t)
			}
		}
	}
	if k, opts := field(sc, "seLinuxOptions"); opts != nil {
		var bad []string
		if t := get(opts, "type"); t != nil && !seLinuxTypes[t.Value] {
			bad = append(bad, fmt.Sprintf("type %q", t.Value))
		}
		for _, f := range []string{"user", "role"} {
			if v := get(opts, f); v != nil && v.Value != "" {
				bad = append(bad, fmt.Sprintf("%s %q", f, v.Value))
			}
		}
		if len(bad) > 0 {
			c.report(RuleSELinux, p.obj, lineOf(k, opts, p.line),
				fmt.Sprintf("%s sets seLinuxOptions %s", who, strings.Join(bad, ", ")), path+".seLinuxOptions: "+strings.Join(bad, ", "))
		}
	}
}

func typeOf(profile *yaml.Node) string {
	if t := get(profile, "type"); t != nil && t.Kind == yaml.ScalarNode {
		return t.Value
	}
	return ""
}

func (c *checker) runAsNonRoot(p *pod) {
	if p.userNamespace() {
		return
	}
	podPath := p.path + ".securityContext.runAsNonRoot"
	pk, pv := field(get(p.spec, "securityContext"), "runAsNonRoot")
	podValue, podSet := c.boolean(p, pv, podPath)
	if podSet && !podValue {
		c.report(RuleRunAsNonRoot, p.obj, lineOf(pk, pv, p.line), "pod sets runAsNonRoot: false", podPath+": false")
	}
	for _, ct := range p.containers {
		path := ct.path + ".securityContext.runAsNonRoot"
		k, v := field(get(ct.node, "securityContext"), "runAsNonRoot")
		b, ok := c.boolean(p, v, path)
		switch {
		case ok && !b:
			c.report(RuleRunAsNonRoot, p.obj, lineOf(k, v, ct.line), ct.label()+" sets runAsNonRoot: false", path+": false")
		case !ok && !(podSet && podValue):
			c.report(RuleRunAsNonRoot, p.obj, ct.line, ct.label()+" does not set runAsNonRoot: true and the pod does not either", path+": unset")
		}
	}
	if k, v := field(get(p.spec, "securityContext"), "runAsUser"); v != nil {
		if uid, ok := c.integer(p, v, p.path+".securityContext.runAsUser"); ok && uid == 0 {
			c.report(RuleRunAsUser, p.obj, lineOf(k, v, p.line), "pod sets runAsUser: 0", p.path+".securityContext.runAsUser: 0")
		}
	}
}

// containerPSS checks the container-level controls of one container.
func (c *checker) containerPSS(p *pod, ct *container) {
	scPath := ct.path + ".securityContext"
	sc := get(ct.node, "securityContext")
	who := ct.label()

	if k, v := field(get(sc, "windowsOptions"), "hostProcess"); v != nil {
		if b, ok := c.boolean(p, v, scPath+".windowsOptions.hostProcess"); ok && b {
			c.report(RuleHostProcess, p.obj, lineOf(k, v, ct.line), who+" sets windowsOptions.hostProcess: true", scPath+".windowsOptions.hostProcess: true")
		}
	}
	if k, v := field(sc, "privileged"); v != nil {
		if b, ok := c.boolean(p, v, scPath+".privileged"); ok && b {
			c.report(RulePrivileged, p.obj, lineOf(k, v, ct.line), who+" sets privileged: true", scPath+".privileged: true")
		}
	}
	c.capabilities(p, ct, sc, scPath)
	for i, port := range items(get(ct.node, "ports")) {
		path := fmt.Sprintf("%s.ports[%d].hostPort", ct.path, i)
		k, v := field(port, "hostPort")
		if n, ok := c.integer(p, v, path); ok && n != 0 {
			c.report(RuleHostPorts, p.obj, lineOf(k, v, ct.line), fmt.Sprintf("%s binds host port %d", who, n), fmt.Sprintf("%s: %d", path, n))
		}
	}
	c.hostProbes(p, ct)
	c.profiles(p, sc, scPath, who)
	if k, v := field(sc, "procMount"); v != nil {
		if pm, ok := c.str(p, v, scPath+".procMount"); ok && pm != "Default" {
			if !p.userNamespace() {
				c.report(RuleProcMountBase, p.obj, lineOf(k, v, ct.line), fmt.Sprintf("%s sets procMount %q", who, pm), scPath+".procMount: "+pm)
			}
			c.report(RuleProcMountRestricted, p.obj, lineOf(k, v, ct.line), fmt.Sprintf("%s sets procMount %q", who, pm), scPath+".procMount: "+pm)
		}
	}
	if !p.windows() {
		k, v := field(sc, "allowPrivilegeEscalation")
		b, ok := c.boolean(p, v, scPath+".allowPrivilegeEscalation")
		if !ok || b {
			val := "unset"
			if ok {
				val = "true"
			}
			c.report(RulePrivilegeEscalation, p.obj, lineOf(k, v, ct.line), who+" does not set allowPrivilegeEscalation: false", scPath+".allowPrivilegeEscalation: "+val)
		}
	}
	if !p.userNamespace() {
		if k, v := field(sc, "runAsUser"); v != nil {
			if uid, ok := c.integer(p, v, scPath+".runAsUser"); ok && uid == 0 {
				c.report(RuleRunAsUser, p.obj, lineOf(k, v, ct.line), who+" sets runAsUser: 0", scPath+".runAsUser: 0")
			}
		}
	}
}

func (c *checker) capabilities(p *pod, ct *container, sc *yaml.Node, scPath string) {
	k, caps := field(sc, "capabilities")
	var addBad, addRestricted []string
	line := lineOf(k, caps, ct.line)
	addKey, add := field(caps, "add")
	for _, a := range items(add) {
		if a == nil || a.Kind != yaml.ScalarNode {
			continue
		}
		if !baselineCapabilities[a.Value] {
			addBad = append(addBad, a.Value)
		}
		if a.Value != "NET_BIND_SERVICE" {
			addRestricted = append(addRestricted, a.Value)
		}
	}
	addLine := lineOf(addKey, add, line)
	if len(addBad) > 0 {
		c.report(RuleCapabilitiesBase, p.obj, addLine,
			fmt.Sprintf("%s adds capabilities %s", ct.label(), strings.Join(addBad, ", ")), scPath+".capabilities.add: "+strings.Join(addBad, ", "))
	}
	if p.windows() {
		return
	}
	droppedAll := false
	for _, d := range items(get(caps, "drop")) {
		if d != nil && d.Kind == yaml.ScalarNode && d.Value == "ALL" {
			droppedAll = true
		}
	}
	if !droppedAll {
		c.report(RuleCapabilitiesRestr, p.obj, line, ct.label()+` does not drop ALL capabilities`, scPath+`.capabilities.drop: missing "ALL"`)
	}
	if len(addRestricted) > 0 {
		c.report(RuleCapabilitiesRestr, p.obj, addLine,
			fmt.Sprintf("%s adds capabilities %s (only NET_BIND_SERVICE is allowed)", ct.label(), strings.Join(addRestricted, ", ")),
			scPath+".capabilities.add: "+strings.Join(addRestricted, ", "))
	}
}

func (c *checker) hostProbes(p *pod, ct *container) {
	handlers := []string{"livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"}
	for _, h := range handlers {
		hn := get(ct.node, strings.Split(h, ".")...)
		for _, action := range []string{"httpGet", "tcpSocket"} {
			k, v := field(get(hn, action), "host")
			host, ok := c.str(p, v, ct.path+"."+h+"."+action+".host")
			if ok && host != "" {
				path := ct.path + "." + h + "." + action + ".host"
				c.report(RuleHostProbes, p.obj, lineOf(k, v, ct.line),
					fmt.Sprintf("%s %s.%s targets host %q", ct.label(), h, action, host), path+": "+host)
			}
		}
	}
}
