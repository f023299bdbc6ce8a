// Package model is Redline's architecture model as code: the Go types of an
// ArchitectureModel (data, tenancy, runtimes, zones, components, interfaces and
// exceptions), their strict YAML decoding with file:line errors, validation,
// the graph index with derived facts the threat rules read, and model diffs.
package model

import (
	"fmt"
	"time"
)

// APIVersion is the schema version this package reads and writes.
const APIVersion = "redline.dev/v1alpha1"

// Pos is where an element was written: the file (as named by the user or the
// include that pulled it in) and the 1-based line and column of its first key.
type Pos struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String returns file:line:column, or whatever part of it is known.
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<model>"
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Model is a whole architecture model after includes are merged. Element ids
// are unique across all element kinds (a data asset and a component cannot
// share an id), so an id alone names an element.
type Model struct {
	APIVersion string   `yaml:"apiVersion" json:"apiVersion" model:"required" doc:"Schema version: redline.dev/v1alpha1."`
	Kind       Kind     `yaml:"kind" json:"kind" model:"required" doc:"ArchitectureModel for the root file, ArchitectureModelPart for an included file."`
	Includes   []string `yaml:"includes" json:"includes,omitempty" doc:"Other model files (ArchitectureModelPart), relative to this file; their elements are merged into the model."`
	Metadata   Metadata `yaml:"metadata" json:"metadata" doc:"What the model describes and what it is reviewed against. Root file only."`
	Tenancy    Tenancy  `yaml:"tenancy" json:"tenancy" doc:"How tenants share the product and how they are isolated per layer. Root file only."`

	Data       []DataAsset `yaml:"data" json:"data,omitempty" doc:"Data assets with their classification."`
	Zones      []Zone      `yaml:"zones" json:"zones,omitempty" doc:"Network zones (trust boundaries)."`
	Runtimes   []Runtime   `yaml:"runtimes" json:"runtimes,omitempty" doc:"Deployment runtimes: clusters, namespaces, VMs, serverless, managed services."`
	Components []Component `yaml:"components" json:"components,omitempty" doc:"Components with their defense-in-depth controls per layer."`
	Interfaces []Interface `yaml:"interfaces" json:"interfaces,omitempty" doc:"Interfaces and data flows between components (request direction)."`
	Exceptions []Exception `yaml:"exceptions" json:"exceptions,omitempty" doc:"Time-boxed exceptions to rules. Red-line rules cannot be excepted."`

	// Files lists every file the model was read from, root first, then
	// includes in the order they were first reached. Not part of the YAML.
	Files []string `yaml:"-" json:"-"`
	Pos   Pos      `yaml:"-" json:"-"`

	// keyPos holds where each key of each element was written, for
	// KeyPos; empty for a model built in Go.
	keyPos map[string]Pos
}

// KeyPos returns where a key of an element was written: element is an
// element id ("metadata" and "tenancy" name those sections), key a path
// inside it ("zone", "tls.version", "controls.gateway.waf", "processes[1]").
// It falls back to the element's own position, then to the model's, when
// the key was not written (or the model was not decoded from YAML).
func (m *Model) KeyPos(element, key string) Pos {
	if p, ok := m.keyPos[element+"\x00"+key]; ok {
		return p
	}
	switch element {
	case "metadata":
		return m.Metadata.Pos
	case "tenancy":
		return m.Tenancy.Pos
	}
	for i := range m.Data {
		if m.Data[i].ID == element {
			return m.Data[i].Pos
		}
	}
	for i := range m.Zones {
		if m.Zones[i].ID == element {
			return m.Zones[i].Pos
		}
	}
	for i := range m.Runtimes {
		if m.Runtimes[i].ID == element {
			return m.Runtimes[i].Pos
		}
	}
	for i := range m.Components {
		if m.Components[i].ID == element {
			return m.Components[i].Pos
		}
	}
	for i := range m.Interfaces {
		if m.Interfaces[i].ID == element {
			return m.Interfaces[i].Pos
		}
	}
	return m.Pos
}

