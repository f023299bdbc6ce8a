package threat

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/redline-sec/redline/internal/design/model"
)

// Limits on custom rule expressions.
const (
	MaxExpressionLen = 4096   // bytes in one expression
	maxCELCost       = 100000 // runtime cost of one evaluation
	maxCELRecursion  = 64     // parser nesting depth
)

// The element kinds a custom rule can be evaluated over, and the CEL
// variable each is bound to.
const (
	OverComponent = "component"
	OverInterface = "interface"
	OverZone      = "zone"
	OverData      = "data"
	OverRuntime   = "runtime"
	OverModel     = "model"
)

var overKinds = []string{OverComponent, OverInterface, OverZone, OverData, OverRuntime, OverModel}

// CustomRule is a rule a standard defines in CEL: its metadata and a
// boolean condition evaluated on every element of one kind (Over). The
// condition sees the element as the variable named after its kind
// (component, interface, zone, data, runtime) and the whole model as model;
// field names are the model's YAML keys, plus derived facts:
//
//	component: id name type tech zone zoneKind runtime region exposure tenancy
//	  processes stores accepts customCode humanUser runsUntrustedCode platform
//	  secrets encryptionAtRest workloadIdentity labels
//	  logging{audit central retentionDays}
//	  controls{virtualization network gateway application host}{…as in YAML}
//	  reachableFromInternet internetHops inInternetZone
//	  maxClassification (rank 1-5, 0 none)
//	  tenantScoped incoming outgoing (interface ids)
//	interface: id name from to fromZone toZone fromType toType protocol port
//	  tls{version mutual} authentication mfa authorization
//	  propagation{identity tenant risk} sends receives usage readOnly vpn
//	  ipAllowList anonymous encrypted crossesZones zonesCrossed trustDelta
//	  fromInternet classification (rank)
//	zone: id name kind trust parent defaultDenyIngress egress{default allow}
//	  access components
//	data: id name classification rank categories tenantScoped residency owner
//	runtime: id name kind parent provider region environment sandbox sharing
//	  controls{admissionPolicy nodeHardening networkPolicy auditLogging privateAPI}
//	  components (co-located component ids)
//	model: product name release owner standard businessCriticality
//	  environments labels tenancy{model tenantIdSource isolation{compute
//	  network data keys quotas}}
//
// The constants PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED and SECRET are
// the classification ranks 1-5.
type CustomRule struct {
	ID         string
	Title      string
	Layer      Layer
	STRIDE     STRIDE
	CWE        int
	Likelihood Likelihood
	Impact     Impact
	// Over is the element kind: component, interface, zone, data, runtime
	// or model.
	Over       string
	Expression string
	Rationale  string
	Mitigation string
}

// CELProblem is one error CEL found in an expression; Line and Column are
// 1-based within the expression.
type CELProblem struct {
	Line, Column int
	Message      string
}

// CELError is a custom rule expression that does not compile.
type CELError struct {
	Rule     string
	Problems []CELProblem
}

func (e *CELError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message)
	}
	return fmt.Sprintf("rule %s: CEL: %s", e.Rule, strings.Join(msgs, "; "))
}

// classRanks are the constants expressions compare classifications with.
var classRanks = []model.Classification{model.Public, model.Internal, model.Confidential, model.Restricted, model.Secret}

// celEnv returns the environment of rules over one element kind: that
// kind's variable, model, the classification constants and the string
// extensions.
func celEnv(over string) (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(
			reflect.TypeFor[celComponent](), reflect.TypeFor[celInterface](), reflect.TypeFor[celZone](),
			reflect.TypeFor[celData](), reflect.TypeFor[celRuntime](), reflect.TypeFor[celModel](),
			ext.ParseStructTags(true)),
		cel.Variable(OverModel, cel.ObjectType("threat.celModel")),
		ext.Strings(),
		cel.ParserRecursionLimit(maxCELRecursion),
		cel.ParserExpressionSizeLimit(MaxExpressionLen),
	}
	switch over {
	case OverComponent:
		opts = append(opts, cel.Variable(over, cel.ObjectType("threat.celComponent")))
	case OverInterface:
		opts = append(opts, cel.Variable(over, cel.ObjectType("threat.celInterface")))
	case OverZone:
		opts = append(opts, cel.Variable(over, cel.ObjectType("threat.celZone")))
	case OverData:
		opts = append(opts, cel.Variable(over, cel.ObjectType("threat.celData")))
	case OverRuntime:
		opts = append(opts, cel.Variable(over, cel.ObjectType("threat.celRuntime")))
	case OverModel:
	default:
		return nil, fmt.Errorf("over %q: want %s", over, strings.Join(overKinds, ", "))
	}
	for _, c := range classRanks {
		opts = append(opts, cel.Constant(strings.ToUpper(string(c)), cel.IntType, types.Int(c.Rank())))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return env, nil
}

