package kubernetes

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// sensitiveHostPaths are node paths whose mount hands the pod the node. A
// hostPath at, below or above one of them (mounting /var exposes
// /var/run/docker.sock) is sensitive.
var sensitiveHostPaths = []string{
	"/boot", "/dev", "/etc", "/proc", "/root", "/sys",
	"/run/containerd", "/run/crio", "/run/docker.sock",
	"/var/lib/containerd", "/var/lib/docker", "/var/lib/kubelet",
	"/var/run/containerd", "/var/run/crio", "/var/run/docker.sock",
}

// adminPorts are ports a NodePort or LoadBalancer Service must not expose,
// with what usually listens on them.
var adminPorts = map[int64]string{
	22:    "SSH",
	2375:  "Docker API (plain)",
	2376:  "Docker API (TLS)",
	2379:  "etcd client",
	2380:  "etcd peer",
	3306:  "MySQL",
	3389:  "RDP",
	5432:  "PostgreSQL",
	6379:  "Redis",
	6443:  "kube-apiserver",
	9200:  "Elasticsearch",
	10250: "kubelet API",
	10255: "kubelet read-only API",
	10256: "kube-proxy health",
	10257: "kube-controller-manager",
	10259: "kube-scheduler",
	27017: "MongoDB",
}

func (c *checker) namespace(o *object) {
	k, v := field(get(o.node, "metadata"), "namespace")
	switch o.namespace {
	case "":
		c.report(RuleDefaultNamespace, o, o.line, "no metadata.namespace: the object lands in the deployer's current namespace, often default", "metadata.namespace: unset")
	case "default":
		c.report(RuleDefaultNamespace, o, lineOf(k, v, o.line), "object is in the default namespace", "metadata.namespace: default")
	}
}

func (c *checker) hardening(p *pod) {
	k, v := field(p.spec, "automountServiceAccountToken")
	if b, ok := c.boolean(p, v, p.path+".automountServiceAccountToken"); !ok || b {
		val := "unset"
		if ok {
			val = "true"
		}
		c.report(RuleAutomountToken, p.obj, lineOf(k, v, p.line), "pod does not set automountServiceAccountToken: false", p.path+".automountServiceAccountToken: "+val)
	}
	for _, vol := range p.volumes() {
		if vol.source != "hostPath" {
			continue
		}
		hp, _, _ := stringValue(get(vol.node, "hostPath", "path"), "")
		if sensitiveHostPath(hp) {
			c.report(RuleSensitiveHostPath, p.obj, vol.srcKey.Line,
				fmt.Sprintf("volume %q mounts the node path %s", vol.name, hp), vol.path+".hostPath.path: "+hp)
		}
	}
	for _, ct := range p.containers {
		c.image(p, ct)
		c.env(p, ct)
		if ct.field == "ephemeralContainers" {
			continue // no resources, probes or ports allowed on them
		}
		c.resources(p, ct)
		k, v := field(get(ct.node, "securityContext"), "readOnlyRootFilesystem")
		if b, ok := c.boolean(p, v, ct.path+".securityContext.readOnlyRootFilesystem"); !ok || !b {
			val := "unset"
			if ok {
				val = "false"
			}
			c.report(RuleReadOnlyRootFS, p.obj, lineOf(k, v, ct.line), ct.label()+" does not set readOnlyRootFilesystem: true", ct.path+".securityContext.readOnlyRootFilesystem: "+val)
		}
		if ct.field == "containers" && p.longRunning {
			var missing []string
			for _, probe := range []string{"livenessProbe", "readinessProbe"} {
				if get(ct.node, probe) == nil {
					missing = append(missing, probe)
				}
			}
			if len(missing) > 0 {
				c.report(RuleProbes, p.obj, ct.line, ct.label()+" has no "+strings.Join(missing, " or "), ct.path+": no "+strings.Join(missing, ", "))
			}
		}
	}
}

// sensitiveHostPath reports whether a hostPath is, contains or lies below a
// sensitive node path.
func sensitiveHostPath(p string) bool {
	if p == "" {
		return false
	}
	p = path.Clean("/" + p)
	if p == "/" {
		return true
	}
	for _, s := range sensitiveHostPaths {
		if p == s || strings.HasPrefix(p, s+"/") || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}

func (c *checker) image(p *pod, ct *container) {
	k, v := field(ct.node, "image")
	img, ok := c.str(p, v, ct.path+".image")
	if !ok || img == "" {
		return
	}
	line := lineOf(k, v, ct.line)
	ref, digest, _ := strings.Cut(img, "@")
	tag := ""
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		tag = ref[i+1:]
	}
	switch {
	case digest != "":
		return // a digest pins the image whatever the tag says
	case tag == "" || tag == "latest":
		what := "has no tag (means :latest)"
		if tag == "latest" {
			what = "uses the :latest tag"
		}
		c.report(RuleImageLatest, p.obj, line, fmt.Sprintf("%s image %s %s", ct.label(), img, what), ct.path+".image: "+img)
	}
	c.report(RuleImageDigest, p.obj, line, fmt.Sprintf("%s image %s is not pinned by digest", ct.label(), img), ct.path+".image: "+img)
}

