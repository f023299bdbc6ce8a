package model

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$`)
	standardPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?@[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
)

// Validate checks what decoding alone cannot: id syntax, ids unique across
// the model, references that name an element of the right kind, parent
// cycles, and values that contradict each other. It returns Errors sorted
// by file and line, or nil. Load and Decode call it; call it yourself on a
// model built in Go.
func Validate(m *Model) error {
	v := &validator{m: m, kinds: make(map[string]ElementKind), at: make(map[string]Pos)}
	v.header()
	v.ids()
	v.references()
	v.cycles()
	v.interfaces()
	v.exceptions()
	if len(v.errs) == 0 {
		return nil
	}
	sortErrors(v.errs)
	return v.errs
}

type validator struct {
	m     *Model
	kinds map[string]ElementKind
	at    map[string]Pos
	errs  Errors
}

func (v *validator) fail(p Pos, format string, args ...any) {
	v.errs = append(v.errs, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) header() {
	m := v.m
	if m.APIVersion != APIVersion {
		v.fail(m.Pos, "apiVersion %q is not supported (want %s)", m.APIVersion, APIVersion)
	}
	if m.Kind != KindModel {
		v.fail(m.Pos, "kind %q: want %s", m.Kind, KindModel)
	}
	md := m.Metadata
	if !idPattern.MatchString(md.Product) {
		v.fail(md.Pos, "metadata.product %q: want a slug of a-z, 0-9, '.', '_' and '-' (at most 128 characters)", md.Product)
	}
	if strings.TrimSpace(md.Release) == "" {
		v.fail(md.Pos, "metadata.release is empty")
	}
	if strings.TrimSpace(md.Owner) == "" {
		v.fail(md.Pos, "metadata.owner is empty")
	}
	if !standardPattern.MatchString(md.Standard) {
		v.fail(md.Pos, "metadata.standard %q: want name@version, e.g. corp-baseline@2026H1", md.Standard)
	}
}

// ids checks id syntax and uniqueness across every element kind.
func (v *validator) ids() {
	add := func(kind ElementKind, id string, p Pos) {
		switch {
		case id == "":
			v.fail(p, "%s without an id", kind)
			return
		case id == ModelElement:
			v.fail(p, "%s id %q is reserved (exceptions use it for model-wide findings)", kind, id)
		case !idPattern.MatchString(id):
			v.fail(p, "%s id %q: want a slug of a-z, 0-9, '.', '_' and '-' that starts and ends with a letter or digit (at most 128 characters)", kind, id)
		}
		if first, dup := v.kinds[id]; dup {
			v.fail(p, "duplicate id %q: already used by the %s at %s", id, first, v.at[id])
			return
		}
		v.kinds[id] = kind
		v.at[id] = p
	}
	for _, d := range v.m.Data {
		add(ElementData, d.ID, d.Pos)
	}
	for _, z := range v.m.Zones {
		add(ElementZone, z.ID, z.Pos)
	}
	for _, r := range v.m.Runtimes {
		add(ElementRuntime, r.ID, r.Pos)
	}
	for _, c := range v.m.Components {
		add(ElementComponent, c.ID, c.Pos)
	}
	for _, f := range v.m.Interfaces {
		add(ElementInterface, f.ID, f.Pos)
	}
}

// ref checks that id names an element of the wanted kind.
func (v *validator) ref(p Pos, owner string, key, id string, want ElementKind) {
	got, ok := v.kinds[id]
	switch {
	case id == "":
		v.fail(p, "%s: %s is empty", owner, key)
	case !ok:
		msg := fmt.Sprintf("%s: %s %q is not defined", owner, key, id)
		if c := closest(id, v.idsOf(want)); c != "" {
			msg += fmt.Sprintf("; did you mean %q?", c)
		}
		v.fail(p, "%s", msg)
	case got != want:
		v.fail(p, "%s: %s %q is a %s, not a %s", owner, key, id, got, want)
	}
}

func (v *validator) idsOf(kind ElementKind) []string {
	var ids []string
	for id, k := range v.kinds {
		if k == kind {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (v *validator) references() {
	m := v.m
	for _, z := range m.Zones {
		if z.Parent != "" {
			v.ref(m.KeyPos(z.ID, "parent"), "zone "+quote(z.ID), "parent", z.Parent, ElementZone)
		}
	}
	for _, r := range m.Runtimes {
		if r.Parent == "" {
			continue
		}
		owner := "runtime " + quote(r.ID)
		v.ref(m.KeyPos(r.ID, "parent"), owner, "parent", r.Parent, ElementRuntime)
		if r.Kind == RuntimeKubernetesNamespace {
			for _, p := range m.Runtimes {
				if p.ID == r.Parent && p.Kind != RuntimeKubernetesCluster {
					v.fail(m.KeyPos(r.ID, "parent"), "%s: a kubernetes-namespace runs on a kubernetes-cluster, and %q is a %s", owner, p.ID, p.Kind)
				}
			}
		}
	}
	for _, c := range m.Components {
		owner := "component " + quote(c.ID)
		v.ref(m.KeyPos(c.ID, "zone"), owner, "zone", c.Zone, ElementZone)
		if c.Runtime != "" {
			v.ref(m.KeyPos(c.ID, "runtime"), owner, "runtime", c.Runtime, ElementRuntime)
		}
		for i, d := range c.Processes {
			v.ref(m.KeyPos(c.ID, fmt.Sprintf("processes[%d]", i)), owner, "processes", d, ElementData)
		}
		for i, d := range c.Stores {
			v.ref(m.KeyPos(c.ID, fmt.Sprintf("stores[%d]", i)), owner, "stores", d, ElementData)
		}
		v.unique(c.Pos, owner, "processes", c.Processes)
		v.unique(c.Pos, owner, "stores", c.Stores)
	}
	for _, f := range m.Interfaces {
		owner := "interface " + quote(f.ID)
		v.ref(m.KeyPos(f.ID, "from"), owner, "from", f.From, ElementComponent)
		v.ref(m.KeyPos(f.ID, "to"), owner, "to", f.To, ElementComponent)
		for i, d := range f.Sends {
			v.ref(m.KeyPos(f.ID, fmt.Sprintf("sends[%d]", i)), owner, "sends", d, ElementData)
		}
		for i, d := range f.Receives {
			v.ref(m.KeyPos(f.ID, fmt.Sprintf("receives[%d]", i)), owner, "receives", d, ElementData)
		}
		v.unique(f.Pos, owner, "sends", f.Sends)
		v.unique(f.Pos, owner, "receives", f.Receives)
	}
}

// unique reports an id listed twice.
func (v *validator) unique(p Pos, owner, key string, ids []string) {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			v.fail(p, "%s: %s lists %q twice", owner, key, id)
		}
		seen[id] = true
	}
}

// cycles reports zones or runtimes that are their own ancestors.
func (v *validator) cycles() {
	zoneParent := make(map[string]string, len(v.m.Zones))
	for _, z := range v.m.Zones {
		zoneParent[z.ID] = z.Parent
	}
	for _, z := range v.m.Zones {
		if chain := cycleFrom(z.ID, zoneParent); chain != nil {
			v.fail(z.Pos, "zone %q: parent cycle %s", z.ID, strings.Join(chain, " -> "))
		}
	}
	rtParent := make(map[string]string, len(v.m.Runtimes))
	for _, r := range v.m.Runtimes {
		rtParent[r.ID] = r.Parent
	}
	for _, r := range v.m.Runtimes {
		if chain := cycleFrom(r.ID, rtParent); chain != nil {
			v.fail(r.Pos, "runtime %q: parent cycle %s", r.ID, strings.Join(chain, " -> "))
		}
	}
}

// cycleFrom follows parents from id and returns the chain when it comes back
// to id, or nil.
func cycleFrom(id string, parent map[string]string) []string {
	chain := []string{id}
	seen := map[string]bool{id: true}
	for p := parent[id]; p != ""; p = parent[p] {
		chain = append(chain, p)
		if p == id {
			return chain
		}
		if seen[p] {
			return nil // a cycle further up, reported for its own members
		}
		seen[p] = true
	}
	return nil
}

// interfaces checks values that contradict each other.
func (v *validator) interfaces() {
	for _, f := range v.m.Interfaces {
		owner := "interface " + quote(f.ID)
		if f.From != "" && f.From == f.To {
			v.fail(f.Pos, "%s: from and to are both %q; model calls inside a component as part of it", owner, f.From)
		}
		if f.TLS.Version == TLSNone {
			switch f.Protocol {
			case ProtocolHTTPS, ProtocolLDAPS:
				v.fail(f.Pos, "%s: protocol %s with tls.version none contradicts itself", owner, f.Protocol)
			}
			if f.TLS.Mutual {
				v.fail(f.Pos, "%s: tls.mutual needs a TLS version, not none", owner)
			}
		}
		if f.Anonymous && f.Authentication != AuthnNone {
			v.fail(f.Pos, "%s: anonymous access is declared but authentication is %s", owner, f.Authentication)
		}
		if f.MFA && f.Authentication == AuthnNone {
			v.fail(f.Pos, "%s: mfa needs an authentication other than none", owner)
		}
	}
}

func (v *validator) exceptions() {
	seen := make(map[[2]string]Pos)
	for _, e := range v.m.Exceptions {
		owner := "exception " + quote(e.Rule) + " for " + quote(e.Element)
		if strings.TrimSpace(e.Rule) == "" {
			v.fail(e.Pos, "exception: rule is empty")
		}
		if e.Element != ModelElement {
			if _, ok := v.kinds[e.Element]; !ok {
				msg := fmt.Sprintf("%s: element %q is not defined (use an element id, or %q for model-wide findings)", owner, e.Element, ModelElement)
				if c := closest(e.Element, v.idsOf(ElementComponent)); c != "" {
					msg += fmt.Sprintf("; did you mean %q?", c)
				}
				v.fail(e.Pos, "%s", msg)
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			v.fail(e.Pos, "%s: reason is empty", owner)
		}
		if strings.TrimSpace(e.Owner) == "" {
			v.fail(e.Pos, "%s: owner is empty", owner)
		}
		if e.Expires.IsZero() {
			v.fail(e.Pos, "%s: expires is required (exceptions are time-boxed)", owner)
		}
		key := [2]string{e.Rule, e.Element}
		if first, dup := seen[key]; dup {
			v.fail(e.Pos, "%s: given twice (first at %s)", owner, first)
		}
		seen[key] = e.Pos
	}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
