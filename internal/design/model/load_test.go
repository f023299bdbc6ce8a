package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/redline-sec/redline/internal/design/model/modeltest"
)

const exampleModel = "../../../examples/design/saas/model.yaml"

// header is a valid root file without elements.
const header = `apiVersion: redline.dev/v1alpha1
kind: ArchitectureModel
metadata:
  product: p
  release: "1"
  owner: team
  standard: corp-baseline@2026H1
`

func TestLoadExample(t *testing.T) {
	m, err := Load(context.Background(), exampleModel, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"model.yaml", "platform.yaml", "services.yaml"}
	if len(m.Files) != len(want) {
		t.Fatalf("files %v", m.Files)
	}
	for i, f := range m.Files {
		if filepath.Base(f) != want[i] {
			t.Errorf("file %d = %s, want %s", i, f, want[i])
		}
	}
	if m.Metadata.Product != "acme-ledger" || m.Metadata.StandardName() != "redline-baseline" || m.Metadata.StandardVersion() != "2026H2" {
		t.Errorf("metadata %+v", m.Metadata)
	}
	if m.Tenancy.Model != MultiTenant || m.Tenancy.Isolation.Data != DataRowLevel {
		t.Errorf("tenancy %+v", m.Tenancy)
	}
	// The YAML anchor &service-workload is reused with *service-workload.
	g := NewGraph(m)
	if c := g.Component("billing-worker"); c == nil || c.Controls.Network.MTLS != MTLSStrict || !c.Controls.Application.AuthzChecks {
		t.Errorf("billing-worker controls from the alias: %+v", c)
	}
	if c := g.Component("ledger-db"); c == nil || !strings.HasSuffix(c.Pos.File, "services.yaml") || c.Pos.Line == 0 {
		t.Errorf("ledger-db position %+v", c)
	}
	if m.Exceptions[0].Expires != time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC) {
		t.Errorf("expires %v", m.Exceptions[0].Expires)
	}
	if f := g.Interface("browser-to-cdn"); f == nil || f.TLS.Version != TLS12 {
		t.Errorf("tls of browser-to-cdn: %+v", f)
	}
}

// TestLoadErrors checks that bad models fail with the right message at the
// right line.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string // root is model.yaml
		want  []string          // each an error line must contain: "model.yaml:12: ..."
	}{
		{
			name:  "unknown top-level key",
			files: map[string]string{"model.yaml": header + "componentz: []\n"},
			want:  []string{`model.yaml:8:1: document: unknown key "componentz"; did you mean "components"?`},
		},
		{
			name: "unknown nested key",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal}]
components:
  - id: a
    type: service
    zone: z
    controls:
      gateway: {wafs: true}
`},
			want: []string{`model.yaml:14:17: components[0].controls.gateway: unknown key "wafs"; did you mean "waf"?`},
		},
		{
			name: "unknown enum value",
			files: map[string]string{"model.yaml": header + `data:
  - id: d
    classification: top-secret
`},
			want: []string{`model.yaml:10:21: data[0].classification: unknown value "top-secret" (allowed: public, internal, confidential, restricted, secret)`},
		},
		{
			name: "enum typo suggestion",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internl}]
`},
			want: []string{`did you mean "internal"?`},
		},
		{
			name: "missing required keys",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal}]
components:
  - id: a
    zone: z
`},
			want: []string{`model.yaml:10:5: components[0] (id "a"): missing required key "type"`},
		},
		{
			name: "dangling references",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal, parent: nowhere}]
components:
  - {id: a, type: service, zone: z, runtime: k8s, processes: [ghost]}
interfaces:
  - {id: f, from: a, to: b, protocol: https, authentication: token, authorization: rbac}
`},
			want: []string{
				`model.yaml:8:33: zone "z": parent "nowhere" is not defined`,
				`model.yaml:10:37: component "a": runtime "k8s" is not defined`,
				`model.yaml:10:63: component "a": processes "ghost" is not defined`,
				`model.yaml:12:22: interface "f": to "b" is not defined`,
			},
		},
		{
			name: "reference of the wrong kind",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal}]
components:
  - {id: a, type: service, zone: a}
`},
			want: []string{`component "a": zone "a" is a component, not a zone`},
		},
		{
			name: "duplicate ids across kinds",
			files: map[string]string{"model.yaml": header + `zones: [{id: x, kind: internal}]
components:
  - {id: x, type: service, zone: x}