func (c *checker) env(p *pod, ct *container) {
	for i, e := range items(get(ct.node, "env")) {
		nk, nn := field(e, "name")
		_, vn := field(e, "value")
		if nn == nil || vn == nil || nn.Kind != yaml.ScalarNode || vn.Kind != yaml.ScalarNode {
			continue
		}
		if !secretName(nn.Value) || !secretLiteral(vn.Value) {
			continue
		}
		c.report(RuleEnvSecret, p.obj, lineOf(nk, nn, ct.line),
			fmt.Sprintf("%s sets %s to a literal value", ct.label(), nn.Value),
			fmt.Sprintf("%s.env[%d]: %s=%s", ct.path, i, nn.Value, redact(vn.Value)))
	}
}

// secretName reports whether an environment variable name says it holds a
// secret: a word PASSWORD, PASSWD, SECRET, TOKEN, KEY, APIKEY or CREDENTIALS,
// unless the name ends in a word that says it holds something else
// (DB_PASSWORD_FILE, TOKEN_TTL, SECRET_NAME).
func secretName(name string) bool {
	words := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if len(words) == 0 {
		return false
	}
	switch words[len(words)-1] {
	case "FILE", "PATH", "DIR", "NAME", "ID", "TYPE", "LENGTH", "LEN", "TTL", "EXPIRY", "TIMEOUT",
		"HEADER", "ENABLED", "ENABLE", "DISABLED", "URL", "URI", "HOST", "PORT", "SIZE", "REF", "MODE":
		return false
	}
	return slices.ContainsFunc(words, func(w string) bool {
		switch w {
		case "KEY", "APIKEY", "PRIVATEKEY", "CREDENTIAL", "CREDENTIALS", "PASSWD", "PASS", "PWD":
			return true
		}
		return strings.Contains(w, "PASSWORD") || strings.Contains(w, "SECRET") || strings.Contains(w, "TOKEN")
	})
}

// secretLiteral reports whether a value looks like a literal secret rather
// than empty, a boolean, a number or a $(VAR) reference.
func secretLiteral(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 4 {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "none", "null", "changeme", "<redacted>":
		return false
	}
	if strings.HasPrefix(v, "$(") && strings.HasSuffix(v, ")") && !strings.Contains(v[2:], "$(") {
		return false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return false
	}
	return true
}

// redact keeps at most the first and last two characters of a secret.
func redact(v string) string {
	if len(v) < 12 {
		return "****"
	}
	return v[:2] + "…" + v[len(v)-2:]
}

func (c *checker) resources(p *pod, ct *container) {
	res := get(ct.node, "resources")
	for _, kind := range []struct{ field, rule string }{{"limits", RuleLimits}, {"requests", RuleRequests}} {
		k, m := field(res, kind.field)
		var missing []string
		for _, r := range []string{"cpu", "memory"} {
			if get(m, r) == nil {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			c.report(kind.rule, p.obj, lineOf(k, m, ct.line),
				fmt.Sprintf("%s has no %s %s", ct.label(), strings.Join(missing, " or "), kind.field),
				fmt.Sprintf("%s.resources.%s: missing %s", ct.path, kind.field, strings.Join(missing, ", ")))
		}
	}
}

func (c *checker) service(o *object) {
	spec := get(o.node, "spec")
	t := get(spec, "type")
	if t == nil || (t.Value != "NodePort" && t.Value != "LoadBalancer") {
		return
	}
	for i, port := range items(get(spec, "ports")) {
		for _, f := range []string{"port", "targetPort"} {
			k, v := field(port, f)
			n, ok, _ := intValue(v, "")
			if !ok {
				continue // a named targetPort, or a malformed port the API server will reject
			}
			if what, admin := adminPorts[n]; admin {
				c.report(RuleServiceAdminPort, o, lineOf(k, v, o.line),
					fmt.Sprintf("%s Service exposes %s %d (%s)", t.Value, f, n, what),
					fmt.Sprintf("spec.ports[%d].%s: %d", i, f, n))
				break // one finding per port entry
			}
		}
	}
}
