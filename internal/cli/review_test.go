package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

// reviewModel writes the review package's test model with every risk the
// built-in standard finds in it accepted by an exception until expires,
// and returns its path.
func reviewModel(t *testing.T, dir string, expires time.Time, edit func(*model.Model)) string {
	t.Helper()
	m, err := model.Load(context.Background(), "../design/review/testdata/v1.yaml", model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	std, err := standard.Resolve(m.Metadata.Standard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := threat.Check(context.Background(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.RedLines) > 0 || len(res.Findings) == 0 {
		t.Fatalf("the test model should have risks and no red line: %d findings, %d red lines", len(res.Findings), len(res.RedLines))
	}
	for _, f := range res.Findings {
		el := f.Location.Object
		if _, id, ok := strings.Cut(el, "/"); ok {
			el = id
		}
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: f.RuleID, Element: el, Reason: "tracked in SEC-1", Owner: "team-shop", Expires: expires})
	}
	if edit != nil {
		edit(m)
	}
	y, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "model.yaml")
	if err := os.WriteFile(p, y, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReviewWorkflow runs the review against a real server: submit, the
// gate blocks, approval is refused until the checklist and minutes are
// done and refused to a developer, a security (admin) token approves, the
// gate passes, a changed model supersedes the approval and shows the diff,
// and every decision reaches the audit log and the webhook.
func TestReviewWorkflow(t *testing.T) {
	ctx := context.Background()
	st, admin := serverStore(t)
	dev, _, err := st.CreateToken(ctx, store.NewToken{Name: "dev", Scopes: []string{store.ScopeUpload, store.ScopeRead}, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []notify.ReviewEvent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p struct {
			Event  string             `json:"event"`
			Review notify.ReviewEvent `json:"review"`
		}
		if err := json.Unmarshal(b, &p); err != nil || p.Event != "redline.review" {
			t.Errorf("webhook body %s: %v", b, err)
		}
		mu.Lock()
		events = append(events, p.Review)
		mu.Unlock()
	}))
	defer hook.Close()
	srv, err := server.New(server.Config{Store: st, ReviewWebhook: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	t.Setenv("REDLINE_SERVER", hs.URL)

	dir := t.TempDir()
	v1 := reviewModel(t, dir, time.Now().AddDate(0, 2, 0), nil)
	as := func(tok string) { t.Setenv("REDLINE_TOKEN", tok) }
	must := func(want int, args ...string) string { t.Helper(); return runWant(t, want, args...) }

	as(dev)
	out := must(ExitOK, "review", "submit", v1, "--product", "shop", "--release", "2026.12")
	if !strings.Contains(out, "opened review 1 of shop 2026.12") {
		t.Fatalf("submit: %s", out)
	}
	must(ExitError, "review", "submit", v1, "--product", "other")
	if out := must(ExitOK, "review", "submit", v1); !strings.Contains(out, "model unchanged: review 1 stays draft") {
		t.Fatalf("resubmit: %s", out)
	}
	if out := must(ExitBlocked, "review", "gate", v1); !strings.Contains(out, "BLOCKED: review 1 of model") || !strings.Contains(out, "is draft") {
		t.Fatalf("gate before approval: %s", out)
	}
	as(admin)
	if out := must(ExitBlocked, "review", "approve", "1"); !strings.Contains(out, "checklist item(s) unanswered") || !strings.Contains(out, "no meeting minutes") {
		t.Fatalf("early approval: %s", out)
	}

	as(dev)
	var rv review.Review
	if err := json.Unmarshal([]byte(must(ExitOK, "review", "show", "1", "--json")), &rv); err != nil {
		t.Fatal(err)
	}
	if len(rv.Risks.Open) != 0 || len(rv.Risks.Accepted) == 0 || len(rv.Checklist) == 0 {
		t.Fatalf("review 1: %d open, %d accepted risks, %d items", len(rv.Risks.Open), len(rv.Risks.Accepted), len(rv.Checklist))
	}
	args := []string{"review", "answer", "1"}
	for _, it := range rv.Checklist {
		args = append(args, it.ID)
	}
	must(ExitOK, append(args, "--status", "met", "--evidence", "https://wiki.example/shop/review-2026-12")...)
	must(ExitOK, "review", "minutes", "1", "Walked through the data flows; exceptions tracked in SEC-1.")
	if out := must(ExitError, "review", "approve", "1"); !strings.Contains(out, "403") {
		t.Fatalf("developer approval: %s", out)
	}

	as(admin)
	if out := must(ExitOK, "review", "approve", "1", "--note", "fine for development"); !strings.Contains(out, "review 1: approved") {
		t.Fatalf("approve: %s", out)
	}
	if out := must(ExitOK, "review", "gate", v1); !strings.Contains(out, "passed: review 1 approved") {
		t.Fatalf("gate after approval: %s", out)
	}
	must(ExitOK, "review", "gate", "--product", "shop", "--release", "2026.12")

	// The model changes: the datastore is opened to the internet.
	v2 := reviewModel(t, t.TempDir(), time.Now().AddDate(0, 2, 0), func(m *model.Model) {
		m.Interfaces = append(m.Interfaces, model.Interface{ID: "user-db", From: "user", To: "db", Protocol: model.ProtocolSQL,
			Authentication: model.AuthnPassword, Authorization: model.AuthzRBAC, Sends: []string{"orders"}})
	})
	if out := must(ExitBlocked, "review", "gate", v2); !strings.Contains(out, "was never submitted for review") {
		t.Fatalf("gate of an unsubmitted model: %s", out)
	}
	as(dev)
	if out := must(ExitOK, "review", "submit", v2); !strings.Contains(out, "opened review 2") || !strings.Contains(out, "supersedes review 1") {
		t.Fatalf("submit v2: %s", out)
	}
	if out := must(ExitBlocked, "review", "gate", v1); !strings.Contains(out, "superseded by review 2") {
		t.Fatalf("gate of the old model: %s", out)
	}
	must(ExitBlocked, "review", "gate", "--product", "shop", "--release", "2026.12")
	out = must(ExitOK, "review", "show", "2")
	for _, want := range []string{"Supersedes review 1", "CHANGES SINCE REVIEW 1", "user-db", "+ critical RL-NET-002 on component/db", "RED LINE"} {
		if !strings.Contains(out, want) {
			t.Errorf("review 2 does not show %q:\n%s", want, out)
		}
	}
	as(admin)
	if out := must(ExitBlocked, "review", "approve", "2"); !strings.Contains(out, "open red-line risk(s)") {
		t.Fatalf("approval with a red line: %s", out)
	}
	must(ExitError, "review", "reject", "2")
	must(ExitOK, "review", "reject", "2", "--reason", "the datastore must not be reachable from the internet")
	if out := must(ExitBlocked, "review", "gate", v2); !strings.Contains(out, "was rejected: the datastore must not") {
		t.Fatalf("gate after rejection: %s", out)
	}

	// Every decision is in the audit log and went to the webhook.
	audit, err := st.Audit(ctx, store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var decided []string
	for _, e := range audit {
		if strings.HasSuffix(e.Action, "/approve") || strings.HasSuffix(e.Action, "/reject") || e.Action == "POST /api/v1/reviews" {
			decided = append(decided, e.Actor+" "+e.Object+" "+http.StatusText(e.Status))
		}
	}
	want := []string{"dev review 1 Created", "dev review 1 OK", "bootstrap-admin review 1 Conflict", "dev  Forbidden", // refused before the review is looked up
		"bootstrap-admin review 1 OK", "dev review 2 Created", "bootstrap-admin review 2 Conflict",
		"bootstrap-admin review 2 OK"}
	if strings.Join(decided, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(decided, "\n"), strings.Join(want, "\n"))
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, e := range events {
		got = append(got, e.Action+" "+e.State+" "+e.Actor)
	}
	wantEv := []string{"submit draft dev", "approve approved bootstrap-admin", "supersede superseded dev", "submit draft dev", "reject rejected bootstrap-admin"}
	if strings.Join(got, "\n") != strings.Join(wantEv, "\n") {
		t.Errorf("webhook events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantEv, "\n"))
	}
}