// CompileCustom checks a custom rule and compiles its expression into a
// Rule. A CEL problem is returned as a *CELError with line and column.
func CompileCustom(c CustomRule) (Rule, error) {
	r := Rule{
		ID: c.ID, Title: c.Title, Layer: c.Layer, STRIDE: c.STRIDE, CWE: c.CWE,
		Likelihood: c.Likelihood, Impact: c.Impact, Severity: SeverityOf(c.Likelihood, c.Impact),
		Rationale: c.Rationale, Mitigation: c.Mitigation,
		Custom: true, Expression: c.Expression, Over: c.Over,
	}
	if r.Severity == 0 {
		return r, fmt.Errorf("rule %s: likelihood and impact are required", c.ID)
	}
	if len(c.Expression) > MaxExpressionLen {
		return r, fmt.Errorf("rule %s: expression is longer than %d bytes", c.ID, MaxExpressionLen)
	}
	env, err := celEnv(c.Over)
	if err != nil {
		return r, fmt.Errorf("rule %s: %w", c.ID, err)
	}
	ast, iss := env.Compile(c.Expression)
	if iss != nil && iss.Err() != nil {
		ce := &CELError{Rule: c.ID}
		for _, e := range iss.Errors() {
			ce.Problems = append(ce.Problems, CELProblem{Line: e.Location.Line(), Column: e.Location.Column() + 1, Message: e.Message})
		}
		return r, ce
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return r, &CELError{Rule: c.ID, Problems: []CELProblem{{Line: 1, Column: 1, Message: fmt.Sprintf("expression must be a bool, not %s", ast.OutputType())}}}
	}
	prg, err := env.Program(ast, cel.CostLimit(maxCELCost))
	if err != nil {
		return r, fmt.Errorf("rule %s: %w", c.ID, err)
	}
	over := c.Over
	r.check = func(x *evalCtx, emit func(string, string)) {
		v := x.celViews()
		run := func(element string, vars map[string]any) {
			vars[OverModel] = v.model
			out, _, err := prg.Eval(vars)
			if err != nil {
				// A rule that cannot be evaluated fails closed: the
				// element is reported with the reason.
				emit(element, fmt.Sprintf("custom rule could not be evaluated on %s, so it counts as matching: %v", element, err))
				return
			}
			if b, ok := out.Value().(bool); ok && b {
				emit(element, fmt.Sprintf("%s matches %s", element, c.Expression))
			}
		}
		switch over {
		case OverComponent:
			for _, e := range v.components {
				run(e.ID, map[string]any{over: e})
			}
		case OverInterface:
			for _, e := range v.interfaces {
				run(e.ID, map[string]any{over: e})
			}
		case OverZone:
			for _, e := range v.zones {
				run(e.ID, map[string]any{over: e})
			}
		case OverData:
			for _, e := range v.data {
				run(e.ID, map[string]any{over: e})
			}
		case OverRuntime:
			for _, e := range v.runtimes {
				run(e.ID, map[string]any{over: e})
			}
		case OverModel:
			run(model.ModelElement, map[string]any{})
		}
	}
	return r, nil
}

// celViews are the CEL views of every element, built once per check.
type celViews struct {
	model      *celModel
	components []*celComponent
	interfaces []*celInterface
	zones      []*celZone
	data       []*celData
	runtimes   []*celRuntime
}