// Metadata says what product and release the model describes, who owns it,
// and which standard (rule pack) it is reviewed against.
type Metadata struct {
	Product             string            `yaml:"product" json:"product" model:"required,id" doc:"Stable slug of the product (a-z, 0-9, '-', '.', '_'); findings name it as their target."`
	Name                string            `yaml:"name" json:"name,omitempty" doc:"Display name of the product."`
	Release             string            `yaml:"release" json:"release" model:"required" doc:"Release the model describes, e.g. 2026.03 or v4.2; a review binds to product, release and model hash."`
	Description         string            `yaml:"description" json:"description,omitempty"`
	Owner               string            `yaml:"owner" json:"owner" model:"required" doc:"Owning team."`
	SecurityContact     string            `yaml:"securityContact" json:"securityContact,omitempty" doc:"Mail address or channel of the security contact."`
	Standard            string            `yaml:"standard" json:"standard" model:"required" doc:"Standard (rule pack) and version the model is reviewed against, as name@version, e.g. corp-baseline@2026H1."`
	BusinessCriticality Criticality       `yaml:"businessCriticality" json:"businessCriticality,omitempty" doc:"How much the business depends on the product."`
	Environments        []string          `yaml:"environments" json:"environments,omitempty" doc:"Environments the model covers, e.g. prod, staging."`
	Labels              map[string]string `yaml:"labels" json:"labels,omitempty" doc:"Free-form labels (business unit, cost centre...)."`
	Pos                 Pos               `yaml:"-" json:"-"`
}

// StandardName returns the name part of Standard ("corp-baseline" of
// "corp-baseline@2026H1").
func (m Metadata) StandardName() string {
	name, _ := splitStandard(m.Standard)
	return name
}

// StandardVersion returns the version part of Standard ("2026H1" of
// "corp-baseline@2026H1"), or "" when none is given.
func (m Metadata) StandardVersion() string {
	_, v := splitStandard(m.Standard)
	return v
}

// DataAsset is a kind of data the product handles.
type DataAsset struct {
	ID             string         `yaml:"id" json:"id" model:"required,id"`
	Name           string         `yaml:"name" json:"name,omitempty"`
	Description    string         `yaml:"description" json:"description,omitempty"`
	Classification Classification `yaml:"classification" json:"classification" model:"required" doc:"Confidentiality: public < internal < confidential < restricted < secret."`
	Categories     []DataCategory `yaml:"categories" json:"categories,omitempty" doc:"Regulated or sensitive categories the data falls in."`
	TenantScoped   bool           `yaml:"tenantScoped" json:"tenantScoped,omitempty" doc:"Each record belongs to one tenant and must never reach another."`
	Integrity      Criticality    `yaml:"integrity" json:"integrity,omitempty" doc:"Impact of tampering."`
	Availability   Criticality    `yaml:"availability" json:"availability,omitempty" doc:"Impact of loss or outage."`
	Residency      []string       `yaml:"residency" json:"residency,omitempty" doc:"Regions the data may be stored or processed in; empty means anywhere."`
	Owner          string         `yaml:"owner" json:"owner,omitempty"`
	Pos            Pos            `yaml:"-" json:"-"`
}

// Tenancy describes how tenants share the product and how each layer keeps
// them apart.
type Tenancy struct {
	Model          TenancyModel   `yaml:"model" json:"model,omitempty" doc:"single: one customer per deployment; multi: tenants share deployments."`
	TenantIDSource TenantIDSource `yaml:"tenantIdSource" json:"tenantIdSource,omitempty" doc:"Where services learn the caller's tenant; header and path are client-controlled."`
	Isolation      Isolation      `yaml:"isolation" json:"isolation,omitempty" doc:"Isolation mechanism per layer."`
	Notes          string         `yaml:"notes" json:"notes,omitempty"`
	Pos            Pos            `yaml:"-" json:"-"`
}

// Isolation is the tenant-isolation mechanism of each layer.
type Isolation struct {
	Compute ComputeIsolation `yaml:"compute" json:"compute,omitempty"`
	Network NetworkIsolation `yaml:"network" json:"network,omitempty"`
	Data    DataIsolation    `yaml:"data" json:"data,omitempty"`
	Keys    KeyIsolation     `yaml:"keys" json:"keys,omitempty"`
	Quotas  QuotaIsolation   `yaml:"quotas" json:"quotas,omitempty"`
}

