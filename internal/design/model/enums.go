package model

// The enumerations of the schema. Every enum is a string type whose allowed
// values the decoder checks and the JSON Schema lists, in the order given.

// Kind is the document kind.
type Kind string

// The values of Kind.
const (
	KindModel Kind = "ArchitectureModel"
	KindPart  Kind = "ArchitectureModelPart"
)

var kindValues = []string{"ArchitectureModel", "ArchitectureModelPart"}

func (Kind) allowed() []string { return kindValues }

// Classification is the confidentiality of a data asset, ordered public < internal < confidential < restricted < secret (Rank 1..5; 0 when unset).
type Classification string

// The values of Classification.
const (
	Public       Classification = "public"
	Internal     Classification = "internal"
	Confidential Classification = "confidential"
	Restricted   Classification = "restricted"
	Secret       Classification = "secret"
)

var classificationValues = []string{"public", "internal", "confidential", "restricted", "secret"}

func (Classification) allowed() []string { return classificationValues }

// Rank returns the position of v in the order of Classification, from 1; 0 when v
// is empty or unknown.
func (v Classification) Rank() int { return rankOf(classificationValues, string(v)) }

// DataCategory is a regulated or sensitive category of data.
type DataCategory string

// The values of DataCategory.
const (
	CategoryPII         DataCategory = "pii"
	CategoryPCI         DataCategory = "pci"
	CategoryPHI         DataCategory = "phi"
	CategoryCredentials DataCategory = "credentials"
	CategoryKeys        DataCategory = "keys"
	CategoryTelemetry   DataCategory = "telemetry"
	CategoryBusiness    DataCategory = "business"
	CategorySourceCode  DataCategory = "source-code"
	CategoryLogs        DataCategory = "logs"
)

var dataCategoryValues = []string{"pii", "pci", "phi", "credentials", "keys", "telemetry", "business", "source-code", "logs"}

func (DataCategory) allowed() []string { return dataCategoryValues }

// Criticality is Threagile's ordered impact scale, used for business criticality, integrity and availability (Rank 1..5; 0 when unset).
type Criticality string

// The values of Criticality.
const (
	Archive         Criticality = "archive"
	Operational     Criticality = "operational"
	Important       Criticality = "important"
	Critical        Criticality = "critical"
	MissionCritical Criticality = "mission-critical"
)

var criticalityValues = []string{"archive", "operational", "important", "critical", "mission-critical"}

func (Criticality) allowed() []string { return criticalityValues }

// Rank returns the position of v in the order of Criticality, from 1; 0 when v
// is empty or unknown.
func (v Criticality) Rank() int { return rankOf(criticalityValues, string(v)) }

// TenancyModel says whether tenants share deployments.
type TenancyModel string

// The values of TenancyModel.
const (
	SingleTenant TenancyModel = "single"
	MultiTenant  TenancyModel = "multi"
)

var tenancyModelValues = []string{"single", "multi"}

func (TenancyModel) allowed() []string { return tenancyModelValues }

// TenantIDSource is where services learn the caller's tenant.
type TenantIDSource string

// The values of TenantIDSource.
const (
	TenantFromToken      TenantIDSource = "token"
	TenantFromMTLS       TenantIDSource = "mtls-identity"
	TenantFromSession    TenantIDSource = "session"
	TenantFromSubdomain  TenantIDSource = "subdomain"
	TenantFromHeader     TenantIDSource = "header"
	TenantFromPath       TenantIDSource = "path"
	TenantFromDeployment TenantIDSource = "deployment"
)

var tenantIDSourceValues = []string{"token", "mtls-identity", "session", "subdomain", "header", "path", "deployment"}

func (TenantIDSource) allowed() []string { return tenantIDSourceValues }

// ComputeIsolation is how tenants' workloads are kept apart.
type ComputeIsolation string

// The values of ComputeIsolation.
const (
	ComputeDedicated     ComputeIsolation = "dedicated"
	ComputeSandboxed     ComputeIsolation = "sandboxed"
	ComputeSharedKernel  ComputeIsolation = "shared-kernel"
	ComputeSharedProcess ComputeIsolation = "shared-process"
)

var computeIsolationValues = []string{"dedicated", "sandboxed", "shared-kernel", "shared-process"}

