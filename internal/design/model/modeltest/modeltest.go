// Package modeltest builds architecture models for tests and benchmarks:
// a synthetic multi-tenant model of any size, written as YAML so that
// decoding is measured too. It is imported only by tests.
package modeltest

import (
	"fmt"
	"strings"
)

// Synthetic returns a valid model file with the given numbers of components
// and interfaces: a realistic mix of zones (internet, dmz, app, data,
// management), runtimes (a shared cluster with namespaces, managed services,
// VMs), component types and data classifications, every interface with
// protocol, TLS, authentication, authorization and propagation, and some
// deliberate gaps (cleartext, missing authentication, untrusted code) so
// that threat rules have work to do. The same arguments give the same bytes.
func Synthetic(components, interfaces int) []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: redline.dev/v1alpha1
kind: ArchitectureModel
metadata:
  product: synthetic
  release: "1.0"
  owner: team-synthetic
  standard: redline-baseline@2026H2
  businessCriticality: critical
tenancy:
  model: multi
  tenantIdSource: token
  isolation: {compute: sandboxed, network: namespace-policy, data: row-level, keys: per-tenant, quotas: per-tenant}
data:
`)
	classes := []string{"public", "internal", "confidential", "restricted", "secret"}
	const nData = 20
	for i := range nData {
		fmt.Fprintf(&b, "  - {id: data-%d, classification: %s, categories: [pii], tenantScoped: %t}\n", i, classes[i%len(classes)], i%2 == 0)
	}
	b.WriteString(`zones:
  - {id: internet, kind: internet}
  - {id: vpc, kind: internal, defaultDenyIngress: true, egress: {default: deny}}
  - {id: dmz, kind: dmz, parent: vpc, defaultDenyIngress: true}
  - {id: app, kind: internal, parent: vpc, defaultDenyIngress: true}
  - {id: data, kind: restricted, parent: vpc}
  - {id: mgmt, kind: management, parent: vpc, access: [bastion]}
runtimes:
  - {id: cluster, kind: kubernetes-cluster, sandbox: none, sharing: shared, controls: {admissionPolicy: true, networkPolicy: true}}
  - {id: ns-edge, kind: kubernetes-namespace, parent: cluster, sharing: dedicated}
  - {id: ns-app, kind: kubernetes-namespace, parent: cluster, sharing: shared}
  - {id: ns-jobs, kind: kubernetes-namespace, parent: cluster, sandbox: gvisor, sharing: shared}
  - {id: managed, kind: managed-service, sharing: dedicated}
  - {id: vms, kind: vm, sandbox: vm, sharing: dedicated}
components:
`)
	type kind struct{ typ, zone, runtime, exposure string }
	kinds := []kind{
		{"client", "internet", "", ""},
		{"gateway", "dmz", "ns-edge", "public"},
		{"service", "app", "ns-app", "internal"},
		{"service", "app", "ns-app", "internal"},
		{"worker", "app", "ns-jobs", "private"},
		{"web-app", "app", "ns-app", "internal"},
		{"datastore", "data", "managed", "private"},
		{"queue", "data", "managed", "private"},
		{"cache", "data", "managed", "private"},
		{"admin-console", "mgmt", "vms", "private"},
	}
	for i := range components {
		k := kinds[i%len(kinds)]
		fmt.Fprintf(&b, "  - id: c-%d\n    type: %s\n    zone: %s\n", i, k.typ, k.zone)
		if k.runtime != "" {
			fmt.Fprintf(&b, "    runtime: %s\n", k.runtime)
		}
		if k.exposure != "" {
			fmt.Fprintf(&b, "    exposure: %s\n", k.exposure)
		}
		if k.typ == "client" {
			b.WriteString("    humanUser: true\n")
			continue
		}
		d1, d2 := i%nData, (i*7+3)%nData
		if d1 == d2 {
			d2 = (d2 + 1) % nData
		}
		switch k.typ {
		case "datastore", "queue", "cache":
			fmt.Fprintf(&b, "    stores: [data-%d, data-%d]\n    encryptionAtRest: %s\n", d1, d2, []string{"cmk", "none", "platform"}[i%3])
		default:
			fmt.Fprintf(&b, "    processes: [data-%d, data-%d]\n    customCode: true\n    accepts: [json]\n    secrets: %s\n", d1, d2, []string{"vault", "env", "workload-identity"}[i%3])
		}
		fmt.Fprintf(&b, "    runsUntrustedCode: %t\n", k.typ == "worker")
		fmt.Fprintf(&b, "    logging: {audit: %t, central: true}\n", i%4 != 0)
		fmt.Fprintf(&b, `    controls:
      virtualization: {readOnlyRootFS: %t, runAsNonRoot: true, seccomp: runtime-default}
      network: {mtls: %s, serviceMesh: true, networkPolicy: default-deny}
      gateway: {waf: %t, rateLimit: {enabled: true, rps: 100, perTenant: %t}}
      application: {inputValidation: true, authzChecks: %t}
      host: {hardening: cis-l1, patchSlaDays: %d, runtimeMonitoring: ebpf}
`, i%5 != 0, []string{"strict", "permissive", "none"}[i%3], i%2 == 0, i%3 == 0, i%2 == 1, 7+i%40)
	}
	b.WriteString("interfaces:\n")
	protos := []struct{ proto, tls, authn, authz string }{
		{"https", "1.2", "token", "scoped-token"},
		{"grpc", "1.3", "mtls", "rbac"},
		{"sql", "1.2", "cloud-iam", "rbac"},
		{"http", "none", "none", "none"},
		{"kafka", "1.2", "mtls", "rbac"},
		{"redis", "none", "password", "authenticated"},
	}
	for i := range interfaces {
		from := (i * 31) % components
		to := (i*17 + 1 + i/components) % components
		if to == from {
			to = (to + 1) % components
		}
		p := protos[i%len(protos)]
		fmt.Fprintf(&b, `  - id: i-%d
    from: c-%d
    to: c-%d
    protocol: %s
    port: %d
    tls: {version: "%s"}
    authentication: %s
    authorization: %s
    propagation: {identity: %s, tenant: %t}
    sends: [data-%d]
    receives: [data-%d]
`, i, from, to, p.proto, 1024+i%50000, p.tls, p.authn, p.authz, []string{"end-user", "service", "none"}[i%3], i%4 != 0, i%nData, (i+5)%nData)
	}
	b.WriteString(`exceptions:
  - {rule: APP-002, element: c-2, reason: rollout pending, owner: team-synthetic, expires: 2027-06-30}
`)
	return []byte(b.String())
}