// Runtime is where components run: a Kubernetes cluster or namespace, a VM,
// a serverless platform, a managed service, bare metal. A runtime may sit on
// a parent runtime (a namespace on its cluster); components on runtimes with
// a common shared ancestor are co-located.
type Runtime struct {
	ID          string          `yaml:"id" json:"id" model:"required,id"`
	Name        string          `yaml:"name" json:"name,omitempty"`
	Kind        RuntimeKind     `yaml:"kind" json:"kind" model:"required"`
	Parent      string          `yaml:"parent" json:"parent,omitempty" doc:"Runtime this one runs on, e.g. the cluster of a namespace."`
	Provider    string          `yaml:"provider" json:"provider,omitempty" doc:"aws, gcp, azure, alibaba, on-prem..."`
	Region      string          `yaml:"region" json:"region,omitempty"`
	Environment string          `yaml:"environment" json:"environment,omitempty" doc:"prod, staging, dev..."`
	Sandbox     Sandbox         `yaml:"sandbox" json:"sandbox,omitempty" doc:"Workload sandbox: none, gvisor, kata, firecracker, vm."`
	Sharing     Sharing         `yaml:"sharing" json:"sharing,omitempty" doc:"shared: hosts workloads of other products, trust levels or tenants; dedicated: only this product's."`
	Controls    RuntimeControls `yaml:"controls" json:"controls,omitempty"`
	Pos         Pos             `yaml:"-" json:"-"`
}

// RuntimeControls are platform-wide virtualization-layer controls.
type RuntimeControls struct {
	AdmissionPolicy bool `yaml:"admissionPolicy" json:"admissionPolicy,omitempty" doc:"Admission control enforces pod security / signed images."`
	NodeHardening   bool `yaml:"nodeHardening" json:"nodeHardening,omitempty" doc:"Nodes follow a hardening baseline."`
	NetworkPolicy   bool `yaml:"networkPolicy" json:"networkPolicy,omitempty" doc:"The platform enforces network policies."`
	AuditLogging    bool `yaml:"auditLogging" json:"auditLogging,omitempty" doc:"Control-plane audit logs are kept centrally."`
	PrivateAPI      bool `yaml:"privateAPI" json:"privateAPI,omitempty" doc:"The control-plane API is not reachable from the internet."`
}

// Zone is a network zone: a trust boundary. Zones nest through Parent
// (a subnet in a VPC); crossing from one zone to another crosses every zone
// boundary on the way through their common ancestor.
type Zone struct {
	ID                 string       `yaml:"id" json:"id" model:"required,id"`
	Name               string       `yaml:"name" json:"name,omitempty"`
	Kind               ZoneKind     `yaml:"kind" json:"kind" model:"required" doc:"Trust class: internet < partner < dmz < internal < restricted < management."`
	Trust              *int         `yaml:"trust" json:"trust,omitempty" model:"min=0,max=100" doc:"Trust 0-100; defaults by kind (internet 0, partner 20, dmz 30, internal 50, restricted 80, management 90)."`
	Parent             string       `yaml:"parent" json:"parent,omitempty"`
	DefaultDenyIngress bool         `yaml:"defaultDenyIngress" json:"defaultDenyIngress,omitempty" doc:"Ingress is denied unless allowed."`
	Egress             Egress       `yaml:"egress" json:"egress,omitempty"`
	Access             []ZoneAccess `yaml:"access" json:"access,omitempty" doc:"How people reach the zone (management zones): bastion, vpn, zero-trust-proxy, direct."`
	Pos                Pos          `yaml:"-" json:"-"`
}

// Egress is a zone's outbound policy.
type Egress struct {
	Default EgressDefault `yaml:"default" json:"default,omitempty"`
	Allow   []string      `yaml:"allow" json:"allow,omitempty" doc:"Allowed destinations (component ids, host names or CIDRs)."`
}