`},
			want: []string{`model.yaml:10:5: duplicate id "x": already used by the zone at model.yaml:8:9`},
		},
		{
			name: "duplicate id across files",
			files: map[string]string{
				"model.yaml": header + "includes: [b.yaml]\nzones: [{id: z, kind: internal}]\n",
				"b.yaml":     "apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nzones:\n  - {id: z, kind: dmz}\n",
			},
			want: []string{`b.yaml:4:5: duplicate id "z": already used by the zone at model.yaml:9:9`},
		},
		{
			name:  "duplicate key",
			files: map[string]string{"model.yaml": header + "zones: []\nzones: []\n"},
			want:  []string{`model.yaml:9:1: document: key "zones" given twice (first at line 8)`},
		},
		{
			name:  "bad id",
			files: map[string]string{"model.yaml": header + "zones: [{id: Bad Zone, kind: internal}]\n"},
			want:  []string{`zone id "Bad Zone": want a slug`},
		},
		{
			name:  "reserved id",
			files: map[string]string{"model.yaml": header + "zones: [{id: model, kind: internal}]\n"},
			want:  []string{`zone id "model" is reserved`},
		},
		{
			name: "zone parent cycle",
			files: map[string]string{"model.yaml": header + `zones:
  - {id: a, kind: internal, parent: b}
  - {id: b, kind: internal, parent: a}
`},
			want: []string{`zone "a": parent cycle a -> b -> a`, `zone "b": parent cycle b -> a -> b`},
		},
		{
			name: "contradictions",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal}]
components:
  - {id: a, type: service, zone: z}
  - {id: b, type: service, zone: z}
interfaces:
  - {id: f, from: a, to: b, protocol: https, tls: {version: none}, authentication: token, authorization: rbac}
  - {id: g, from: a, to: a, protocol: grpc, authentication: none, mfa: true, authorization: none}
`},
			want: []string{
				`interface "f": protocol https with tls.version none contradicts itself`,
				`interface "g": from and to are both "a"`,
				`interface "g": mfa needs an authentication other than none`,
			},
		},
		{
			name: "wrong scalar types",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal, defaultDenyIngress: yes, trust: high}]
`},
			want: []string{`zones[0].defaultDenyIngress: want true or false, got "yes"`, `zones[0].trust: want a whole number, got "high"`},
		},
		{
			name:  "out of range",
			files: map[string]string{"model.yaml": header + "zones: [{id: z, kind: internal, trust: 101}]\n"},
			want:  []string{`zones[0].trust: 101 is out of range [0, 100]`},
		},
		{
			name: "exception without expiry",
			files: map[string]string{"model.yaml": header + `zones: [{id: z, kind: internal}]
exceptions:
  - {rule: NET-001, element: z, reason: migration, owner: team}
`},
			want: []string{`model.yaml:10:5: exceptions[0]: missing required key "expires"`},
		},
		{
			name:  "wrong apiVersion",
			files: map[string]string{"model.yaml": strings.Replace(header, "redline.dev/v1alpha1", "archmodel/v1", 1)},
			want:  []string{`model.yaml:1:1: apiVersion "archmodel/v1" is not supported`},
		},
		{
			name:  "part as root",
			files: map[string]string{"model.yaml": strings.Replace(header, "kind: ArchitectureModel", "kind: ArchitectureModelPart", 1)},
			want:  []string{`model.yaml:2:1: the root model file must have kind ArchitectureModel`},
		},
		{
			name: "metadata in a part",
			files: map[string]string{
				"model.yaml": header + "includes: [b.yaml]\n",
				"b.yaml":     "apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nmetadata: {product: q}\n",
			},
			want: []string{`b.yaml:3:1: metadata belongs in the root model file only`},
		},
		{
			name: "include cycle",
			files: map[string]string{
				"model.yaml":   header + "includes: [parts/a.yaml]\n",
				"parts/a.yaml": "apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nincludes: [b.yaml]\n",
				"parts/b.yaml": "apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nincludes: [../parts/a.yaml]\n",
			},
			want: []string{`parts/b.yaml:3:12: include cycle: model.yaml -> parts/a.yaml -> parts/b.yaml -> parts/a.yaml`},
		},
		{
			name: "include escapes the root",
			files: map[string]string{
				"model.yaml": header + "includes: [../outside.yaml, /etc/passwd]\n",
			},
			want: []string{`model.yaml:8:12: include "../outside.yaml": leaves the include root`, `include "/etc/passwd": must be a path relative`},
		},
		{
			name:  "missing include",
			files: map[string]string{"model.yaml": header + "includes: [nope.yaml]\n"},
			want:  []string{`model.yaml:8:12: include nope.yaml: file does not exist`},
		},
		{
			name:  "invalid YAML",
			files: map[string]string{"model.yaml": header + "zones: [\n"},
			want:  []string{`model.yaml:8: invalid YAML: did not find expected node content`},
		},
		{
			name:  "two documents",
			files: map[string]string{"model.yaml": header + "---\n" + header},
			want:  []string{`more than one YAML document`},
		},
		{
			name:  "empty",
			files: map[string]string{"model.yaml": "# nothing\n"},
			want:  []string{`model.yaml: empty model file`},
		},
		{
			name:  "not a mapping",
			files: map[string]string{"model.yaml": "- a\n- b\n"},
			want:  []string{`a model file is a mapping`},
		},
		{
			name: "merge keys",
			files: map[string]string{"model.yaml": header + `zones:
  - &z {id: z, kind: internal}
  - {<<: *z, id: y, colour: red}
