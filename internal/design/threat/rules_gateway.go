package threat

import (
	"fmt"

	"github.com/redline-sec/redline/internal/design/model"
)

// webProtocol reports whether a protocol carries API or web requests.
func webProtocol(p model.Protocol) bool {
	switch p {
	case model.ProtocolHTTP, model.ProtocolHTTPS, model.ProtocolGRPC, model.ProtocolGraphQL, model.ProtocolWebSocket:
		return true
	}
	return false
}

// externalCallers returns the business interfaces into c whose callers are
// outside the product's network (internet or partner zones). Operations
// traffic (usage devops) is left to the management-access rules.
func (x *evalCtx) externalCallers(c *model.Component) []*model.Interface {
	var out []*model.Interface
	for _, f := range x.g.Incoming(c.ID) {
		if x.external(f) && f.Usage != model.UsageDevOps {
			out = append(out, f)
		}
	}
	return out
}

// entryChainHas reports whether c, or an entry component (load balancer,
// WAF, gateway, reverse proxy) that c forwards to through other entry
// components, satisfies ok: a CDN in front of a gateway that rate-limits
// is rate-limited.
func (x *evalCtx) entryChainHas(c *model.Component, ok func(*model.Component) bool) bool {
	seen := map[string]bool{c.ID: true}
	queue := []*model.Component{c}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if ok(cur) {
			return true
		}
		if cur != c && !isEntry(cur) {
			continue
		}
		for _, f := range x.g.Outgoing(cur.ID) {
			to := x.g.Component(f.To)
			if to != nil && !seen[to.ID] && isEntry(to) {
				seen[to.ID] = true
				queue = append(queue, to)
			}
		}
	}
	return false
}

func gatewayRules() []Rule {
	return []Rule{
		def("RL-GW-001", "Internet traffic bypasses the gateway", LayerGateway, Tampering, 693,
			Likely, ImpactHigh, "missing-waf",
			"An application called straight from the internet skips the gateway's authentication, rate limits, schema validation and WAF: every control the gateway layer was meant to add is gone for that path.",
			"Route internet traffic through the API gateway, WAF or load balancer in front of the application; do not give applications public endpoints.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !x.g.FromInternet(f) || !isWorkload(to) || isEntry(to) || isStore(to) {
						return // datastores: RL-NET-002
					}
					emit(f.ID, fmt.Sprintf("%s calls %s (%s) from the internet without a gateway in between", f.From, f.To, to.Type))
				})
			}),
		def("RL-GW-002", "Unauthenticated external access to sensitive data", LayerGateway, Spoofing, 306,
			VeryLikely, ImpactVeryHigh, "missing-authentication",
			"Anyone on the internet or in a partner network can call an interface without authentication; when confidential data sits behind it, the data is public.",
			"Authenticate every external interface (OAuth 2 tokens, mTLS, signed requests) at the gateway or the service; mark deliberately public content anonymous: true and keep sensitive data off it.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !x.external(f) || f.Anonymous || (f.Authentication != model.AuthnNone && f.Authentication != "") {
						return
					}
					if to.Controls.Gateway.Authentication {
						return
					}
					if x.ifaceRank(f) < rankOf(model.Confidential) && x.maxRank(to) < rankOf(model.Confidential) {
						return
					}
					emit(f.ID, fmt.Sprintf("%s lets unauthenticated callers from zone %s reach %s, which handles %s data", f.ID, from.Zone, f.To, x.g.MaxClassification(to.ID)))
				})
			}),
		def("RL-GW-003", "No rate limiting on an external entry point", LayerGateway, DenialOfService, 770,
			Likely, ImpactMedium, "dos-risky-access-across-trust-boundary",
			"Without flow control one client can exhaust the service, brute-force credentials or scrape data as fast as the backend answers.",
			"Rate-limit external callers at the entry point or the gateway right behind it (per client and per tenant) and declare controls.gateway.rateLimit.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isWorkload(c) || x.entryChainHas(c, func(e *model.Component) bool { return e.Controls.Gateway.RateLimit.Enabled }) {
						return
					}
					if ext := x.externalCallers(c); len(ext) > 0 {
						emit(c.ID, fmt.Sprintf("%s takes external calls (%s) without rate limiting", c.ID, ext[0].ID))
					}
				})
			}),
		def("RL-GW-004", "Coarse authorization on sensitive data", LayerGateway, ElevationOfPrivilege, 285,
			Likely, ImpactHigh, "",
			"An interface that only checks that the caller is authenticated (or nothing) lets every authenticated caller read and change all the confidential data behind it: broken object- and function-level authorization.",
			"Authorize each request by role, attributes or token scope (rbac, abac, scoped-token) and check object ownership in the service.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if isEntry(to) || !isWorkload(to) || f.Usage == model.UsageDevOps || to.Type == model.TypeIdP {
						return // proxies forward; authorization happens behind them; logging in is authentication
					}
					if f.Authorization != model.AuthzNone && f.Authorization != model.AuthzAuthenticated {
						return
					}
					if x.ifaceRank(f) < rankOf(model.Confidential) {
						return
					}
					emit(f.ID, fmt.Sprintf("%s carries %s data with authorization %q", f.ID, x.g.InterfaceClassification(f), f.Authorization))
				})
			}),
		def("RL-GW-005", "No request schema validation at the gateway", LayerGateway, Tampering, 20,
			Likely, ImpactMedium, "",
			"A gateway that forwards any request body and parameter leaves every malformed or malicious input to the services behind it.",
			"Validate requests against the API schema (OpenAPI, protobuf) at the gateway and reject what does not match.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if c.Type != model.TypeGateway || c.Controls.Gateway.SchemaValidation {
						return
					}
					for _, f := range x.externalCallers(c) {
						if webProtocol(f.Protocol) {
							emit(c.ID, fmt.Sprintf("gateway %s takes external %s requests without schema validation", c.ID, f.Protocol))
							return
						}
					}
				})
			}),
		def("RL-GW-006", "No per-tenant quota on a multi-tenant entry point", LayerGateway, DenialOfService, 770,
			Likely, ImpactMedium, "",
			"With only global limits, one tenant's burst or abuse consumes the shared capacity and degrades the service for every other tenant.",
			"Apply rate limits and quotas per tenant at the entry point or the gateway behind it (rateLimit.perTenant: true).",
			func(x *evalCtx, emit func(string, string)) {
				if !x.multiTenant() {
					return
				}
				x.eachComponent(func(c *modelComponent) {
					if !isWorkload(c) || x.entryChainHas(c, func(e *model.Component) bool { return e.Controls.Gateway.RateLimit.PerTenant }) {
						return
					}
					if ext := x.externalCallers(c); len(ext) > 0 {
						emit(c.ID, fmt.Sprintf("%s takes external calls of a multi-tenant product without per-tenant limits", c.ID))
					}
				})
			}),
		def("RL-GW-007", "No second factor for people reaching restricted data", LayerGateway, Spoofing, 308,
			Likely, ImpactHigh, "missing-authentication-second-factor",
			"Passwords and sessions of people are phished and reused; without a second factor one stolen credential opens restricted data.",
			"Require a second factor (WebAuthn, TOTP, push) for human access to restricted data and declare mfa: true.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !from.HumanUser || f.MFA || f.Anonymous {
						return
					}
					if x.maxRank(to) < rankOf(model.Restricted) && x.ifaceRank(f) < rankOf(model.Restricted) {
						return
					}
					emit(f.ID, fmt.Sprintf("people reach %s (%s data) over %s without a second factor", f.To, x.g.MaxClassification(to.ID), f.ID))
				})
			}),
	}
}