func (x *evalCtx) celViews() *celViews {
	if x.views == nil {
		x.views = buildViews(x)
	}
	return x.views
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, v := range xs {
		out[i] = string(v)
	}
	return out
}

func labels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func ids[T any](xs []*T, id func(*T) string) []string {
	out := make([]string, len(xs))
	for i, v := range xs {
		out[i] = id(v)
	}
	sort.Strings(out)
	return out
}

func buildViews(x *evalCtx) *celViews {
	m := x.m
	g := x.g
	iso := m.Tenancy.Isolation
	v := &celViews{model: &celModel{
		Product: m.Metadata.Product, Name: m.Metadata.Name, Release: m.Metadata.Release, Owner: m.Metadata.Owner,
		Standard: m.Metadata.Standard, BusinessCriticality: string(m.Metadata.BusinessCriticality),
		Environments: nonNil(m.Metadata.Environments), Labels: labels(m.Metadata.Labels),
		Tenancy: celTenancy{Model: string(m.Tenancy.Model), TenantIDSource: string(m.Tenancy.TenantIDSource),
			Isolation: celIsolation{Compute: string(iso.Compute), Network: string(iso.Network), Data: string(iso.Data),
				Keys: string(iso.Keys), Quotas: string(iso.Quotas)}},
	}}
	ifaceID := func(f *model.Interface) string { return f.ID }
	compID := func(c *model.Component) string { return c.ID }
	for i := range m.Components {
		c := &m.Components[i]
		ct := c.Controls
		reach := g.Reach(c.ID)
		v.components = append(v.components, &celComponent{
			ID: c.ID, Name: c.Name, Type: string(c.Type), Tech: nonNil(c.Tech), Zone: c.Zone, ZoneKind: string(x.zoneKindOf(c)),
			Runtime: c.Runtime, Region: x.regionOf(c), Exposure: string(c.Exposure), Tenancy: string(c.Tenancy),
			Processes: nonNil(c.Processes), Stores: nonNil(c.Stores), Accepts: strs(c.Accepts),
			CustomCode: c.CustomCode, HumanUser: c.HumanUser, RunsUntrustedCode: c.RunsUntrustedCode, Platform: c.Platform,
			OutOfScope: c.OutOfScope, Secrets: string(c.Secrets), EncryptionAtRest: string(c.EncryptionAtRest),
			WorkloadIdentity: c.WorkloadIdentity, Labels: labels(c.Labels),
			Logging: celLogging{Audit: c.Logging.Audit, Central: c.Logging.Central, RetentionDays: c.Logging.RetentionDays},
			Controls: celControls{
				Virtualization: celVirt{Privileged: ct.Virtualization.Privileged, HostNamespaces: ct.Virtualization.HostNamespaces,
					RuntimeSocketMounted: ct.Virtualization.RuntimeSocketMounted, ReadOnlyRootFS: ct.Virtualization.ReadOnlyRootFS,
					RunAsNonRoot: ct.Virtualization.RunAsNonRoot, Seccomp: string(ct.Virtualization.Seccomp), ResourceLimits: ct.Virtualization.ResourceLimits},
				Network: celNet{MTLS: string(ct.Network.MTLS), ServiceMesh: ct.Network.ServiceMesh, NetworkPolicy: string(ct.Network.NetworkPolicy),
					EgressRestricted: ct.Network.EgressRestricted, IPAllowList: ct.Network.IPAllowList, DDoSProtection: ct.Network.DDoSProtection},
				Gateway: celGateway{WAF: ct.Gateway.WAF, RateLimit: celRateLimit{Enabled: ct.Gateway.RateLimit.Enabled, RPS: ct.Gateway.RateLimit.RPS,
					PerTenant: ct.Gateway.RateLimit.PerTenant}, Authentication: ct.Gateway.Authentication,
					Authorization: string(ct.Gateway.Authorization), SchemaValidation: ct.Gateway.SchemaValidation, BotProtection: ct.Gateway.BotProtection},
				Application: celApp{InputValidation: ct.Application.InputValidation, OutputEncoding: ct.Application.OutputEncoding,
					CSRFProtection: ct.Application.CSRFProtection, RASP: ct.Application.RASP, AuthzChecks: ct.Application.AuthzChecks,
					SecureSessions: ct.Application.SecureSessions, DependencyScan: ct.Application.DependencyScan},
				Host: celHost{Hardening: string(ct.Host.Hardening), PatchSLADays: ct.Host.PatchSLADays, EDR: ct.Host.EDR,
					RuntimeMonitoring: string(ct.Host.RuntimeMonitoring), FileIntegrity: ct.Host.FileIntegrity},
			},
			ReachableFromInternet: reach.Reachable, InternetHops: reach.Hops, MaxClassification: x.maxRank(c),
			TenantScoped: g.Facts(c.ID).TenantScoped,
			Incoming:     ids(g.Incoming(c.ID), ifaceID), Outgoing: ids(g.Outgoing(c.ID), ifaceID), InInternetZone: g.InInternetZone(c.ID),
		})
	}
	for i := range m.Interfaces {
		f := &m.Interfaces[i]
		from, to := g.Component(f.From), g.Component(f.To)
		fv := &celInterface{
			ID: f.ID, Name: f.Name, From: f.From, To: f.To, Protocol: string(f.Protocol), Port: f.Port,
			TLS:            celTLS{Version: string(f.TLS.Version), Mutual: f.TLS.Mutual},
			Authentication: string(f.Authentication), MFA: f.MFA, Authorization: string(f.Authorization),
			Propagation: celPropagation{Identity: string(f.Propagation.Identity), Tenant: f.Propagation.Tenant, Risk: f.Propagation.Risk},
			Sends:       nonNil(f.Sends), Receives: nonNil(f.Receives), Usage: string(f.Usage), ReadOnly: f.ReadOnly, VPN: f.VPN,
			IPAllowList: f.IPAllowList, Anonymous: f.Anonymous, Encrypted: f.Encrypted(), CrossesZones: g.CrossesZones(f),
			ZonesCrossed: nonNil(g.ZonesCrossed(f)), TrustDelta: g.TrustDelta(f), FromInternet: g.FromInternet(f),
			Classification: x.ifaceRank(f),
		}
		if from != nil {
			fv.FromZone, fv.FromType = from.Zone, string(from.Type)
		}
		if to != nil {
			fv.ToZone, fv.ToType = to.Zone, string(to.Type)
		}
		v.interfaces = append(v.interfaces, fv)
	}
	for i := range m.Zones {
		z := &m.Zones[i]
		v.zones = append(v.zones, &celZone{
			ID: z.ID, Name: z.Name, Kind: string(z.Kind), Trust: z.TrustLevel(), Parent: z.Parent,
			DefaultDenyIngress: z.DefaultDenyIngress, Egress: celEgress{Default: string(z.Egress.Default), Allow: nonNil(z.Egress.Allow)},
			Access: strs(z.Access), Components: ids(g.ZoneComponents(z.ID), compID),
		})
	}
	for i := range m.Data {
		d := &m.Data[i]
		v.data = append(v.data, &celData{
			ID: d.ID, Name: d.Name, Classification: string(d.Classification), Rank: d.Classification.Rank(),
			Categories: strs(d.Categories), TenantScoped: d.TenantScoped, Residency: nonNil(d.Residency), Owner: d.Owner,
		})
	}
	for i := range m.Runtimes {
		r := &m.Runtimes[i]
		rc := r.Controls
		v.runtimes = append(v.runtimes, &celRuntime{
			ID: r.ID, Name: r.Name, Kind: string(r.Kind), Parent: r.Parent, Provider: r.Provider, Region: r.Region,
			Environment: r.Environment, Sandbox: string(r.Sandbox), Sharing: string(r.Sharing),
			Controls: celRuntimeControls{AdmissionPolicy: rc.AdmissionPolicy, NodeHardening: rc.NodeHardening,
				NetworkPolicy: rc.NetworkPolicy, AuditLogging: rc.AuditLogging, PrivateAPI: rc.PrivateAPI},
			Components: ids(g.CoLocated(r.ID), compID),
		})
	}
	return v
}