func (ComputeIsolation) allowed() []string { return computeIsolationValues }

// NetworkIsolation is how tenants' network traffic is kept apart.
type NetworkIsolation string

// The values of NetworkIsolation.
const (
	NetworkDedicatedVPC    NetworkIsolation = "dedicated-vpc"
	NetworkVPCPerTenant    NetworkIsolation = "vpc-per-tenant"
	NetworkSecurityGroup   NetworkIsolation = "security-group"
	NetworkNamespacePolicy NetworkIsolation = "namespace-policy"
	NetworkShared          NetworkIsolation = "shared"
)

var networkIsolationValues = []string{"dedicated-vpc", "vpc-per-tenant", "security-group", "namespace-policy", "shared"}

func (NetworkIsolation) allowed() []string { return networkIsolationValues }

// DataIsolation is how tenants' stored data is kept apart.
type DataIsolation string

// The values of DataIsolation.
const (
	DataDBPerTenant     DataIsolation = "db-per-tenant"
	DataSchemaPerTenant DataIsolation = "schema-per-tenant"
	DataRowLevel        DataIsolation = "row-level"
	DataShared          DataIsolation = "shared"
)

var dataIsolationValues = []string{"db-per-tenant", "schema-per-tenant", "row-level", "shared"}

func (DataIsolation) allowed() []string { return dataIsolationValues }

// KeyIsolation says whether tenants' data is encrypted with their own keys.
type KeyIsolation string

// The values of KeyIsolation.
const (
	KeysPerTenant KeyIsolation = "per-tenant"
	KeysShared    KeyIsolation = "shared"
)

var keyIsolationValues = []string{"per-tenant", "shared"}

func (KeyIsolation) allowed() []string { return keyIsolationValues }

// QuotaIsolation is how resource use is limited between tenants.
type QuotaIsolation string

// The values of QuotaIsolation.
const (
	QuotasPerTenant QuotaIsolation = "per-tenant"
	QuotasGlobal    QuotaIsolation = "global"
	QuotasNone      QuotaIsolation = "none"
)

var quotaIsolationValues = []string{"per-tenant", "global", "none"}

func (QuotaIsolation) allowed() []string { return quotaIsolationValues }

// RuntimeKind is the kind of a deployment runtime. A container-host runs
// containers without Kubernetes (Docker, ECS, Nomad).
type RuntimeKind string

// The values of RuntimeKind.
const (
	RuntimeKubernetesCluster   RuntimeKind = "kubernetes-cluster"
	RuntimeKubernetesNamespace RuntimeKind = "kubernetes-namespace"
	RuntimeContainerHost       RuntimeKind = "container-host"
	RuntimeVM                  RuntimeKind = "vm"
	RuntimeServerless          RuntimeKind = "serverless"
	RuntimeManagedService      RuntimeKind = "managed-service"
	RuntimeBareMetal           RuntimeKind = "bare-metal"
	RuntimeDevice              RuntimeKind = "device"
)

var runtimeKindValues = []string{"kubernetes-cluster", "kubernetes-namespace", "container-host", "vm", "serverless", "managed-service", "bare-metal", "device"}

func (RuntimeKind) allowed() []string { return runtimeKindValues }

// Sandbox is the workload sandbox a runtime applies.
type Sandbox string

// The values of Sandbox.
const (
	SandboxNone        Sandbox = "none"
	SandboxGVisor      Sandbox = "gvisor"
	SandboxKata        Sandbox = "kata"
	SandboxFirecracker Sandbox = "firecracker"
	SandboxVM          Sandbox = "vm"
)

var sandboxValues = []string{"none", "gvisor", "kata", "firecracker", "vm"}

func (Sandbox) allowed() []string { return sandboxValues }

// Sharing says whether something is shared with others or dedicated.
type Sharing string

// The values of Sharing.
const (
	Shared    Sharing = "shared"
	Dedicated Sharing = "dedicated"
)

var sharingValues = []string{"shared", "dedicated"}

func (Sharing) allowed() []string { return sharingValues }

// ZoneKind is the trust class of a network zone, ordered internet < partner < dmz < internal < restricted < management.
type ZoneKind string

