package threat

// The views custom CEL rules see. Field names (cel tags) are the model's
// YAML keys, so a rule reads like the model it checks.

type celModel struct {
	Product             string            `cel:"product"`
	Name                string            `cel:"name"`
	Release             string            `cel:"release"`
	Owner               string            `cel:"owner"`
	Standard            string            `cel:"standard"`
	BusinessCriticality string            `cel:"businessCriticality"`
	Environments        []string          `cel:"environments"`
	Labels              map[string]string `cel:"labels"`
	Tenancy             celTenancy        `cel:"tenancy"`
}

type celTenancy struct {
	Model          string       `cel:"model"`
	TenantIDSource string       `cel:"tenantIdSource"`
	Isolation      celIsolation `cel:"isolation"`
}

type celIsolation struct {
	Compute string `cel:"compute"`
	Network string `cel:"network"`
	Data    string `cel:"data"`
	Keys    string `cel:"keys"`
	Quotas  string `cel:"quotas"`
}

type celComponent struct {
	ID                    string            `cel:"id"`
	Name                  string            `cel:"name"`
	Type                  string            `cel:"type"`
	Tech                  []string          `cel:"tech"`
	Zone                  string            `cel:"zone"`
	ZoneKind              string            `cel:"zoneKind"`
	Runtime               string            `cel:"runtime"`
	Region                string            `cel:"region"`
	Exposure              string            `cel:"exposure"`
	Tenancy               string            `cel:"tenancy"`
	Processes             []string          `cel:"processes"`
	Stores                []string          `cel:"stores"`
	Accepts               []string          `cel:"accepts"`
	CustomCode            bool              `cel:"customCode"`
	HumanUser             bool              `cel:"humanUser"`
	RunsUntrustedCode     bool              `cel:"runsUntrustedCode"`
	Platform              bool              `cel:"platform"`
	OutOfScope            bool              `cel:"outOfScope"`
	Secrets               string            `cel:"secrets"`
	EncryptionAtRest      string            `cel:"encryptionAtRest"`
	WorkloadIdentity      string            `cel:"workloadIdentity"`
	Labels                map[string]string `cel:"labels"`
	Logging               celLogging        `cel:"logging"`
	Controls              celControls       `cel:"controls"`
	ReachableFromInternet bool              `cel:"reachableFromInternet"`
	InInternetZone        bool              `cel:"inInternetZone"`
	InternetHops          int               `cel:"internetHops"`
	MaxClassification     int               `cel:"maxClassification"`
	TenantScoped          bool              `cel:"tenantScoped"`
	Incoming              []string          `cel:"incoming"`
	Outgoing              []string          `cel:"outgoing"`
}

type celLogging struct {
	Audit         bool `cel:"audit"`
	Central       bool `cel:"central"`
	RetentionDays int  `cel:"retentionDays"`
}

type celControls struct {
	Virtualization celVirt    `cel:"virtualization"`
	Network        celNet     `cel:"network"`
	Gateway        celGateway `cel:"gateway"`
	Application    celApp     `cel:"application"`
	Host           celHost    `cel:"host"`
}

type celVirt struct {
	Privileged           bool   `cel:"privileged"`
	HostNamespaces       bool   `cel:"hostNamespaces"`
	RuntimeSocketMounted bool   `cel:"runtimeSocketMounted"`
	ReadOnlyRootFS       bool   `cel:"readOnlyRootFS"`
	RunAsNonRoot         bool   `cel:"runAsNonRoot"`
	Seccomp              string `cel:"seccomp"`
	ResourceLimits       bool   `cel:"resourceLimits"`
}

type celNet struct {
	MTLS             string `cel:"mtls"`
	ServiceMesh      bool   `cel:"serviceMesh"`
	NetworkPolicy    string `cel:"networkPolicy"`
	EgressRestricted bool   `cel:"egressRestricted"`
	IPAllowList      bool   `cel:"ipAllowList"`
	DDoSProtection   bool   `cel:"ddosProtection"`
}

type celGateway struct {
	WAF              bool         `cel:"waf"`
	RateLimit        celRateLimit `cel:"rateLimit"`
	Authentication   bool         `cel:"authentication"`
	Authorization    string       `cel:"authorization"`
	SchemaValidation bool         `cel:"schemaValidation"`
	BotProtection    bool         `cel:"botProtection"`
}

