package kubernetes

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

func analyzeFile(t *testing.T, path string) ([]finding.Finding, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return analyze(walk.BytesFile(path, data), data)
}

// ruleLines renders findings as sorted "rule@line" strings.
func ruleLines(fs []finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s@%d", f.RuleID, f.Location.Line)
	}
	slices.Sort(out)
	return out
}

func TestManifests(t *testing.T) {
	tests := []struct {
		file string
		want []string
		err  string
	}{
		{
			// Multi-document YAML: a ConfigMap (ignored), a Deployment, a
			// CronJob (pod at spec.jobTemplate.spec.template.spec) and a
			// List holding a Service and a Pod.
			file: "testdata/multi.yaml",
			want: []string{
				"K8S-automount-service-account-token@67", "K8S-automount-service-account-token@92",
				"K8S-default-namespace@61",
				"K8S-env-literal-secret@34",
				"K8S-image-digest@71", "K8S-image-digest@95",
				"K8S-image-latest@71", "K8S-image-latest@95",
				"K8S-probes@94",
				"K8S-readonly-root-filesystem@70", "K8S-readonly-root-filesystem@94",
				"K8S-resource-limits@70", "K8S-resource-limits@94",
				"K8S-resource-requests@70", "K8S-resource-requests@94",
				"K8S-sensitive-hostpath@54",
				"K8S-service-admin-port@84",
				"PSS-baseline-capabilities@44",
				"PSS-baseline-hostNamespaces@68",
				"PSS-baseline-hostPathVolumes@54",
				"PSS-baseline-hostPorts@32",
				"PSS-baseline-hostProbesAndLifecycle@49",
				"PSS-baseline-privileged@39",
				"PSS-baseline-procMount@97",
				"PSS-restricted-allowPrivilegeEscalation@70", "PSS-restricted-allowPrivilegeEscalation@94",
				"PSS-restricted-capabilities@44", "PSS-restricted-capabilities@70", "PSS-restricted-capabilities@94",
				"PSS-restricted-procMount@97",
				"PSS-restricted-runAsNonRoot@70", "PSS-restricted-runAsNonRoot@94",
				"PSS-restricted-seccomp@70", "PSS-restricted-seccomp@97",
				"PSS-restricted-volumeTypes@54",
			},
		},
		{
			file: "testdata/pod.json",
			want: []string{
				"K8S-automount-service-account-token@5", "K8S-image-digest@10", "K8S-probes@8",
				"K8S-readonly-root-filesystem@8", "K8S-resource-limits@8", "K8S-resource-requests@8",
				"PSS-baseline-hostNamespaces@6",
				"PSS-restricted-allowPrivilegeEscalation@8", "PSS-restricted-capabilities@8",
				"PSS-restricted-runAsNonRoot@8", "PSS-restricted-runAsUser@11", "PSS-restricted-seccomp@11",
			},
		},
		{file: "testdata/notk8s.yaml"},
		{file: "testdata/helm-template.yaml"},
		{
			// The broken Pod is an error naming file and line; the good one is still checked.
			file: "testdata/malformed.yaml",
			want: []string{
				"K8S-automount-service-account-token@14", "K8S-image-digest@18", "K8S-probes@17",
				"K8S-readonly-root-filesystem@17", "K8S-resource-limits@17", "K8S-resource-requests@17",
				"PSS-baseline-hostNamespaces@15",
				"PSS-restricted-allowPrivilegeEscalation@17", "PSS-restricted-capabilities@17",
				"PSS-restricted-runAsNonRoot@17", "PSS-restricted-seccomp@17",
			},
			err: "testdata/malformed.yaml:7: Pod bad (namespace prod) does not decode: spec.containers: want a list, got a scalar",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fs, err := analyzeFile(t, tt.file)
			if got := fmt.Sprint(err); (tt.err == "" && err != nil) || (tt.err != "" && got != tt.err) {
				t.Errorf("error = %v, want %q", err, tt.err)
			}
			if got := ruleLines(fs); !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestFindingFields(t *testing.T) {
	fs, _ := analyzeFile(t, "testdata/multi.yaml")
	i := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.RuleID == RulePrivileged })
	if i < 0 {
		t.Fatal("no privileged finding")
	}
	f := fs[i]
	if f.Kind != finding.KindMisconfiguration || f.Severity != finding.SeverityCritical || f.Title != "Privileged container" ||
		f.Location.Path != "testdata/multi.yaml" || f.Fingerprint != "" || f.Target != (finding.Target{}) {
		t.Errorf("finding = %+v", f)
	}
	if f.Description != `Deployment web (namespace prod): container "web" sets privileged: true` ||
		f.Evidence != "spec.template.spec.containers[0].securityContext.privileged: true" {
		t.Errorf("description %q, evidence %q", f.Description, f.Evidence)
	}
	if !slices.Equal(f.Mappings["ms-k8s-matrix"], []string{"MS-TA9018"}) || f.Fix == nil || !strings.Contains(f.Fix.Remediation, "privileged: false") {
		t.Errorf("mappings %v, fix %+v", f.Mappings, f.Fix)
	}
	// The secret value never appears in full.
	for _, f := range fs {
		if strings.Contains(f.Evidence+f.Description, "hunter2-very-secret") {
			t.Errorf("secret leaked: %+v", f)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	bomb := "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := range 8 {
		name := fmt.Sprintf("b%d", i)
		bomb += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	deep := "apiVersion: v1\nkind: Pod\nspec: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) + "\n"
	many := strings.Repeat("apiVersion: v1\nkind: ConfigMap\n---\n", maxDocuments+1)
	tests := []struct{ name, data, err string }{
		{"alias bomb", bomb, "more than 200000 YAML nodes once aliases are expanded"},
		{"deep", deep, "nested more than 100 levels deep"},
		{"documents", many, "more than 1000 YAML documents"},
		{"syntax", "apiVersion: v1\nkind: Pod\nspec: [\n", "parse x.yaml: document 1: yaml: line 3: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := analyze(walk.BytesFile("x.yaml", []byte(tt.data)), []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestAnalyzer(t *testing.T) {
	var c finding.Collector
	a := NewAnalyzer(&c)
	if a.Name() != "kubernetes" {
		t.Errorf("name %q", a.Name())
	}
	for p, want := range map[string]bool{"k8s/app.yaml": true, "a.YML": true, "x.json": true, "Dockerfile": false, "a.yaml.bak": false} {
		if got := a.Wants(p, nil); got != want {
			t.Errorf("Wants(%q) = %v", p, got)
		}
	}
	data, _ := os.ReadFile("testdata/pod.json")
	f := walk.BytesFile("pod.json", data)
	f.Layer, f.CreatedBy = "sha256:abc", "COPY . ."
	if err := a.Analyze(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	got := c.Findings()
	if len(got) != 12 || got[0].Location.Layer != "sha256:abc" || got[0].Location.CreatedBy != "COPY . ." {
		t.Errorf("got %d findings, first %+v", len(got), got[0])
	}
}

func TestRules(t *testing.T) {
	rules := Rules()
	if len(rules) != 30 {
		t.Errorf("%d rules, want 30", len(rules))
	}
	for i, r := range rules {
		if i > 0 && rules[i-1].ID >= r.ID {
			t.Errorf("rules not sorted at %s", r.ID)
		}
		if r.Kind != finding.KindMisconfiguration || r.Title == "" || r.Rationale == "" || r.Remediation == "" ||
			len(r.References) == 0 || r.Severity == finding.SeverityUnknown {
			t.Errorf("incomplete rule %+v", r)
		}
		for _, id := range r.Mappings["ms-k8s-matrix"] {
			if !strings.HasPrefix(id, "MS-TA90") {
				t.Errorf("%s: bad mapping %s", r.ID, id)
			}
		}
	}
	// Rules returns copies: changing one does not change the catalogue.
	rules[0].References[0] = "changed"
	if Rules()[0].References[0] == "changed" {
		t.Error("Rules shares state with the catalogue")
	}
}

func TestSecretHeuristics(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "API_KEY": true, "apiKey": true, "GITHUB_TOKEN": true, "CLIENT_SECRET": true,
		"AWS_SECRET_ACCESS_KEY": true, "PASSWORD_FILE": false, "TOKEN_TTL": false, "KEYCLOAK_URL": false,
		"SECRET_NAME": false, "LOG_LEVEL": false, "MONKEY": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v", name, got)
		}
	}
	for v, want := range map[string]bool{"s3cr3t-value": true, "true": false, "3600": false, "$(OTHER)": false, "": false} {
		if got := secretLiteral(v); got != want {
			t.Errorf("secretLiteral(%q) = %v", v, got)
		}
	}
	if redact("abcdefghijklmnop") != "ab…op" || redact("short") != "****" {
		t.Error("redact")
	}
	for p, want := range map[string]bool{"/": true, "/var": true, "/var/run/docker.sock": true, "/etc/ssl": true,
		"/var/log": false, "/data": false, "/var/lib/kubelet/pods": true, "//etc/../etc": true} {
		if got := sensitiveHostPath(p); got != want {
			t.Errorf("sensitiveHostPath(%q) = %v", p, got)
		}
	}
}
