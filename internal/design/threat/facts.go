package threat

import (
	"fmt"
	"strings"

	"github.com/redline-sec/redline/internal/design/model"
)

// Small predicates the rules share, over the model's graph.

// isWorkload reports whether a component runs in the product's own
// infrastructure (not a client, an external system or out of scope).
func isWorkload(c *model.Component) bool {
	if c == nil || c.OutOfScope {
		return false
	}
	return c.Type != model.TypeClient && c.Type != model.TypeExternal
}

// isEntry reports whether a component is a traffic entry point that only
// forwards requests: load balancer, WAF, gateway or reverse proxy.
func isEntry(c *model.Component) bool {
	switch c.Type {
	case model.TypeLoadBalancer, model.TypeWAF, model.TypeGateway, model.TypeReverseProxy:
		return true
	}
	return false
}

// isStore reports whether a component keeps data: database, object store,
// cache, queue or search engine.
func isStore(c *model.Component) bool {
	switch c.Type {
	case model.TypeDatastore, model.TypeObjectStore, model.TypeCache, model.TypeQueue, model.TypeSearch:
		return true
	}
	return false
}

// isApp reports whether a component runs application code that handles
// requests.
func isApp(c *model.Component) bool {
	switch c.Type {
	case model.TypeWebApp, model.TypeService, model.TypeFunction, model.TypeAdminConsole, model.TypeWorker:
		return true
	}
	return false
}

// isContainerRuntime reports whether a runtime runs containers.
func isContainerRuntime(r *model.Runtime) bool {
	return r != nil && (r.Kind == model.RuntimeKubernetesCluster || r.Kind == model.RuntimeKubernetesNamespace)
}

// ownsHost reports whether the product operates the hosts of a runtime (a
// VM, bare metal or a Kubernetes node), as opposed to a provider.
func ownsHost(r *model.Runtime) bool {
	if r == nil {
		return false
	}
	switch r.Kind {
	case model.RuntimeVM, model.RuntimeBareMetal, model.RuntimeKubernetesCluster, model.RuntimeKubernetesNamespace:
		return true
	}
	return false
}

// runtimeOf returns the runtime a component runs on, or nil.
func (x *evalCtx) runtimeOf(c *model.Component) *model.Runtime { return x.g.Runtime(c.Runtime) }

// zoneKindOf returns the kind of a component's zone.
func (x *evalCtx) zoneKindOf(c *model.Component) model.ZoneKind {
	if z := x.g.Zone(c.Zone); z != nil {
		return z.Kind
	}
	return ""
}

// external reports whether an interface's caller sits outside the
// product's network: in an internet or partner zone.
func (x *evalCtx) external(f *model.Interface) bool {
	from := x.g.Component(f.From)
	if from == nil {
		return false
	}
	if x.g.InInternetZone(from.ID) {
		return true
	}
	return x.zoneKindOf(from) == model.ZonePartner
}

// maxRank returns the rank of the highest classification a component
// touches.
func (x *evalCtx) maxRank(c *model.Component) int { return x.g.MaxClassification(c.ID).Rank() }

// ifaceRank returns the rank of the highest classification an interface
// carries.
func (x *evalCtx) ifaceRank(f *model.Interface) int { return x.g.InterfaceClassification(f).Rank() }

// tenantData reports whether an interface carries tenant-scoped data.
func (x *evalCtx) tenantData(f *model.Interface) bool {
	for _, id := range f.Carries() {
		if d := x.g.Data(id); d != nil && d.TenantScoped {
			return true
		}
	}
	return false
}

// multiTenant reports whether tenants share the product's deployments.
func (x *evalCtx) multiTenant() bool { return x.m.Tenancy.Model == model.MultiTenant }

// regionOf returns the region a component runs in: its own, else its
// runtime chain's.
func (x *evalCtx) regionOf(c *model.Component) string {
	if c.Region != "" {
		return c.Region
	}
	for _, r := range x.g.RuntimeChain(c.ID) {
		if r.Region != "" {
			return r.Region
		}
	}
	return ""
}

// rankOf is the rank of a classification, for comparisons.
func rankOf(c model.Classification) int { return c.Rank() }

// path renders an interface path as "a → b → c".
func (x *evalCtx) path(id string) string {
	p := x.g.InternetPath(id)
	if len(p) == 0 {
		return id
	}
	parts := []string{p[0].From}
	for _, f := range p {
		parts = append(parts, f.To)
	}
	return strings.Join(parts, " → ")
}

func describeIface(f *model.Interface) string {
	return fmt.Sprintf("%s (%s → %s, %s)", f.ID, f.From, f.To, f.Protocol)
}

// Short names for the model types the rules use everywhere.
type (
	modelComponent = model.Component
	modelInterface = model.Interface
)