// Component is a deployable or external part of the architecture.
type Component struct {
	ID          string        `yaml:"id" json:"id" model:"required,id"`
	Name        string        `yaml:"name" json:"name,omitempty"`
	Description string        `yaml:"description" json:"description,omitempty"`
	Type        ComponentType `yaml:"type" json:"type" model:"required"`
	Tech        []string      `yaml:"tech" json:"tech,omitempty" doc:"Technologies, e.g. envoy, postgresql, go."`
	Zone        string        `yaml:"zone" json:"zone" model:"required"`
	Runtime     string        `yaml:"runtime" json:"runtime,omitempty" doc:"Runtime it runs on; empty for clients and external systems."`
	Region      string        `yaml:"region" json:"region,omitempty" doc:"Region, when not the runtime's."`
	Exposure    Exposure      `yaml:"exposure" json:"exposure,omitempty" doc:"Who can reach it: public, partner, internal, private."`
	Tenancy     Sharing       `yaml:"tenancy" json:"tenancy,omitempty" doc:"shared: one instance serves all tenants; dedicated: an instance per tenant."`

	Processes []string `yaml:"processes" json:"processes,omitempty" doc:"Data assets it processes."`
	Stores    []string `yaml:"stores" json:"stores,omitempty" doc:"Data assets it stores."`

	Accepts           []DataFormat      `yaml:"accepts" json:"accepts,omitempty" doc:"Input formats it parses."`
	CustomCode        bool              `yaml:"customCode" json:"customCode,omitempty" doc:"Contains code developed for this product."`
	HumanUser         bool              `yaml:"humanUser" json:"humanUser,omitempty" doc:"A person uses it (browser, console, laptop)."`
	RunsUntrustedCode bool              `yaml:"runsUntrustedCode" json:"runsUntrustedCode,omitempty" doc:"Executes code, plugins or scripts supplied by tenants or users."`
	Platform          bool              `yaml:"platform" json:"platform,omitempty" doc:"Platform component (agent, CNI, CI runner) allowed privileged access to its runtime."`
	OutOfScope        bool              `yaml:"outOfScope" json:"outOfScope,omitempty" doc:"Modelled for context but not reviewed."`
	Secrets           SecretStore       `yaml:"secrets" json:"secrets,omitempty" doc:"Where its secrets come from."`
	EncryptionAtRest  Encryption        `yaml:"encryptionAtRest" json:"encryptionAtRest,omitempty"`
	WorkloadIdentity  string            `yaml:"workloadIdentity" json:"workloadIdentity,omitempty" doc:"Workload identity, e.g. spiffe://corp/payments/api."`
	Logging           Logging           `yaml:"logging" json:"logging,omitempty"`
	Controls          Controls          `yaml:"controls" json:"controls,omitempty" doc:"Defense-in-depth controls by layer."`
	Labels            map[string]string `yaml:"labels" json:"labels,omitempty"`
	Pos               Pos               `yaml:"-" json:"-"`
}

// Logging says what a component records and where it goes.
type Logging struct {
	Audit         bool `yaml:"audit" json:"audit,omitempty" doc:"Security-relevant actions are audit-logged (who, what, when, tenant)."`
	Central       bool `yaml:"central" json:"central,omitempty" doc:"Logs are shipped to central storage the workload cannot alter."`
	RetentionDays int  `yaml:"retentionDays" json:"retentionDays,omitempty" model:"min=0,max=36500"`
}

// Controls are a component's defense-in-depth controls, one group per layer.
type Controls struct {
	Virtualization VirtualizationControls `yaml:"virtualization" json:"virtualization,omitempty"`
	Network        NetworkControls        `yaml:"network" json:"network,omitempty"`
	Gateway        GatewayControls        `yaml:"gateway" json:"gateway,omitempty"`
	Application    ApplicationControls    `yaml:"application" json:"application,omitempty"`
	Host           HostControls           `yaml:"host" json:"host,omitempty"`
}

// VirtualizationControls are the workload's container or VM settings.
type VirtualizationControls struct {
	Privileged           bool    `yaml:"privileged" json:"privileged,omitempty"`
	HostNamespaces       bool    `yaml:"hostNamespaces" json:"hostNamespaces,omitempty" doc:"Shares the host's network, PID or IPC namespace."`
	RuntimeSocketMounted bool    `yaml:"runtimeSocketMounted" json:"runtimeSocketMounted,omitempty" doc:"Mounts the container runtime socket."`
	ReadOnlyRootFS       bool    `yaml:"readOnlyRootFS" json:"readOnlyRootFS,omitempty"`
	RunAsNonRoot         bool    `yaml:"runAsNonRoot" json:"runAsNonRoot,omitempty"`
	Seccomp              Seccomp `yaml:"seccomp" json:"seccomp,omitempty"`
	ResourceLimits       bool    `yaml:"resourceLimits" json:"resourceLimits,omitempty"`
}

