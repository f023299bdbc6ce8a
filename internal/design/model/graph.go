package model

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// ElementKind names the kind of a model element.
type ElementKind string

// The element kinds.
const (
	ElementData      ElementKind = "data"
	ElementZone      ElementKind = "zone"
	ElementRuntime   ElementKind = "runtime"
	ElementComponent ElementKind = "component"
	ElementInterface ElementKind = "interface"
)

// DataFacts is the highest classification a component touches, by how it
// touches it.
type DataFacts struct {
	Stored    Classification // highest stored
	Processed Classification // highest processed
	Carried   Classification // highest sent or received on any of its interfaces
	Max       Classification // highest of the three
	// TenantScoped is true when it stores or processes tenant-scoped data.
	TenantScoped bool
}

// Reach says whether and how closely a component can be reached from the
// internet by following interfaces in request direction.
type Reach struct {
	Reachable bool
	// Hops is the number of interfaces on the shortest path from an internet
	// source: 0 for a source itself (a component in an internet zone, or one
	// with public exposure), 1 for a component called directly by one.
	Hops int
	// Via is the interface through which the shortest path arrives; empty
	// for a source.
	Via string
}

// CoLocation is a runtime and every component hosted on it, directly or on
// a runtime below it.
type CoLocation struct {
	Runtime    *Runtime
	Components []*Component // sorted by id
}

// Graph is an index over a model with the facts the threat rules derive:
// lookups by id, adjacency, zones crossed, reachability from the internet,
// highest data classification per component and co-location on runtimes.
// It is built once in O(elements + interfaces) and is read-only afterwards,
// so it is safe for concurrent use. It tolerates dangling references (they
// are simply absent from the index); Validate reports them.
type Graph struct {
	Model *Model

	kinds      map[string]ElementKind
	data       map[string]*DataAsset
	zones      map[string]*Zone
	runtimes   map[string]*Runtime
	components map[string]*Component
	interfaces map[string]*Interface

	out, in      map[string][]*Interface
	zoneComps    map[string][]*Component
	runtimeComps map[string][]*Component // hosted on the runtime or below it
	zoneChains   map[string][]*Zone      // zone and its ancestors
	reach        map[string]Reach
	facts        map[string]DataFacts
}

// NewGraph indexes m and derives its facts. m must not change afterwards.
func NewGraph(m *Model) *Graph {
	g := &Graph{
		Model:        m,
		kinds:        make(map[string]ElementKind),
		data:         make(map[string]*DataAsset, len(m.Data)),
		zones:        make(map[string]*Zone, len(m.Zones)),
		runtimes:     make(map[string]*Runtime, len(m.Runtimes)),
		components:   make(map[string]*Component, len(m.Components)),
		interfaces:   make(map[string]*Interface, len(m.Interfaces)),
		out:          make(map[string][]*Interface),
		in:           make(map[string][]*Interface),
		zoneComps:    make(map[string][]*Component),
		runtimeComps: make(map[string][]*Component),
		zoneChains:   make(map[string][]*Zone, len(m.Zones)),
	}
	for i := range m.Data {
		d := &m.Data[i]
		g.data[d.ID] = d
		g.kinds[d.ID] = ElementData
	}
	for i := range m.Zones {
		z := &m.Zones[i]
		g.zones[z.ID] = z
		g.kinds[z.ID] = ElementZone
	}
	for id := range g.zones {
		g.zoneChains[id] = g.zoneChain(id)
	}
	for i := range m.Runtimes {
		r := &m.Runtimes[i]
		g.runtimes[r.ID] = r
		g.kinds[r.ID] = ElementRuntime
	}
	for i := range m.Components {
		c := &m.Components[i]
		g.components[c.ID] = c
		g.kinds[c.ID] = ElementComponent
		g.zoneComps[c.Zone] = append(g.zoneComps[c.Zone], c)
		for _, r := range g.RuntimeChain(c.ID) {
			g.runtimeComps[r.ID] = append(g.runtimeComps[r.ID], c)
		}
	}
	for i := range m.Interfaces {
		f := &m.Interfaces[i]
		g.interfaces[f.ID] = f
		g.kinds[f.ID] = ElementInterface
		g.out[f.From] = append(g.out[f.From], f)
		g.in[f.To] = append(g.in[f.To], f)
	}
	for _, cs := range g.runtimeComps {
		slices.SortFunc(cs, func(a, b *Component) int { return cmp.Compare(a.ID, b.ID) })
	}
	g.reach = g.computeReach()
	g.facts = g.computeFacts()
	return g
}

// Kind returns the kind of the element with the id, or "" when there is none.
func (g *Graph) Kind(id string) ElementKind { return g.kinds[id] }

// Pos returns where the element with the id was written.
func (g *Graph) Pos(id string) Pos {
	switch g.kinds[id] {
	case ElementData:
		return g.data[id].Pos
	case ElementZone:
		return g.zones[id].Pos
	case ElementRuntime:
		return g.runtimes[id].Pos
	case ElementComponent:
		return g.components[id].Pos
	case ElementInterface:
		return g.interfaces[id].Pos
	}
	return g.Model.Pos
}

