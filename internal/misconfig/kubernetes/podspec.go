package kubernetes

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// podTemplatePaths says where each workload kind keeps its pod: the path to
// the pod's metadata and spec inside the object.
var podTemplatePaths = map[string][]string{
	"Pod":                   nil,
	"PodTemplate":           {"template"},
	"Deployment":            {"spec", "template"},
	"StatefulSet":           {"spec", "template"},
	"DaemonSet":             {"spec", "template"},
	"ReplicaSet":            {"spec", "template"},
	"ReplicationController": {"spec", "template"},
	"Job":                   {"spec", "template"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template"},
}

// container kinds, in the order the Pod Security Admission controller visits them.
var containerFields = []string{"initContainers", "containers", "ephemeralContainers"}

var containerKindNames = map[string]string{
	"containers":          "container",
	"initContainers":      "init container",
	"ephemeralContainers": "ephemeral container",
}

// pod is the pod spec of one workload object.
type pod struct {
	obj  *object
	meta *yaml.Node // the pod's metadata mapping; nil when absent
	spec *yaml.Node // the pod's spec mapping
	path string     // path of spec inside the object, "spec.template.spec"
	line int        // line of the spec key
	// longRunning is false for Jobs and CronJobs, whose pods are expected to exit.
	longRunning bool
	containers  []*container
}

// container is one container, init container or ephemeral container.
type container struct {
	name  string
	field string // "containers", "initContainers" or "ephemeralContainers"
	node  *yaml.Node
	path  string // "spec.template.spec.containers[0]"
	line  int
}

// podOf extracts the pod spec of a workload object. It returns nil, nil for
// kinds that hold no pod, and an error when the object has the wrong shape.
func podOf(o *object) (*pod, error) {
	tmpl, ok := podTemplatePaths[o.kind]
	if !ok || !isCoreOrWorkloadAPI(o.apiVersion) {
		return nil, nil
	}
	holder, k := o.node, (*yaml.Node)(nil)
	path := ""
	for _, p := range tmpl {
		k, holder = field(holder, p)
		path = joinPath(path, p)
		if holder == nil {
			return nil, nil // a template without a pod is not a workload to check
		}
		if holder.Kind != yaml.MappingNode {
			return nil, &shapeError{line: lineOf(k, holder, o.line), path: path, want: "a mapping, got " + kindName(holder.Kind)}
		}
	}
	p := &pod{obj: o, longRunning: o.kind != "Job" && o.kind != "CronJob"}
	if mk, m := field(holder, "metadata"); m != nil {
		if m.Kind != yaml.MappingNode {
			return nil, &shapeError{line: lineOf(mk, m, o.line), path: joinPath(path, "metadata"), want: "a mapping"}
		}
		p.meta = m
	}
	sk, spec := field(holder, "spec")
	p.path = joinPath(path, "spec")
	if spec == nil {
		return nil, nil
	}
	if spec.Kind != yaml.MappingNode {
		return nil, &shapeError{line: lineOf(sk, spec, o.line), path: p.path, want: "a mapping, got " + kindName(spec.Kind)}
	}
	p.spec, p.line = spec, lineOf(sk, spec, o.line)
	for _, f := range containerFields {
		ck, list := field(spec, f)
		if list == nil {
			continue
		}
		if list.Kind != yaml.SequenceNode {
			return nil, &shapeError{line: lineOf(ck, list, p.line), path: joinPath(p.path, f), want: "a list, got " + kindName(list.Kind)}
		}
		for i, c := range items(list) {
			cpath := fmt.Sprintf("%s.%s[%d]", p.path, f, i)
			if c == nil {
				continue
			}
			if c.Kind != yaml.MappingNode {
				return nil, &shapeError{line: c.Line, path: cpath, want: "a mapping, got " + kindName(c.Kind)}
			}
			name := ""
			if n := get(c, "name"); n != nil && n.Kind == yaml.ScalarNode {
				name = n.Value
			}
			p.containers = append(p.containers, &container{name: name, field: f, node: c, path: cpath, line: c.Line})
		}
	}
	return p, nil
}

// isCoreOrWorkloadAPI reports whether apiVersion is one of the API groups that
// define the workload kinds (a CRD may reuse a kind name such as "Deployment").
func isCoreOrWorkloadAPI(apiVersion string) bool {
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return apiVersion == "v1" // the core group has no group name
	}
	switch group {
	case "apps", "batch", "extensions":
		return true
	}
	return false
}

// windows reports whether the pod declares spec.os.name: windows, which
// exempts it from the Linux-only restricted controls.
func (p *pod) windows() bool {
	n := get(p.spec, "os", "name")
	return n != nil && n.Kind == yaml.ScalarNode && n.Value == "windows"
}

// userNamespace reports whether the pod sets hostUsers: false (runs in its
// own user namespace), which relaxes some controls since Kubernetes v1.35.
func (p *pod) userNamespace() bool {
	_, v := field(p.spec, "hostUsers")
	b, ok, _ := boolValue(v, "")
	return ok && !b
}

// label names a container in messages: `container "app"`.
func (c *container) label() string {
	kind := containerKindNames[c.field]
	if c.name == "" {
		return kind + " " + c.path
	}
	return fmt.Sprintf("%s %q", kind, c.name)
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
