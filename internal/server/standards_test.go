package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/store"
)

// corpStandard is a custom standard for the review test model
// (../design/review/testdata/v1.yaml): a custom red line on its datastore,
// and a checklist of its own.
const corpStandard = `apiVersion: redline.dev/v1
kind: Standard
metadata:
  name: corp-review
  version: "1"
  title: Corporate review standard
  effective: {from: 2026-01-01}
rules: [RL-APP-010]
redLines: [CORP-DB-001]
customRules:
  - id: CORP-DB-001
    title: Datastore without encryption at rest
    layer: data
    stride: information-disclosure
    cwe: 311
    likelihood: likely
    impact: high
    over: component
    condition: component.type == "datastore" && component.encryptionAtRest == ""
    rationale: Stolen disks leak the data.
    mitigation: Encrypt the datastore.
checklist:
  - id: CORP-WALKTHROUGH
    title: The team walked the security architect through the model ({standard})
  - id: CORP-TENANT
    title: Cross-tenant tests are automated
    when: model.tenancy.model == "multi"
  - id: CORP-DATA-OWNER
    title: The owner of confidential data signed off
    when: data.exists(d, d.rank >= CONFIDENTIAL)
`

func TestPublishStandard(t *testing.T) {
	ts := newTestServer(t, Config{})
	ctx := context.Background()
	publish := func(tok, body string) (int, string) {
		t.Helper()
		return ts.request(t, "POST", "/api/v1/standards", tok, "application/yaml", []byte(body))
	}
	code, body := publish(ts.admin, corpStandard)
	if code != http.StatusCreated {
		t.Fatalf("publish: %d %s", code, body)
	}
	var res PublishResponse
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	want, err := standard.Parse("corp", []byte(corpStandard))
	if err != nil {
		t.Fatal(err)
	}
	got := res.Standard
	if !res.Created || got.Ref != "corp-review@1" || got.Hash != want.Hash() || got.Builtin || got.PublishedBy != "bootstrap-admin" ||
		got.PublishedAt == nil || got.From != "2026-01-01" || got.Until != "" || got.Content != corpStandard {
		t.Fatalf("publish answer %+v", res)
	}
	// The same content in another layout is the same version: nothing changes.
	relaid := strings.Replace(corpStandard, "rules: [RL-APP-010]", "rules:\n  - RL-APP-010", 1)
	if code, body := publish(ts.admin, relaid); code != http.StatusOK || !strings.Contains(body, `"created": false`) {
		t.Fatalf("republish: %d %s", code, body)
	}
	// Changed content under the published version is refused.
	changed := strings.Replace(corpStandard, "impact: high", "impact: very-high", 1)
	if code, body := publish(ts.admin, changed); code != http.StatusConflict || !strings.Contains(body, "publish a new version") {
		t.Fatalf("changed content: %d %s", code, body)
	}
	// A new version with the change is fine.
	if code, body := publish(ts.admin, strings.Replace(changed, `version: "1"`, `version: "2"`, 1)); code != http.StatusCreated {
		t.Fatalf("new version: %d %s", code, body)
	}

	for _, tc := range []struct {
		name, body string
		want       int
		text       string
	}{
		{"built-in ref", strings.NewReplacer("name: corp-review", "name: redline-baseline", `version: "1"`, "version: 2026H2").Replace(corpStandard),
			http.StatusConflict, "is a built-in standard"},
		{"built-in name", strings.Replace(corpStandard, "name: corp-review", "name: redline-baseline", 1),
			http.StatusConflict, "reserved for Redline's built-in standards"},
		{"invalid", strings.Replace(corpStandard, "RL-APP-010]", "RL-APP-999]", 1), http.StatusBadRequest, "unknown built-in rule"},
		{"bad checklist condition", strings.Replace(corpStandard, "d.rank >= CONFIDENTIAL", "d.ranks >= 1", 1), http.StatusBadRequest,
			"checklist[2] CORP-DATA-OWNER: when: CEL"},
		{"not yaml", "\t:", http.StatusBadRequest, "invalid standard"},
		{"too large", corpStandard + "#" + strings.Repeat("x", standard.MaxFileSize), http.StatusRequestEntityTooLarge, "larger than"},
	} {
		if code, body := publish(ts.admin, tc.body); code != tc.want || !strings.Contains(body, tc.text) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}

	// Every publish is audited, refused ones too.
	entries, err := ts.store.Audit(ctx, store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var audited []string
	for _, e := range entries {
		if e.Action == "POST /api/v1/standards" {
			audited = append(audited, e.Object+" "+http.StatusText(e.Status))
		}
	}
	if len(audited) != 10 || audited[0] != "standard corp-review@1 Created" || audited[1] != "standard corp-review@1 OK" ||
		audited[2] != "standard corp-review@1 Conflict" {
		t.Fatalf("audit: %q", audited)
	}

	// The list has the built-ins first, then the published versions.
	code, body = ts.request(t, "GET", "/api/v1/standards", ts.token(t, "reader", store.ScopeRead), "", nil)
	var list StandardList
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("list: %d %s", code, body)
	}
	var refs []string
	for _, s := range list.Standards {
		refs = append(refs, s.Ref)
		if s.Builtin != strings.HasPrefix(s.Ref, "redline-baseline@") || s.Hash == "" || s.From == "" {
			t.Errorf("list entry %+v", s)
		}
	}
	if !slices.Equal(refs, []string{"redline-baseline@2026H1", "redline-baseline@2026H2", "corp-review@1", "corp-review@2"}) {
		t.Fatalf("list: %v", refs)
	}
	var one StandardDetail
	code, body = ts.request(t, "GET", "/api/v1/standards/corp-review@1", ts.admin, "", nil)
	if code != 200 || json.Unmarshal([]byte(body), &one) != nil || one.Content != corpStandard || one.Hash != want.Hash() {
		t.Fatalf("get published: %d %s", code, body)
	}
	code, body = ts.request(t, "GET", "/api/v1/standards/"+standard.DefaultRef, ts.admin, "", nil)
	if code != 200 || json.Unmarshal([]byte(body), &one) != nil || !one.Builtin || !strings.Contains(one.Content, "kind: Standard") {
		t.Fatalf("get built-in: %d %s", code, body)
	}
	if code, body := ts.request(t, "GET", "/api/v1/standards/corp-review@9", ts.admin, "", nil); code != 404 {
		t.Fatalf("get unknown: %d %s", code, body)
	}
}