// NetworkControls are network-layer controls around a component.
type NetworkControls struct {
	MTLS             MTLSMode      `yaml:"mtls" json:"mtls,omitempty" doc:"Mutual TLS on inbound traffic: none, permissive, strict."`
	ServiceMesh      bool          `yaml:"serviceMesh" json:"serviceMesh,omitempty" doc:"Traffic passes a mesh sidecar or node proxy."`
	NetworkPolicy    NetworkPolicy `yaml:"networkPolicy" json:"networkPolicy,omitempty"`
	EgressRestricted bool          `yaml:"egressRestricted" json:"egressRestricted,omitempty"`
	IPAllowList      bool          `yaml:"ipAllowList" json:"ipAllowList,omitempty"`
	DDoSProtection   bool          `yaml:"ddosProtection" json:"ddosProtection,omitempty"`
}

// GatewayControls are controls an API gateway, WAF or proxy applies in front
// of or inside a component.
type GatewayControls struct {
	WAF              bool          `yaml:"waf" json:"waf,omitempty" doc:"A web application firewall inspects inbound requests."`
	RateLimit        RateLimit     `yaml:"rateLimit" json:"rateLimit,omitempty"`
	Authentication   bool          `yaml:"authentication" json:"authentication,omitempty" doc:"The gateway authenticates callers before routing."`
	Authorization    Authorization `yaml:"authorization" json:"authorization,omitempty" doc:"Coarse authorization enforced at the gateway."`
	SchemaValidation bool          `yaml:"schemaValidation" json:"schemaValidation,omitempty" doc:"Requests are validated against the API schema."`
	BotProtection    bool          `yaml:"botProtection" json:"botProtection,omitempty"`
}

// RateLimit is flow control on inbound requests.
type RateLimit struct {
	Enabled   bool `yaml:"enabled" json:"enabled,omitempty"`
	RPS       int  `yaml:"rps" json:"rps,omitempty" model:"min=0"`
	PerTenant bool `yaml:"perTenant" json:"perTenant,omitempty" doc:"Limits apply per tenant, not only globally."`
}

// ApplicationControls are controls in the component's own code.
type ApplicationControls struct {
	InputValidation bool `yaml:"inputValidation" json:"inputValidation,omitempty"`
	OutputEncoding  bool `yaml:"outputEncoding" json:"outputEncoding,omitempty"`
	CSRFProtection  bool `yaml:"csrfProtection" json:"csrfProtection,omitempty"`
	RASP            bool `yaml:"rasp" json:"rasp,omitempty" doc:"Runtime application self-protection."`
	AuthzChecks     bool `yaml:"authzChecks" json:"authzChecks,omitempty" doc:"Object-level authorization (including tenant ownership) on every request."`
	SecureSessions  bool `yaml:"secureSessions" json:"secureSessions,omitempty"`
	DependencyScan  bool `yaml:"dependencyScan" json:"dependencyScan,omitempty" doc:"Dependencies are scanned in CI."`
}

// HostControls are controls on the host or node the component runs on.
type HostControls struct {
	Hardening         Hardening         `yaml:"hardening" json:"hardening,omitempty" doc:"Hardening baseline: none, cis-l1, cis-l2, vendor, custom."`
	PatchSLADays      int               `yaml:"patchSlaDays" json:"patchSlaDays,omitempty" model:"min=0,max=3650" doc:"Days to apply security patches; 0 means not declared."`
	EDR               bool              `yaml:"edr" json:"edr,omitempty" doc:"Endpoint detection and response or host intrusion detection."`
	RuntimeMonitoring RuntimeMonitoring `yaml:"runtimeMonitoring" json:"runtimeMonitoring,omitempty"`
	FileIntegrity     bool              `yaml:"fileIntegrity" json:"fileIntegrity,omitempty"`
}