// Data returns the data asset with the id, or nil.
func (g *Graph) Data(id string) *DataAsset { return g.data[id] }

// Zone returns the zone with the id, or nil.
func (g *Graph) Zone(id string) *Zone { return g.zones[id] }

// Runtime returns the runtime with the id, or nil.
func (g *Graph) Runtime(id string) *Runtime { return g.runtimes[id] }

// Component returns the component with the id, or nil.
func (g *Graph) Component(id string) *Component { return g.components[id] }

// Interface returns the interface with the id, or nil.
func (g *Graph) Interface(id string) *Interface { return g.interfaces[id] }

// Outgoing returns the interfaces the component calls, in model order.
func (g *Graph) Outgoing(componentID string) []*Interface { return g.out[componentID] }

// Incoming returns the interfaces that call the component, in model order.
func (g *Graph) Incoming(componentID string) []*Interface { return g.in[componentID] }

// ZoneComponents returns the components placed directly in the zone, in
// model order.
func (g *Graph) ZoneComponents(zoneID string) []*Component { return g.zoneComps[zoneID] }

// ZoneAncestors returns the zone and its parents, innermost first. A parent
// cycle (which Validate reports) ends the chain. The slice is shared: do not
// modify it.
func (g *Graph) ZoneAncestors(zoneID string) []*Zone {
	if chain, ok := g.zoneChains[zoneID]; ok {
		return chain
	}
	return g.zoneChain(zoneID)
}

func (g *Graph) zoneChain(zoneID string) []*Zone {
	var chain []*Zone
	seen := make(map[string]bool)
	for z := g.zones[zoneID]; z != nil && !seen[z.ID]; z = g.zones[z.Parent] {
		seen[z.ID] = true
		chain = append(chain, z)
	}
	return chain
}

// RuntimeChain returns the runtime a component runs on and the runtimes
// below it (a namespace, then its cluster), innermost first; nil for a
// component without a runtime.
func (g *Graph) RuntimeChain(componentID string) []*Runtime {
	c := g.components[componentID]
	if c == nil {
		return nil
	}
	var chain []*Runtime
	seen := make(map[string]bool)
	for r := g.runtimes[c.Runtime]; r != nil && !seen[r.ID]; r = g.runtimes[r.Parent] {
		seen[r.ID] = true
		chain = append(chain, r)
	}
	return chain
}

// TrustLevel returns a zone's trust (0-100): its explicit trust, or the default
// of its kind. An unknown zone has trust 0.
func (z *Zone) TrustLevel() int {
	if z == nil {
		return 0
	}
	if z.Trust != nil {
		return *z.Trust
	}
	return defaultTrust[z.Kind]
}

var defaultTrust = map[ZoneKind]int{
	ZoneInternet:   0,
	ZonePartner:    20,
	ZoneDMZ:        30,
	ZoneInternal:   50,
	ZoneRestricted: 80,
	ZoneManagement: 90,
}

// ZonesCrossed returns the ids of the zone boundaries an interface crosses:
// the zones it leaves (from the caller's zone up to, not including, the
// common ancestor) then the zones it enters (down to the callee's zone).
// It is empty when both ends are in the same zone.
func (g *Graph) ZonesCrossed(f *Interface) []string {
	from, to := g.components[f.From], g.components[f.To]
	if from == nil || to == nil || from.Zone == to.Zone {
		return nil
	}
	up := g.ZoneAncestors(from.Zone)
	down := g.ZoneAncestors(to.Zone)
	var crossed []string
	common := len(down)
outer:
	for _, z := range up {
		for i, d := range down { // chains are a few zones long
			if d == z {
				common = i
				break outer
			}
		}
		crossed = append(crossed, z.ID)
	}
	for i := common - 1; i >= 0; i-- {
		crossed = append(crossed, down[i].ID)
	}
	return crossed
}

// CrossesZones reports whether the caller and callee are in different zones.
func (g *Graph) CrossesZones(f *Interface) bool {
	from, to := g.components[f.From], g.components[f.To]
	return from != nil && to != nil && from.Zone != to.Zone
}

// TrustDelta returns the callee zone's trust minus the caller zone's: a
// positive delta means the interface goes into a more trusted zone.
func (g *Graph) TrustDelta(f *Interface) int {
	from, to := g.components[f.From], g.components[f.To]
	if from == nil || to == nil {
		return 0
	}
	return g.zones[to.Zone].TrustLevel() - g.zones[from.Zone].TrustLevel()
}

// InInternetZone reports whether the component sits in a zone of kind
// internet (or below one).
func (g *Graph) InInternetZone(componentID string) bool {
	c := g.components[componentID]
	if c == nil {
		return false
	}
	for _, z := range g.ZoneAncestors(c.Zone) {
		if z.Kind == ZoneInternet {
			return true
		}
	}
	return false
}