`},
			want: []string{`zones[1]: unknown key "colour"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, text := range c.files {
				fsys[name] = &fstest.MapFile{Data: []byte(text)}
			}
			_, err := LoadFS(context.Background(), fsys, "model.yaml", Limits{})
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want model errors", err)
			}
			text := err.Error()
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
		})
	}
}

func TestMergeKeysAndDiamondIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		"model.yaml": {Data: []byte(header + "includes: [a.yaml, b.yaml]\n")},
		"a.yaml":     {Data: []byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nincludes: [c.yaml]\n")},
		"b.yaml":     {Data: []byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nincludes: [c.yaml]\n")},
		"c.yaml": {Data: []byte(`apiVersion: redline.dev/v1alpha1
kind: ArchitectureModelPart
zones:
  - &base {id: z, kind: internal, defaultDenyIngress: true}
  - {<<: *base, id: y, kind: dmz}
`)},
	}
	m, err := LoadFS(context.Background(), fsys, "model.yaml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 4 || len(m.Zones) != 2 {
		t.Fatalf("files %v zones %d: c.yaml must be merged once", m.Files, len(m.Zones))
	}
	if y := m.Zones[1]; y.ID != "y" || y.Kind != ZoneDMZ || !y.DefaultDenyIngress {
		t.Errorf("merged zone %+v", y)
	}
}