// TestPublishStandardPermissions: publishing needs the security or admin
// role on every product, or an admin token bound to no product.
func TestPublishStandardPermissions(t *testing.T) {
	ts := newTestServer(t, Config{})
	bound, _, err := ts.store.CreateToken(context.Background(), store.NewToken{Name: "shop-admin", Scopes: []string{store.ScopeAdmin},
		Product: "shop", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	version := 0
	body := func() []byte {
		version++
		return []byte(strings.Replace(corpStandard, `version: "1"`, `version: "`+strings.Repeat("1", version)+`"`, 1))
	}
	for _, tc := range []struct {
		name string
		do   func(b []byte) (int, string)
		want int
	}{
		{"no token", func(b []byte) (int, string) { return ts.request(t, "POST", "/api/v1/standards", "", "", b) }, 401},
		{"read token", func(b []byte) (int, string) {
			return ts.request(t, "POST", "/api/v1/standards", ts.token(t, "r", store.ScopeRead), "", b)
		}, 403},
		{"upload token", func(b []byte) (int, string) {
			return ts.request(t, "POST", "/api/v1/standards", ts.token(t, "u", store.ScopeUpload, store.ScopeRead), "", b)
		}, 403},
		{"product-bound admin token", func(b []byte) (int, string) { return ts.request(t, "POST", "/api/v1/standards", bound, "", b) }, 403},
		{"developer everywhere", func(b []byte) (int, string) {
			return ts.sessionFor(t, "dev@example.com", store.AllProducts, store.RoleDeveloper)("POST", "/api/v1/standards", b)
		}, 403},
		{"security on one product", func(b []byte) (int, string) {
			return ts.sessionFor(t, "shopsec@example.com", "shop", store.RoleSecurity)("POST", "/api/v1/standards", b)
		}, 403},
		{"security everywhere", func(b []byte) (int, string) {
			return ts.sessionFor(t, "sec@example.com", store.AllProducts, store.RoleSecurity)("POST", "/api/v1/standards", b)
		}, 201},
		{"admin user", func(b []byte) (int, string) {
			return ts.sessionFor(t, "admin@example.com", store.AllProducts, store.RoleAdmin)("POST", "/api/v1/standards", b)
		}, 201},
		{"admin token", func(b []byte) (int, string) { return ts.request(t, "POST", "/api/v1/standards", ts.admin, "", b) }, 201},
	} {
		if code, out := tc.do(body()); code != tc.want {
			t.Errorf("%s: %d %s", tc.name, code, out)
		}
	}
	list, err := ts.store.PublishedStandards(context.Background())
	if err != nil || len(list) != 3 || list[0].PublishedBy != "sec@example.com" {
		t.Fatalf("published: %+v %v", list, err)
	}
}

// TestReviewAgainstPublishedStandard: a model pinning a published custom
// standard is checked against its rules, red lines and checklist.
func TestReviewAgainstPublishedStandard(t *testing.T) {
	ts := newTestServer(t, Config{})
	yml := strings.Replace(reviewModelYAML(t), "standard: redline-baseline@2026H2", "standard: corp-review@1", 1)
	dev := ts.token(t, "ci", store.ScopeUpload, store.ScopeRead)
	if code, body := ts.request(t, "POST", "/api/v1/reviews", dev, "application/json", submitBody(t, yml)); code != 400 ||
		!strings.Contains(body, "corp-review@1, which this server does not have") {
		t.Fatalf("submit before publishing: %d %s", code, body)
	}
	if code, body := ts.request(t, "POST", "/api/v1/standards", ts.admin, "application/yaml", []byte(corpStandard)); code != 201 {
		t.Fatalf("publish: %d %s", code, body)
	}
	code, body := ts.request(t, "POST", "/api/v1/reviews", dev, "application/json", submitBody(t, yml))
	if code != http.StatusCreated {
		t.Fatalf("submit: %d %s", code, body)
	}
	var res SubmitReviewResponse
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	rv := res.Review
	std, err := standard.Parse("corp", []byte(corpStandard))
	if err != nil {
		t.Fatal(err)
	}
	if rv.Standard != "corp-review@1" || rv.StandardHash != std.Hash() {
		t.Fatalf("review standard %s %s", rv.Standard, rv.StandardHash)
	}
	// The custom red line fires on the datastore and blocks approval.
	if rv.Risks.RedLines() != 1 || rv.Risks.Open[0].RuleID != "CORP-DB-001" || rv.Risks.Open[0].Element != "component/db" {
		t.Fatalf("risks %+v", rv.Risks)
	}
	var ids []string
	for _, it := range rv.Checklist {
		ids = append(ids, it.ID)
	}
	// The standard's rules that apply, then its own checklist: no default
	// items, and no tenant item for a single-tenant model.
	if wantIDs := []string{"CORP-DB-001", "RL-APP-010", "CORP-WALKTHROUGH", "CORP-DATA-OWNER"}; !slices.Equal(ids, wantIDs) {
		t.Fatalf("checklist %v, want %v", ids, wantIDs)
	}
	if it := rv.Item("CORP-DB-001"); !it.RedLine || it.OpenRisks != 1 {
		t.Fatalf("red-line item %+v", it)
	}
	if it := rv.Item("CORP-WALKTHROUGH"); it.Kind != review.KindGeneric || !strings.HasSuffix(it.Title, "(corp-review@1)") {
		t.Fatalf("generic item %+v", it)
	}
	blockers := strings.Join(rv.Blockers("sec", rv.SubmittedAt), "; ")
	if !strings.Contains(blockers, "1 open red-line risk(s)") || !strings.Contains(blockers, "CORP-DB-001 on component/db") {
		t.Fatalf("blockers: %s", blockers)
	}
}

// TestStandardCache: a published version is parsed once, and a stored
// copy whose hash differs from the cached one is parsed again.
func TestStandardCache(t *testing.T) {
	var c standardCache
	a, err := standard.Parse("a.yaml", []byte(corpStandard))
	if err != nil {
		t.Fatal(err)
	}
	if c.get(a.Ref(), a.Hash()) != nil {
		t.Fatal("empty cache answered")
	}
	c.put(a.Ref(), a.Hash(), a)
	if c.get(a.Ref(), a.Hash()) != a || c.get(a.Ref(), "sha256:other") != nil {
		t.Error("cache keyed wrongly")
	}
	for i := range maxCachedStandards + 1 {
		c.put(fmt.Sprintf("x@%d", i), "h", a)
	}
	if len(c.published) > maxCachedStandards {
		t.Errorf("cache holds %d standards, bound %d", len(c.published), maxCachedStandards)
	}
	b1, err := c.builtin()
	if err != nil || len(b1) == 0 {
		t.Fatalf("built-in standards: %v %v", b1, err)
	}
	if b2, _ := c.builtin(); &b2[0] != &b1[0] {
		t.Error("built-in standards parsed again")
	}
}