// The values of ZoneKind.
const (
	ZoneInternet   ZoneKind = "internet"
	ZonePartner    ZoneKind = "partner"
	ZoneDMZ        ZoneKind = "dmz"
	ZoneInternal   ZoneKind = "internal"
	ZoneRestricted ZoneKind = "restricted"
	ZoneManagement ZoneKind = "management"
)

var zoneKindValues = []string{"internet", "partner", "dmz", "internal", "restricted", "management"}

func (ZoneKind) allowed() []string { return zoneKindValues }

// Rank returns the position of v in the order of ZoneKind, from 1; 0 when v
// is empty or unknown.
func (v ZoneKind) Rank() int { return rankOf(zoneKindValues, string(v)) }

// EgressDefault is a zone's default outbound policy.
type EgressDefault string

// The values of EgressDefault.
const (
	EgressAllow EgressDefault = "allow"
	EgressDeny  EgressDefault = "deny"
)

var egressDefaultValues = []string{"allow", "deny"}

func (EgressDefault) allowed() []string { return egressDefaultValues }

// ZoneAccess is how people reach a zone.
type ZoneAccess string

// The values of ZoneAccess.
const (
	AccessBastion        ZoneAccess = "bastion"
	AccessVPN            ZoneAccess = "vpn"
	AccessZeroTrustProxy ZoneAccess = "zero-trust-proxy"
	AccessDirect         ZoneAccess = "direct"
)

var zoneAccessValues = []string{"bastion", "vpn", "zero-trust-proxy", "direct"}

func (ZoneAccess) allowed() []string { return zoneAccessValues }

// ComponentType is what a component is.
type ComponentType string

// The values of ComponentType.
const (
	TypeClient       ComponentType = "client"
	TypeExternal     ComponentType = "external"
	TypeLoadBalancer ComponentType = "load-balancer"
	TypeWAF          ComponentType = "waf"
	TypeGateway      ComponentType = "gateway"
	TypeReverseProxy ComponentType = "reverse-proxy"
	TypeWebApp       ComponentType = "web-app"
	TypeService      ComponentType = "service"
	TypeWorker       ComponentType = "worker"
	TypeFunction     ComponentType = "function"
	TypeDatastore    ComponentType = "datastore"
	TypeObjectStore  ComponentType = "object-store"
	TypeCache        ComponentType = "cache"
	TypeQueue        ComponentType = "queue"
	TypeSearch       ComponentType = "search"
	TypeIdP          ComponentType = "idp"
	TypeVault        ComponentType = "vault"
	TypeAdminConsole ComponentType = "admin-console"
	TypeBastion      ComponentType = "bastion"
	TypeMonitoring   ComponentType = "monitoring"
	TypeLogging      ComponentType = "logging"
	TypeSourceRepo   ComponentType = "source-repo"
	TypeCI           ComponentType = "ci"
	TypeRegistry     ComponentType = "registry"
)

var componentTypeValues = []string{"client", "external", "load-balancer", "waf", "gateway", "reverse-proxy", "web-app", "service", "worker", "function", "datastore", "object-store", "cache", "queue", "search", "idp", "vault", "admin-console", "bastion", "monitoring", "logging", "source-repo", "ci", "registry"}

func (ComponentType) allowed() []string { return componentTypeValues }

// Exposure is who can reach a component.
type Exposure string

// The values of Exposure.
const (
	ExposurePublic   Exposure = "public"
	ExposurePartner  Exposure = "partner"
	ExposureInternal Exposure = "internal"
	ExposurePrivate  Exposure = "private"
)

var exposureValues = []string{"public", "partner", "internal", "private"}

func (Exposure) allowed() []string { return exposureValues }

// DataFormat is an input format a component parses.
type DataFormat string

// The values of DataFormat.
const (
	FormatJSON          DataFormat = "json"
	FormatXML           DataFormat = "xml"
	FormatYAML          DataFormat = "yaml"
	FormatProtobuf      DataFormat = "protobuf"
	FormatCSV           DataFormat = "csv"
	FormatSerialization DataFormat = "serialization"
	FormatFile          DataFormat = "file"
	FormatHTML          DataFormat = "html"
)

var dataFormatValues = []string{"json", "xml", "yaml", "protobuf", "csv", "serialization", "file", "html"}

func (DataFormat) allowed() []string { return dataFormatValues }

