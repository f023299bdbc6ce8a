package threat

import (
	"fmt"
	"slices"

	"github.com/redline-sec/redline/internal/design/model"
)

// acceptsUnvalidated reports whether a component parses the format without
// declaring input validation.
func acceptsUnvalidated(c *model.Component, f model.DataFormat) bool {
	return slices.Contains(c.Accepts, f) && !c.Controls.Application.InputValidation
}

// hasWAF reports whether a component is, or declares, a web application
// firewall.
func hasWAF(c *model.Component) bool { return c.Type == model.TypeWAF || c.Controls.Gateway.WAF }

// unguardedFromInternet returns the components internet traffic reaches
// without passing a WAF: a breadth-first search from the internet sources
// that does not expand through WAFs.
func (x *evalCtx) unguardedFromInternet() map[string]bool {
	seen := make(map[string]bool)
	var queue []string
	for i := range x.m.Components {
		c := &x.m.Components[i]
		if c.Exposure == model.ExposurePublic || x.g.InInternetZone(c.ID) {
			seen[c.ID] = true
			if !hasWAF(c) {
				queue = append(queue, c.ID)
			}
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, f := range x.g.Outgoing(id) {
			to := x.g.Component(f.To)
			if to == nil || seen[to.ID] {
				continue
			}
			seen[to.ID] = true
			if !hasWAF(to) {
				queue = append(queue, to.ID)
			}
		}
	}
	return seen
}

func applicationRules() []Rule {
	return []Rule{
		def("RL-APP-001", "Internet-reachable application without a WAF", LayerApplication, Tampering, 693,
			Likely, ImpactHigh, "missing-waf",
			"Web applications and APIs reachable from the internet receive injection, traversal and deserialization payloads all day; with no WAF on the path, the application's own code is the only filter.",
			"Put a WAF (managed rules for OWASP Top 10) in front of the application, or enable it at the gateway (controls.gateway.waf).",
			func(x *evalCtx, emit func(string, string)) {
				unguarded := x.unguardedFromInternet()
				x.eachComponent(func(c *modelComponent) {
					if (c.Type == model.TypeWebApp || c.Type == model.TypeService || c.Type == model.TypeFunction || c.Type == model.TypeAdminConsole) &&
						c.CustomCode && unguarded[c.ID] && !hasWAF(c) {
						emit(c.ID, fmt.Sprintf("%s is reachable from the internet (%s) without a WAF on the path", c.ID, x.path(c.ID)))
					}
				})
			}),
		def("RL-APP-002", "Application handling restricted data without RASP", LayerApplication, Tampering, 693,
			Unlikely, ImpactHigh, "",
			"When restricted data is at stake, detecting and blocking exploitation inside the running application (RASP) catches attacks the perimeter missed.",
			"Enable runtime application self-protection for the service, or accept the gap with a time-boxed exception.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isApp(c) && c.CustomCode && !c.Controls.Application.RASP && x.g.Facts(c.ID).Processed.Rank() >= rankOf(model.Restricted) {
						emit(c.ID, fmt.Sprintf("%s processes %s data without RASP", c.ID, x.g.Facts(c.ID).Processed))
					}
				})
			}),
		def("RL-APP-003", "XML parsed without input validation", LayerApplication, InformationDisclosure, 611,
			Likely, ImpactHigh, "xml-external-entity",
			"XML parsers that resolve external entities let a request read local files and reach internal hosts (XXE), or exhaust memory with entity expansion.",
			"Disable DTDs and external entities in the XML parser, validate against a schema, and declare controls.application.inputValidation.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && acceptsUnvalidated(c, model.FormatXML) {
						emit(c.ID, fmt.Sprintf("%s accepts XML without declared input validation", c.ID))
					}
				})
			}),
		def("RL-APP-004", "Untrusted deserialization", LayerApplication, Tampering, 502,
			Likely, ImpactVeryHigh, "untrusted-deserialization",
			"Deserializing native object formats (Java serialization, pickle, BinaryFormatter, YAML with tags) from callers turns a crafted payload into remote code execution.",
			"Accept data formats (JSON, protobuf) instead of object serialization; where unavoidable, use an allow-list of classes and sign the payload.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && slices.Contains(c.Accepts, model.FormatSerialization) {
						emit(c.ID, fmt.Sprintf("%s deserializes native objects from its callers", c.ID))
					}
				})
			}),
		def("RL-APP-005", "File uploads without validation", LayerApplication, Tampering, 434,
			Likely, ImpactHigh, "missing-file-validation",
			"Uploaded files that are not checked for type, size and content can carry web shells, malware for other users or parser exploits.",
			"Validate type by content, limit size, scan for malware, store outside the web root under generated names, and declare inputValidation.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if isWorkload(c) && acceptsUnvalidated(c, model.FormatFile) {
						emit(c.ID, fmt.Sprintf("%s accepts files without declared validation", c.ID))
					}
				})
			}),
		def("RL-APP-006", "Server-side request forgery exposure", LayerApplication, InformationDisclosure, 918,
			Likely, ImpactHigh, "server-side-request-forgery",
			"A service that makes HTTP requests to outside systems from a zone with open egress can be steered to internal endpoints and cloud metadata services by whoever controls part of the URL.",
			"Deny egress by default and allow-list destinations; validate and pin outbound URLs; block link-local metadata addresses.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isApp(c) || !c.CustomCode || c.Controls.Network.EgressRestricted {
						return
					}
					if x.egressDefault(c.Zone) == model.EgressDeny {
						return
					}
					for _, f := range x.g.Outgoing(c.ID) {
						to := x.g.Component(f.To)
						if to == nil || !webProtocol(f.Protocol) {
							continue
						}
						if to.Type == model.TypeExternal || x.g.InInternetZone(to.ID) {
							emit(c.ID, fmt.Sprintf("%s makes %s requests to %s with unrestricted egress", c.ID, f.Protocol, to.ID))
							return
						}
					}
				})
			}),
		def("RL-APP-007", "Secrets in environment variables or files", LayerApplication, InformationDisclosure, 522,
			Likely, ImpactMedium, "missing-vault",
			"Secrets in environment variables and config files leak through crash dumps, debug endpoints, logs and image layers, and are rarely rotated.",
			"Fetch secrets at runtime from a vault or KMS, or use workload identity instead of secrets.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if c.Secrets == model.SecretsEnv || c.Secrets == model.SecretsFile {
						emit(c.ID, fmt.Sprintf("%s takes its secrets from %s", c.ID, c.Secrets))
					}
				})
			}),
		def("RL-APP-008", "Hard-coded secrets", LayerApplication, InformationDisclosure, 798,
			VeryLikely, ImpactVeryHigh, "accidental-secret-leak",
			"A secret in source code is shared with everyone who can read the repository, its forks and its history, and cannot be rotated without a release.",
			"Remove the secret from code, rotate it, and load it from a vault or KMS at runtime.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if c.Secrets == model.SecretsCode {
						emit(c.ID, fmt.Sprintf("%s has secrets in its code", c.ID))
					}
				})
			}),
		def("RL-APP-009", "No audit log for sensitive operations", LayerApplication, Repudiation, 778,
			Likely, ImpactMedium, "",
			"Without an audit trail of who did what to restricted data, identity or secrets, abuse goes unnoticed and cannot be investigated or attributed.",
			"Audit-log security-relevant actions (who, what, when, which tenant) to tamper-resistant central storage and declare logging.audit.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if !isWorkload(c) || c.Logging.Audit {
						return
					}
					sensitiveType := c.Type == model.TypeIdP || c.Type == model.TypeVault || c.Type == model.TypeAdminConsole
					if sensitiveType || x.g.Facts(c.ID).Processed.Rank() >= rankOf(model.Restricted) {
						emit(c.ID, fmt.Sprintf("%s (%s) keeps no audit log", c.ID, c.Type))
					}
				})
			}),
		def("RL-APP-010", "Query injection surface", LayerApplication, Tampering, 89,
			Likely, ImpactHigh, "sql-nosql-injection",
			"Custom code that builds SQL, NoSQL, LDAP or search queries from request data without validation is open to injection that reads or changes everything the account can reach.",
			"Use parameterized queries and query builders, validate input, and give the service a least-privilege database account.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, to *modelComponent) {
					if !from.CustomCode || from.Controls.Application.InputValidation {
						return
					}
					switch f.Protocol {
					case model.ProtocolSQL, model.ProtocolNoSQL, model.ProtocolLDAP, model.ProtocolLDAPS:
					default:
						if to.Type != model.TypeSearch {
							return
						}
					}
					emit(f.ID, fmt.Sprintf("%s queries %s over %s without declared input validation", f.From, f.To, f.Protocol))
				})
			}),
		def("RL-APP-011", "Browser sessions without CSRF protection", LayerApplication, Spoofing, 352,
			Likely, ImpactMedium, "cross-site-request-forgery",
			"A web application that authenticates browsers with session cookies executes any state-changing request another site makes the user's browser send.",
			"Use SameSite cookies plus anti-CSRF tokens (or a custom header check) on state-changing requests and declare csrfProtection.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if c.Type != model.TypeWebApp && c.Type != model.TypeAdminConsole || c.Controls.Application.CSRFProtection {
						return
					}
					if f := x.browserSession(c.ID); f != nil {
						emit(c.ID, fmt.Sprintf("%s uses %s authentication (%s) without CSRF protection", c.ID, f.Authentication, f.ID))
					}
				})
			}),
		def("RL-APP-012", "Web application without output encoding", LayerApplication, Tampering, 79,
			Likely, ImpactMedium, "cross-site-scripting",
			"Pages that render request or stored data without context-aware encoding run attacker script in other users' sessions (XSS).",
			"Use a template engine that encodes by default, a strict Content-Security-Policy, and declare outputEncoding.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					if (c.Type == model.TypeWebApp || c.Type == model.TypeAdminConsole) && c.CustomCode && !c.Controls.Application.OutputEncoding {
						emit(c.ID, fmt.Sprintf("%s renders pages without declared output encoding", c.ID))
					}
				})
			}),
		def("RL-APP-013", "File paths built from request data", LayerApplication, InformationDisclosure, 22,
			Likely, ImpactHigh, "path-traversal",
			"Custom code that opens files on a local or network file system with names derived from requests can be steered outside its directory (../) to read or overwrite other files.",
			"Never build paths from input: map requests to generated names, resolve and check the path stays under its root, and declare inputValidation.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, from, _ *modelComponent) {
					switch f.Protocol {
					case model.ProtocolLocalFile, model.ProtocolNFS, model.ProtocolSMB, model.ProtocolFTP, model.ProtocolSFTP:
					default:
						return
					}
					if from.CustomCode && !from.Controls.Application.InputValidation {
						emit(f.ID, fmt.Sprintf("%s opens files on %s over %s without declared input validation", f.From, f.To, f.Protocol))
					}
				})
			}),
	}
}

// browserSession returns an interface that authenticates browsers to the
// component with a session or single sign-on: one of its own incoming
// interfaces, or one into a load balancer, WAF, gateway or reverse proxy
// that forwards to it without authenticating the hop itself (the cookie
// travels through). Nil when there is none.
func (x *evalCtx) browserSession(id string) *model.Interface {
	seen := map[string]bool{id: true}
	queue := []string{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, f := range x.g.Incoming(cur) {
			if f.Authentication == model.AuthnSession || f.Authentication == model.AuthnSSO {
				return f
			}
			from := x.g.Component(f.From)
			if from != nil && isEntry(from) && (f.Authentication == model.AuthnNone || f.Authentication == "") && !seen[from.ID] {
				seen[from.ID] = true
				queue = append(queue, from.ID)
			}
		}
	}
	return nil
}