func TestLimits(t *testing.T) {
	t.Run("alias bomb", func(t *testing.T) {
		// Nine levels of nine aliases: 9^9 nodes if expanded.
		var b strings.Builder
		b.WriteString(header + "components:\n  - &c0 [x, x, x, x, x, x, x, x, x]\n")
		for i := 1; i < 10; i++ {
			fmt.Fprintf(&b, "  - &c%d [", i)
			for j := range 9 {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "*c%d", i-1)
			}
			b.WriteString("]\n")
		}
		b.WriteString("zones: [{id: z, kind: internal, access: *c9}]\n")
		start := time.Now()
		_, err := Decode("bomb.yaml", []byte(b.String()), Limits{})
		if err == nil {
			t.Fatal("no error")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("alias bomb took %v", d)
		}
	})
	t.Run("merge-key bomb", func(t *testing.T) {
		// Each level merges the previous one nine times: 9^9 merges if
		// followed naively.
		var b strings.Builder
		b.WriteString(header + "components:\n  - &m0 {id: c0, type: service, zone: z}\n")
		for i := 1; i < 10; i++ {
			fmt.Fprintf(&b, "  - &m%d {<<: [", i)
			for j := range 9 {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "*m%d", i-1)
			}
			fmt.Fprintf(&b, "], id: c%d}\n", i)
		}
		b.WriteString("zones: [{id: z, kind: internal}]\n")
		start := time.Now()
		_, err := Decode("merge.yaml", []byte(b.String()), Limits{})
		if err == nil || !strings.Contains(err.Error(), "YAML aliases expand to more than") {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("wide aliases", func(t *testing.T) {
		// One anchored controls block reused by thousands of components
		// expands to more nodes than the alias limit allows.
		var b strings.Builder
		b.WriteString(header + "zones: [{id: z, kind: internal}]\ncomponents:\n")
		b.WriteString("  - {id: c0, type: service, zone: z, controls: &ctl {host: {edr: true, hardening: cis-l1, patchSlaDays: 7}, network: {mtls: strict}}}\n")
		for i := 1; i < 20000; i++ {
			fmt.Fprintf(&b, "  - {id: c%d, type: service, zone: z, controls: *ctl}\n", i)
		}
		_, err := Decode("wide.yaml", []byte(b.String()), Limits{})
		if err == nil || !strings.Contains(err.Error(), "YAML aliases expand to more than 100000 nodes") {
			t.Fatalf("got %v", err)
		}
		// Within the limit the same construction is fine.
		if _, err := Decode("wide.yaml", []byte(b.String()), Limits{MaxAliasNodes: 1_000_000}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("50 MB file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "big.yaml")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(50 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		start := time.Now()
		_, err = Load(context.Background(), file, Options{})
		if err == nil || !strings.Contains(err.Error(), "big.yaml: file is 50.0 MiB, larger than the 16.0 MiB limit") {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("took %v; the size check must come before reading", d)
		}
	})
	t.Run("node limit", func(t *testing.T) {
		_, err := Decode("m.yaml", modeltest.Synthetic(50, 100), Limits{MaxNodes: 1000})
		if err == nil || !strings.Contains(err.Error(), "more than 1000 YAML nodes") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("file count", func(t *testing.T) {
		fsys := fstest.MapFS{"model.yaml": {Data: []byte(header + "includes: [a.yaml, b.yaml, c.yaml]\n")}}
		for _, n := range []string{"a.yaml", "b.yaml", "c.yaml"} {
			fsys[n] = &fstest.MapFile{Data: []byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\n")}
		}
		_, err := LoadFS(context.Background(), fsys, "model.yaml", Limits{MaxFiles: 3})
		if err == nil || !strings.Contains(err.Error(), "model.yaml:8:28: model has more than 3 files") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("include depth", func(t *testing.T) {
		fsys := fstest.MapFS{"model.yaml": {Data: []byte(header + "includes: [p1.yaml]\n")}}
		for i := 1; i <= 5; i++ {
			fsys["p"+string(rune('0'+i))+".yaml"] = &fstest.MapFile{Data: []byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nincludes: [p" + string(rune('0'+i+1)) + ".yaml]\n")}
		}
		fsys["p6.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\n")}
		_, err := LoadFS(context.Background(), fsys, "model.yaml", Limits{MaxIncludeDepth: 3})
		if err == nil || !strings.Contains(err.Error(), "p3.yaml:3:12: includes nest deeper than 3 files") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("too many errors", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(header + "zones:\n")
		for range 500 {
			b.WriteString("  - {id: z, kind: nope}\n")
		}
		_, err := Decode("m.yaml", []byte(b.String()), Limits{MaxErrors: 10})
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 11 || !strings.Contains(err.Error(), "too many errors") {
			t.Fatalf("got %d errors: %v", len(errs), err)
		}
	})
}

func TestDecodeRefusesIncludes(t *testing.T) {
	_, err := Decode("m.yaml", []byte(header+"includes: [a.yaml]\n"), Limits{})
	if err == nil || !strings.Contains(err.Error(), "includes cannot be resolved for a model given in memory") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, exampleModel, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestLoadIncludeRoot(t *testing.T) {
	dir := t.TempDir()
	must := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must("prod/model.yaml", header+"includes: [../shared/zones.yaml]\n")
	must("shared/zones.yaml", "apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModelPart\nzones: [{id: z, kind: internal}]\n")
	if _, err := Load(context.Background(), filepath.Join(dir, "prod/model.yaml"), Options{}); err == nil || !strings.Contains(err.Error(), "leaves the include root") {
		t.Fatalf("without an include root: %v", err)
	}
	m, err := Load(context.Background(), filepath.Join(dir, "prod/model.yaml"), Options{IncludeRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Zones) != 1 || m.Zones[0].Pos.File != filepath.Join(dir, "shared/zones.yaml") {
		t.Errorf("zones %+v", m.Zones)
	}
	if _, err := Load(context.Background(), filepath.Join(dir, "prod/model.yaml"), Options{IncludeRoot: filepath.Join(dir, "shared")}); err == nil {
		t.Error("a model outside its include root must be refused")
	}
}

func TestKeyPos(t *testing.T) {
	m, err := Load(context.Background(), exampleModel, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		element, key string
		file         string
		line         int
	}{
		{"metadata", "standard", "model.yaml", 0},
		{"tenancy", "isolation.data", "model.yaml", 0},
		{"ledger-db", "encryptionAtRest", "services.yaml", 0},
		{"invoices-to-db", "tls.version", "services.yaml", 0},
		{"api-gateway", "controls.gateway.rateLimit.perTenant", "services.yaml", 0},
		{"invoice-service", "processes[2]", "services.yaml", 0},
	}
	for _, c := range cases {
		p := m.KeyPos(c.element, c.key)
		el := m.KeyPos(c.element, "no-such-key")
		if !strings.HasSuffix(p.File, c.file) || p.Line == 0 || (c.line != 0 && p.Line != c.line) {
			t.Errorf("%s %s: %v", c.element, c.key, p)
		}
		if p.Line <= el.Line {
			t.Errorf("%s %s at %v, not after the element at %v", c.element, c.key, p, el)
		}
	}
	// A model built in Go falls back to element positions.
	g := smallModel()
	g.Components[2].Pos = Pos{File: "x.yaml", Line: 7}
	if p := g.KeyPos("api", "zone"); p.Line != 7 {
		t.Errorf("fallback %v", p)
	}
}