type celRateLimit struct {
	Enabled   bool `cel:"enabled"`
	RPS       int  `cel:"rps"`
	PerTenant bool `cel:"perTenant"`
}

type celApp struct {
	InputValidation bool `cel:"inputValidation"`
	OutputEncoding  bool `cel:"outputEncoding"`
	CSRFProtection  bool `cel:"csrfProtection"`
	RASP            bool `cel:"rasp"`
	AuthzChecks     bool `cel:"authzChecks"`
	SecureSessions  bool `cel:"secureSessions"`
	DependencyScan  bool `cel:"dependencyScan"`
}

type celHost struct {
	Hardening         string `cel:"hardening"`
	PatchSLADays      int    `cel:"patchSlaDays"`
	EDR               bool   `cel:"edr"`
	RuntimeMonitoring string `cel:"runtimeMonitoring"`
	FileIntegrity     bool   `cel:"fileIntegrity"`
}

type celInterface struct {
	ID             string         `cel:"id"`
	Name           string         `cel:"name"`
	From           string         `cel:"from"`
	To             string         `cel:"to"`
	FromZone       string         `cel:"fromZone"`
	ToZone         string         `cel:"toZone"`
	FromType       string         `cel:"fromType"`
	ToType         string         `cel:"toType"`
	Protocol       string         `cel:"protocol"`
	Port           int            `cel:"port"`
	TLS            celTLS         `cel:"tls"`
	Authentication string         `cel:"authentication"`
	MFA            bool           `cel:"mfa"`
	Authorization  string         `cel:"authorization"`
	Propagation    celPropagation `cel:"propagation"`
	Sends          []string       `cel:"sends"`
	Receives       []string       `cel:"receives"`
	Usage          string         `cel:"usage"`
	ReadOnly       bool           `cel:"readOnly"`
	VPN            bool           `cel:"vpn"`
	IPAllowList    bool           `cel:"ipAllowList"`
	Anonymous      bool           `cel:"anonymous"`
	Encrypted      bool           `cel:"encrypted"`
	CrossesZones   bool           `cel:"crossesZones"`
	ZonesCrossed   []string       `cel:"zonesCrossed"`
	TrustDelta     int            `cel:"trustDelta"`
	FromInternet   bool           `cel:"fromInternet"`
	Classification int            `cel:"classification"`
}

type celTLS struct {
	Version string `cel:"version"`
	Mutual  bool   `cel:"mutual"`
}

type celPropagation struct {
	Identity string `cel:"identity"`
	Tenant   bool   `cel:"tenant"`
	Risk     bool   `cel:"risk"`
}

type celZone struct {
	ID                 string    `cel:"id"`
	Name               string    `cel:"name"`
	Kind               string    `cel:"kind"`
	Trust              int       `cel:"trust"`
	Parent             string    `cel:"parent"`
	DefaultDenyIngress bool      `cel:"defaultDenyIngress"`
	Egress             celEgress `cel:"egress"`
	Access             []string  `cel:"access"`
	Components         []string  `cel:"components"`
}

type celEgress struct {
	Default string   `cel:"default"`
	Allow   []string `cel:"allow"`
}

type celData struct {
	ID             string   `cel:"id"`
	Name           string   `cel:"name"`
	Classification string   `cel:"classification"`
	Rank           int      `cel:"rank"`
	Categories     []string `cel:"categories"`
	TenantScoped   bool     `cel:"tenantScoped"`
	Residency      []string `cel:"residency"`
	Owner          string   `cel:"owner"`
}

type celRuntime struct {
	ID          string             `cel:"id"`
	Name        string             `cel:"name"`
	Kind        string             `cel:"kind"`
	Parent      string             `cel:"parent"`
	Provider    string             `cel:"provider"`
	Region      string             `cel:"region"`
	Environment string             `cel:"environment"`
	Sandbox     string             `cel:"sandbox"`
	Sharing     string             `cel:"sharing"`
	Controls    celRuntimeControls `cel:"controls"`
	Components  []string           `cel:"components"`
}

type celRuntimeControls struct {
	AdmissionPolicy bool `cel:"admissionPolicy"`
	NodeHardening   bool `cel:"nodeHardening"`
	NetworkPolicy   bool `cel:"networkPolicy"`
	AuditLogging    bool `cel:"auditLogging"`
	PrivateAPI      bool `cel:"privateAPI"`
}