// FromInternet reports whether the interface's caller is an internet source.
func (g *Graph) FromInternet(f *Interface) bool { return g.InInternetZone(f.From) }

// Reach returns how the component can be reached from the internet.
func (g *Graph) Reach(componentID string) Reach { return g.reach[componentID] }

// ReachableFromInternet reports whether a path of interfaces leads from an
// internet source to the component.
func (g *Graph) ReachableFromInternet(componentID string) bool {
	return g.reach[componentID].Reachable
}

// InternetPath returns the interfaces of the shortest path from an internet
// source to the component, source side first; nil for a source or an
// unreachable component.
func (g *Graph) InternetPath(componentID string) []*Interface {
	var path []*Interface
	for r := g.reach[componentID]; r.Reachable && r.Via != ""; r = g.reach[g.interfaces[r.Via].From] {
		path = append(path, g.interfaces[r.Via])
		if len(path) > len(g.interfaces) {
			break
		}
	}
	slices.Reverse(path)
	return path
}

// computeReach runs one breadth-first search from every internet source.
func (g *Graph) computeReach() map[string]Reach {
	reach := make(map[string]Reach, len(g.components))
	var queue []string
	for i := range g.Model.Components {
		c := &g.Model.Components[i]
		if c.Exposure == ExposurePublic || g.InInternetZone(c.ID) {
			reach[c.ID] = Reach{Reachable: true}
			queue = append(queue, c.ID)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		hops := reach[id].Hops
		for _, f := range g.out[id] {
			if _, ok := g.components[f.To]; !ok {
				continue
			}
			if _, seen := reach[f.To]; seen {
				continue
			}
			reach[f.To] = Reach{Reachable: true, Hops: hops + 1, Via: f.ID}
			queue = append(queue, f.To)
		}
	}
	return reach
}

// Facts returns the highest classification of the data the component
// stores, processes and carries.
func (g *Graph) Facts(componentID string) DataFacts { return g.facts[componentID] }

// MaxClassification returns the highest classification of the data the
// component stores, processes or carries on its interfaces.
func (g *Graph) MaxClassification(componentID string) Classification {
	return g.facts[componentID].Max
}

// InterfaceClassification returns the highest classification the interface
// carries.
func (g *Graph) InterfaceClassification(f *Interface) Classification {
	var max Classification
	for _, lists := range [][]string{f.Sends, f.Receives} {
		for _, id := range lists {
			max = higher(max, g.classOf(id))
		}
	}
	return max
}

func (g *Graph) classOf(dataID string) Classification {
	if d := g.data[dataID]; d != nil {
		return d.Classification
	}
	return ""
}

func higher(a, b Classification) Classification {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

func (g *Graph) computeFacts() map[string]DataFacts {
	facts := make(map[string]DataFacts, len(g.components))
	for i := range g.Model.Components {
		c := &g.Model.Components[i]
		var f DataFacts
		for _, id := range c.Stores {
			f.Stored = higher(f.Stored, g.classOf(id))
			f.TenantScoped = f.TenantScoped || g.data[id] != nil && g.data[id].TenantScoped
		}
		for _, id := range c.Processes {
			f.Processed = higher(f.Processed, g.classOf(id))
			f.TenantScoped = f.TenantScoped || g.data[id] != nil && g.data[id].TenantScoped
		}
		facts[c.ID] = f
	}
	for i := range g.Model.Interfaces {
		f := &g.Model.Interfaces[i]
		cl := g.InterfaceClassification(f)
		for _, end := range []string{f.From, f.To} {
			if df, ok := facts[end]; ok {
				df.Carried = higher(df.Carried, cl)
				facts[end] = df
			}
		}
	}
	for id, f := range facts {
		f.Max = higher(higher(f.Stored, f.Processed), f.Carried)
		facts[id] = f
	}
	return facts
}

// CoLocated returns the components hosted on the runtime or on runtimes
// below it, sorted by id.
func (g *Graph) CoLocated(runtimeID string) []*Component { return g.runtimeComps[runtimeID] }

// CoLocations returns every runtime hosting two or more components, in
// model order, with those components.
func (g *Graph) CoLocations() []CoLocation {
	var out []CoLocation
	for i := range g.Model.Runtimes {
		r := &g.Model.Runtimes[i]
		if cs := g.runtimeComps[r.ID]; len(cs) > 1 {
			out = append(out, CoLocation{Runtime: r, Components: cs})
		}
	}
	return out
}

// Hash returns the SHA-256 of the model's canonical JSON form (elements in
// model order, positions and file layout left out), as "sha256:<hex>".
// Moving an element to another include file keeps the hash; changing any
// value changes it. A review binds to this hash.
func (m *Model) Hash() string {
	c := *m
	c.Includes = nil
	b, err := json.Marshal(&c)
	if err != nil {
		// Every type in the model marshals; this cannot happen.
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// splitStandard splits name@version.
func splitStandard(s string) (name, version string) {
	name, version, _ = strings.Cut(s, "@")
	return name, version
}