// SecretStore is where a component's secrets come from.
type SecretStore string

// The values of SecretStore.
const (
	SecretsVault            SecretStore = "vault"
	SecretsKMS              SecretStore = "kms"
	SecretsWorkloadIdentity SecretStore = "workload-identity"
	SecretsEnv              SecretStore = "env"
	SecretsFile             SecretStore = "file"
	SecretsCode             SecretStore = "code"
	SecretsNone             SecretStore = "none"
)

var secretStoreValues = []string{"vault", "kms", "workload-identity", "env", "file", "code", "none"}

func (SecretStore) allowed() []string { return secretStoreValues }

// Encryption is how stored data is encrypted.
type Encryption string

// The values of Encryption.
const (
	EncryptionNone         Encryption = "none"
	EncryptionPlatform     Encryption = "platform"
	EncryptionCMK          Encryption = "cmk"
	EncryptionPerTenantKey Encryption = "per-tenant-key"
)

var encryptionValues = []string{"none", "platform", "cmk", "per-tenant-key"}

func (Encryption) allowed() []string { return encryptionValues }

// Seccomp is a workload's seccomp profile.
type Seccomp string

// The values of Seccomp.
const (
	SeccompUnconfined     Seccomp = "unconfined"
	SeccompRuntimeDefault Seccomp = "runtime-default"
	SeccompLocalhost      Seccomp = "localhost"
)

var seccompValues = []string{"unconfined", "runtime-default", "localhost"}

func (Seccomp) allowed() []string { return seccompValues }

// MTLSMode is how strictly mutual TLS is enforced.
type MTLSMode string

// The values of MTLSMode.
const (
	MTLSNone       MTLSMode = "none"
	MTLSPermissive MTLSMode = "permissive"
	MTLSStrict     MTLSMode = "strict"
)

var mTLSModeValues = []string{"none", "permissive", "strict"}

func (MTLSMode) allowed() []string { return mTLSModeValues }

// NetworkPolicy is the network policy around a workload.
type NetworkPolicy string

// The values of NetworkPolicy.
const (
	NetworkPolicyNone        NetworkPolicy = "none"
	NetworkPolicyDefaultDeny NetworkPolicy = "default-deny"
	NetworkPolicyAllowList   NetworkPolicy = "allow-list"
)

var networkPolicyValues = []string{"none", "default-deny", "allow-list"}

func (NetworkPolicy) allowed() []string { return networkPolicyValues }

// Hardening is a host hardening baseline.
type Hardening string

// The values of Hardening.
const (
	HardeningNone   Hardening = "none"
	HardeningCISL1  Hardening = "cis-l1"
	HardeningCISL2  Hardening = "cis-l2"
	HardeningVendor Hardening = "vendor"
	HardeningCustom Hardening = "custom"
)

var hardeningValues = []string{"none", "cis-l1", "cis-l2", "vendor", "custom"}

func (Hardening) allowed() []string { return hardeningValues }

// RuntimeMonitoring is runtime threat detection on a host.
type RuntimeMonitoring string

// The values of RuntimeMonitoring.
const (
	MonitoringNone    RuntimeMonitoring = "none"
	MonitoringEBPF    RuntimeMonitoring = "ebpf"
	MonitoringAgent   RuntimeMonitoring = "agent"
	MonitoringManaged RuntimeMonitoring = "managed"
)

var runtimeMonitoringValues = []string{"none", "ebpf", "agent", "managed"}

func (RuntimeMonitoring) allowed() []string { return runtimeMonitoringValues }

// Protocol is an interface's application protocol.
type Protocol string