// Interface is an API or data flow from one component to another, in the
// direction requests go.
type Interface struct {
	ID             string         `yaml:"id" json:"id" model:"required,id"`
	Name           string         `yaml:"name" json:"name,omitempty"`
	Description    string         `yaml:"description" json:"description,omitempty"`
	From           string         `yaml:"from" json:"from" model:"required" doc:"Calling component."`
	To             string         `yaml:"to" json:"to" model:"required" doc:"Called component."`
	Protocol       Protocol       `yaml:"protocol" json:"protocol" model:"required"`
	Port           int            `yaml:"port" json:"port,omitempty" model:"min=0,max=65535"`
	TLS            TLS            `yaml:"tls" json:"tls,omitempty"`
	Authentication Authentication `yaml:"authentication" json:"authentication" model:"required" doc:"How the callee authenticates the caller."`
	MFA            bool           `yaml:"mfa" json:"mfa,omitempty" doc:"A second factor is required (human callers)."`
	Authorization  Authorization  `yaml:"authorization" json:"authorization" model:"required" doc:"How the callee authorizes the request."`
	Propagation    Propagation    `yaml:"propagation" json:"propagation,omitempty" doc:"Context carried with each request (zero trust)."`
	Sends          []string       `yaml:"sends" json:"sends,omitempty" doc:"Data assets sent to the callee (request)."`
	Receives       []string       `yaml:"receives" json:"receives,omitempty" doc:"Data assets returned to the caller (response)."`
	Usage          Usage          `yaml:"usage" json:"usage,omitempty" doc:"business or devops traffic."`
	ReadOnly       bool           `yaml:"readOnly" json:"readOnly,omitempty"`
	VPN            bool           `yaml:"vpn" json:"vpn,omitempty"`
	IPAllowList    bool           `yaml:"ipAllowList" json:"ipAllowList,omitempty"`
	Anonymous      bool           `yaml:"anonymous" json:"anonymous,omitempty" doc:"Unauthenticated access is intended (public content)."`
	Pos            Pos            `yaml:"-" json:"-"`
}

// Carries returns the data assets the interface carries in either direction,
// sends first, without duplicates.
func (i *Interface) Carries() []string {
	out := make([]string, 0, len(i.Sends)+len(i.Receives))
	seen := make(map[string]bool, cap(out))
	for _, list := range [][]string{i.Sends, i.Receives} {
		for _, d := range list {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// Encrypted reports whether traffic on the interface is encrypted in
// transit: a TLS version is given, or the protocol encrypts by itself.
func (i *Interface) Encrypted() bool {
	switch i.TLS.Version {
	case TLS10, TLS11, TLS12, TLS13:
		return true
	case TLSNone:
		return false
	}
	switch i.Protocol {
	case ProtocolHTTPS, ProtocolSSH, ProtocolSFTP, ProtocolLDAPS, ProtocolInProcess:
		return true
	}
	return false
}

// TLS is an interface's transport security.
type TLS struct {
	Version TLSVersion `yaml:"version" json:"version,omitempty" doc:"Lowest TLS version accepted, or none for cleartext."`
	Mutual  bool       `yaml:"mutual" json:"mutual,omitempty" doc:"The client presents a certificate (mTLS)."`
}

// Propagation is the request context an interface carries downstream.
type Propagation struct {
	Identity IdentityPropagation `yaml:"identity" json:"identity,omitempty" doc:"Whose identity the callee sees: end-user, service, none."`
	Tenant   bool                `yaml:"tenant" json:"tenant,omitempty" doc:"The tenant context is carried in a form the caller cannot forge (signed token, mTLS identity)."`
	Risk     bool                `yaml:"risk" json:"risk,omitempty" doc:"A risk signal (device posture, session risk) is carried for adaptive decisions."`
}

// Exception excepts one element from one rule until a date. Red-line rules
// cannot be excepted; an expired exception no longer applies.
type Exception struct {
	Rule       string    `yaml:"rule" json:"rule" model:"required" doc:"Rule id, e.g. APP-002."`
	Element    string    `yaml:"element" json:"element" model:"required" doc:"Id of the element the finding is about, or 'model' for model-wide findings."`
	Reason     string    `yaml:"reason" json:"reason" model:"required"`
	Owner      string    `yaml:"owner" json:"owner" model:"required" doc:"Who is accountable for closing the gap."`
	ApprovedBy string    `yaml:"approvedBy" json:"approvedBy,omitempty"`
	Expires    time.Time `yaml:"expires" json:"expires" model:"required" doc:"Last day the exception applies (YYYY-MM-DD)."`
	Ticket     string    `yaml:"ticket" json:"ticket,omitempty"`
	Pos        Pos       `yaml:"-" json:"-"`
}

// ModelElement is the reserved Exception.Element for model-wide findings.
const ModelElement = "model"

// Active reports whether the exception applies on the given day: until the
// end of its expiry date (UTC).
func (e *Exception) Active(now time.Time) bool {
	return now.UTC().Before(e.Expires.AddDate(0, 0, 1))
}
