package threagile

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

var expiry = time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)

// rules is the part of Redline's Threagile mapping the test model needs.
var rules = map[string][]string{
	"unencrypted-communication": {"RL-NET-003", "RL-NET-008"},
	"missing-waf":               {"RL-APP-001", "RL-GW-001"},
	"sql-nosql-injection":       {"RL-APP-010"},
	"xml-external-entity":       {"RL-APP-003"},
}

func importShop(t *testing.T, opts Options) *Result {
	t.Helper()
	if opts.Standard == "" {
		opts.Standard = "redline-baseline@2026H2"
	}
	if opts.Rules == nil {
		opts.Rules = rules
	}
	res, err := Import(context.Background(), os.DirFS("testdata"), "shop.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestImport(t *testing.T) {
	res := importShop(t, Options{ExceptionExpiry: expiry})
	m := res.Model
	g := model.NewGraph(m)

	if m.Metadata.Product != "bookshop-online" || m.Metadata.Release != "2026-05-04" || m.Metadata.Owner != "Shop Platform Team" ||
		m.Metadata.BusinessCriticality != model.Important {
		t.Errorf("metadata %+v", m.Metadata)
	}
	// Confidentiality by rank: Threagile's restricted (3) is below its
	// confidential (4).
	for id, want := range map[string]model.Classification{
		"catalogue": model.Public, "orders": model.Confidential, "customer-accounts": model.Restricted,
		"staff-credentials": model.Secret, // from the included file
	} {
		if d := g.Data(id); d == nil || d.Classification != want {
			t.Errorf("data %s: %+v, want %s", id, d, want)
		}
	}
	if d := g.Data("customer-accounts"); len(d.Categories) != 1 || d.Categories[0] != model.CategoryPII {
		t.Errorf("pii tag: %+v", d.Categories)
	}

	comps := map[string]struct {
		typ  model.ComponentType
		zone string
	}{
		"customer-browser": {model.TypeClient, "internet"},
		"load-balancer":    {model.TypeLoadBalancer, "web-dmz"},
		"web-shop":         {model.TypeWebApp, "app-network"},
		"order-api":        {model.TypeService, "app-network"},
		"shop-db":          {model.TypeDatastore, "data-network"},
		"staff-directory":  {model.TypeIdP, "data-network"},
		"staff-laptop":     {model.TypeClient, "office"},
		"back-office":      {model.TypeWebApp, "app-network"},
		"build-pipeline":   {model.TypeCI, "outside-boundaries"},
		"container-host":   {model.TypeService, "cloud-account"},
	}
	for id, want := range comps {
		c := g.Component(id)
		if c == nil || c.Type != want.typ || c.Zone != want.zone {
			t.Errorf("component %s: %+v, want %+v", id, c, want)
		}
	}
	if z := g.Zone("web-dmz"); z.Kind != model.ZoneDMZ || z.Parent != "cloud-account" {
		t.Errorf("web-dmz %+v", z)
	}
	if g.Zone("shop-containers") != nil {
		t.Error("an execution-environment boundary is not a network zone")
	}
	if r := g.Runtime("container-runtime"); r == nil || r.Kind != model.RuntimeContainerHost || r.Sharing != model.Shared || r.Provider != "aws" {
		t.Errorf("runtime %+v", r)
	}
	if c := g.Component("web-shop"); c.Runtime != "container-runtime" || !c.CustomCode || c.Labels["threagile-machine"] != "container" {
		t.Errorf("web-shop %+v", c)
	}
	if c := g.Component("shop-db"); c.EncryptionAtRest != model.EncryptionPlatform {
		t.Errorf("transparent encryption -> %s", c.EncryptionAtRest)
	}
	if !g.Component("build-pipeline").OutOfScope && m.Tenancy.Model != model.MultiTenant {
		t.Error("multi_tenant asset -> multi-tenant model")
	}

	links := map[string]func(f *model.Interface) bool{
		"customer-browser.shop-traffic": func(f *model.Interface) bool {
			return f.Protocol == model.ProtocolHTTPS && f.TLS.Version == model.TLS12 && f.Authentication == model.AuthnSession &&
				f.Propagation.Identity == model.IdentityEndUser && f.To == "load-balancer"
		},
		"load-balancer.web-forward": func(f *model.Interface) bool {
			return f.Protocol == model.ProtocolHTTP && f.TLS.Version == model.TLSNone && f.Authentication == model.AuthnNone
		},
		"web-shop.account-queries": func(f *model.Interface) bool {
			return f.Protocol == model.ProtocolSQL && !f.Encrypted() && f.Authentication == model.AuthnPassword &&
				f.Propagation.Identity == model.IdentityService
		},
		"order-api.order-storage": func(f *model.Interface) bool { return f.Protocol == model.ProtocolSQL && f.Encrypted() },
		"staff-laptop.back-office-access": func(f *model.Interface) bool {
			return f.MFA && f.VPN && f.Authentication == model.AuthnPassword
		},
		"build-pipeline.deployment": func(f *model.Interface) bool {
			return f.Protocol == model.ProtocolSSH && f.Authentication == model.AuthnMTLS && f.IPAllowList && f.Usage == model.UsageDevOps
		},
		"back-office.staff-login": func(f *model.Interface) bool { return f.Protocol == model.ProtocolLDAP && f.ReadOnly },
	}
	for id, ok := range links {
		if f := g.Interface(id); f == nil || !ok(f) {
			t.Errorf("interface %s: %+v", id, f)
		}
	}

	// Risk tracking: accepted and in-progress become exceptions with the
	// given expiry; mitigated and in-discussion do not; a wildcard expands
	// to every technical asset; a rule without a counterpart is noted.
	got := map[[2]string]bool{}
	for _, e := range m.Exceptions {
		got[[2]string{e.Rule, e.Element}] = true
		if !e.Expires.Equal(expiry) || e.Owner != "Dana Security" || e.Ticket == "" {
			t.Errorf("exception %+v", e)
		}
	}
	for _, want := range [][2]string{
		{"RL-NET-003", "load-balancer.web-forward"}, {"RL-NET-008", "load-balancer.web-forward"},
		{"RL-APP-001", "web-shop"}, {"RL-GW-001", "order-api"},
	} {
		if !got[want] {
			t.Errorf("missing exception %v", want)
		}
	}
	if got[[2]string{"RL-APP-010", "shop-db"}] || got[[2]string{"RL-APP-003", "order-api"}] {
		t.Error("mitigated and in-discussion risks are not exceptions")
	}
	// ldap-injection is covered by RL-APP-010 (query injection), which
	// Redline reports on the link: the asset and the link are candidates.
	for _, el := range []string{"staff-directory", "back-office.staff-login"} {
		if k := [2]string{"RL-APP-010", el}; !got[k] || !res.Tentative[k] {
			t.Errorf("no tentative exception %v for the accepted LDAP injection", k)
		}
	}
	if len(m.Exceptions) != 4+2*len(comps) {
		t.Errorf("%d exceptions", len(m.Exceptions))
	}
	if !res.Tentative[[2]string{"RL-APP-001", "web-shop"}] {
		t.Error("wildcard exceptions are tentative")
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{
		"questions, abuse cases and security requirements",
		"tls.version 1.2",
		"declare sandbox",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}

	// Every exception here is tentative (a wildcard, or one Threagile rule
	// covered by two Redline rules).
	n := res.Prune(func(rule, element string) bool { return element == "web-shop" })
	if n != 4+2*len(comps)-2 || len(m.Exceptions) != 2 {
		t.Errorf("pruned %d, %d left", n, len(m.Exceptions))
	}
}

// TestImportGolden pins the whole imported model, written as YAML.
func TestImportGolden(t *testing.T) {
	res := importShop(t, Options{ExceptionExpiry: expiry})
	b, err := model.Encode(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Decode("shop.yaml", b, model.Limits{}); err != nil {
		t.Fatalf("the written model does not validate: %v", err)
	}
	const golden = "testdata/shop.redline.yaml"
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(b) != string(want) {
		t.Errorf("%s differs; run with -update after checking", golden)
	}
	again := importShop(t, Options{ExceptionExpiry: expiry})
	if b2, _ := model.Encode(again.Model); string(b2) != string(b) {
		t.Error("import is not deterministic")
	}
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	opts := Options{Standard: "s@1", Rules: rules}
	if _, err := Import(ctx, os.DirFS("testdata"), "shop.yaml", opts); err == nil || !strings.Contains(err.Error(), "--exception-expiry") {
		t.Errorf("no expiry: %v", err)
	}
	cases := map[string]fstest.MapFS{
		"include cycle": {"a.yaml": {Data: []byte("title: a\nincludes: [b.yaml]\n")}, "b.yaml": {Data: []byte("includes: [a.yaml]\n")}},
		"escape":        {"a.yaml": {Data: []byte("title: a\nincludes: [../x.yaml]\n")}},
		"duplicate":     {"a.yaml": {Data: []byte("title: a\nincludes: [b.yaml]\ndata_assets: {X: {id: x}}\n")}, "b.yaml": {Data: []byte("data_assets: {X: {id: y}}\n")}},
		"not yaml":      {"a.yaml": {Data: []byte("title: [\n")}},
		"empty":         {"a.yaml": {Data: []byte("")}},
		"alias bomb":    {"a.yaml": {Data: []byte(bomb())}},
		"wide aliases":  {"a.yaml": {Data: []byte(wideAliases())}},
	}
	want := map[string]string{
		"include cycle": "include cycle: a.yaml -> b.yaml -> a.yaml",
		"escape":        "leaves the model's directory",
		"duplicate":     `data asset "X" is already defined`,
		"not yaml":      "a.yaml: yaml:",
		"empty":         "empty file",
		"alias bomb":    "YAML aliases expand to more than 1000000 nodes",
		"wide aliases":  "YAML aliases expand to more than 1000000 nodes",
	}
	for name, fsys := range cases {
		start := time.Now()
		_, err := Import(ctx, fsys, "a.yaml", opts)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v", name, d)
		}
		if err == nil || !strings.Contains(err.Error(), want[name]) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := fstest.MapFS{"a.yaml": {Data: make([]byte, 100)}}
	if _, err := Import(ctx, big, "a.yaml", Options{Limits: Limits{MaxFileSize: 10}}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("size limit: %v", err)
	}
}

// wideAliases reuses one 200-item list in 20,000 places: 4 million
// strings from a 400 kB file.
func wideAliases() string {
	var b strings.Builder
	b.WriteString("tags_available: &t [")
	for i := range 200 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("x")
	}
	b.WriteString("]\ndata_assets:\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "  D%d: {id: d%d, tags: *t}\n", i, i)
	}
	return b.String()
}

func bomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("technical_assets: {A: {id: a, tags: *a8}}\n")
	return b.String()
}

// FuzzImport feeds arbitrary Threagile files to the importer: an error or a
// model that validates, never a panic.
func FuzzImport(f *testing.F) {
	shop, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shop)
	f.Add([]byte("title: x\ntechnical_assets: {A: {id: a, communication_links: {L: {target: a}}}}\n"))
	f.Add([]byte("risk_tracking: {'missing-waf@*': {status: accepted}}\ntechnical_assets: {A: {id: model}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"m.yaml": {Data: data}, "shop-data.yaml": {Data: []byte("data_assets: {}\n")}}
		res, err := Import(context.Background(), fsys, "m.yaml", Options{Standard: "s@1", Rules: rules, ExceptionExpiry: expiry})
		if err != nil {
			if strings.Contains(err.Error(), "please report this") {
				t.Fatal(err)
			}
			return
		}
		b, err := model.Encode(res.Model)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := model.Decode("m.yaml", b, model.Limits{}); err != nil {
			t.Fatalf("written model does not validate: %v\n%s", err, b)
		}
	})
}