// The values of Protocol.
const (
	ProtocolHTTP          Protocol = "http"
	ProtocolHTTPS         Protocol = "https"
	ProtocolGRPC          Protocol = "grpc"
	ProtocolWebSocket     Protocol = "websocket"
	ProtocolGraphQL       Protocol = "graphql"
	ProtocolTCP           Protocol = "tcp"
	ProtocolUDP           Protocol = "udp"
	ProtocolSQL           Protocol = "sql"
	ProtocolNoSQL         Protocol = "nosql"
	ProtocolRedis         Protocol = "redis"
	ProtocolAMQP          Protocol = "amqp"
	ProtocolKafka         Protocol = "kafka"
	ProtocolNATS          Protocol = "nats"
	ProtocolMQTT          Protocol = "mqtt"
	ProtocolSSH           Protocol = "ssh"
	ProtocolRDP           Protocol = "rdp"
	ProtocolLDAP          Protocol = "ldap"
	ProtocolLDAPS         Protocol = "ldaps"
	ProtocolSMTP          Protocol = "smtp"
	ProtocolSFTP          Protocol = "sftp"
	ProtocolFTP           Protocol = "ftp"
	ProtocolNFS           Protocol = "nfs"
	ProtocolSMB           Protocol = "smb"
	ProtocolKubernetesAPI Protocol = "kubernetes-api"
	ProtocolDNS           Protocol = "dns"
	ProtocolSyslog        Protocol = "syslog"
	ProtocolS3            Protocol = "s3"
	ProtocolInProcess     Protocol = "in-process"
	ProtocolLocalFile     Protocol = "local-file"
)

var protocolValues = []string{"http", "https", "grpc", "websocket", "graphql", "tcp", "udp", "sql", "nosql", "redis", "amqp", "kafka", "nats", "mqtt", "ssh", "rdp", "ldap", "ldaps", "smtp", "sftp", "ftp", "nfs", "smb", "kubernetes-api", "dns", "syslog", "s3", "in-process", "local-file"}

func (Protocol) allowed() []string { return protocolValues }

// TLSVersion is the lowest TLS version an interface accepts, or none.
type TLSVersion string

// The values of TLSVersion.
const (
	TLSNone TLSVersion = "none"
	TLS10   TLSVersion = "1.0"
	TLS11   TLSVersion = "1.1"
	TLS12   TLSVersion = "1.2"
	TLS13   TLSVersion = "1.3"
)

var tLSVersionValues = []string{"none", "1.0", "1.1", "1.2", "1.3"}

func (TLSVersion) allowed() []string { return tLSVersionValues }

// Authentication is how a callee authenticates its caller.
type Authentication string

// The values of Authentication.
const (
	AuthnNone             Authentication = "none"
	AuthnPassword         Authentication = "password"
	AuthnAPIKey           Authentication = "api-key"
	AuthnSession          Authentication = "session"
	AuthnToken            Authentication = "token"
	AuthnMTLS             Authentication = "mtls"
	AuthnWorkloadIdentity Authentication = "workload-identity"
	AuthnCloudIAM         Authentication = "cloud-iam"
	AuthnKerberos         Authentication = "kerberos"
	AuthnSSO              Authentication = "sso"
)

var authenticationValues = []string{"none", "password", "api-key", "session", "token", "mtls", "workload-identity", "cloud-iam", "kerberos", "sso"}

func (Authentication) allowed() []string { return authenticationValues }

// Authorization is how a callee decides what a caller may do.
type Authorization string

// The values of Authorization.
const (
	AuthzNone          Authorization = "none"
	AuthzAuthenticated Authorization = "authenticated"
	AuthzRBAC          Authorization = "rbac"
	AuthzABAC          Authorization = "abac"
	AuthzScopedToken   Authorization = "scoped-token"
)

var authorizationValues = []string{"none", "authenticated", "rbac", "abac", "scoped-token"}

func (Authorization) allowed() []string { return authorizationValues }

// IdentityPropagation is whose identity an interface carries.
type IdentityPropagation string

// The values of IdentityPropagation.
const (
	IdentityEndUser IdentityPropagation = "end-user"
	IdentityService IdentityPropagation = "service"
	IdentityNone    IdentityPropagation = "none"
)

var identityPropagationValues = []string{"end-user", "service", "none"}

func (IdentityPropagation) allowed() []string { return identityPropagationValues }

// Usage says whether traffic is business or operations.
type Usage string

// The values of Usage.
const (
	UsageBusiness Usage = "business"
	UsageDevOps   Usage = "devops"
)

var usageValues = []string{"business", "devops"}

func (Usage) allowed() []string { return usageValues }

// rankOf returns the 1-based index of v in values, or 0.
func rankOf(values []string, v string) int {
	for i, x := range values {
		if x == v {
			return i + 1
		}
	}
	return 0
}

// enum is implemented by every enumeration type of the schema.
type enum interface{ allowed() []string }
