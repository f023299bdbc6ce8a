package review

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
)

var t0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// submission loads a testdata model, applies edit, and checks it under the
// test standard.
func submission(t *testing.T, edit func(m *model.Model)) Submission {
	t.Helper()
	m, err := model.Load(context.Background(), filepath.Join("testdata", "v1.yaml"), model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "standard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	std, err := standard.Parse("standard.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := threat.Check(context.Background(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref(),
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	y, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return Submission{Model: m, ModelYAML: y, Standard: std.Ref(), StandardHash: std.Hash(), RedLineRules: std.RedLines,
		Result: res, By: "dev", At: t0}
}

// acceptInjection excepts the query-injection risk of v1 until a day.
func acceptInjection(until time.Time) func(*model.Model) {
	return func(m *model.Model) {
		m.Exceptions = append(m.Exceptions, model.Exception{Rule: "RL-APP-010", Element: "api-db", Reason: "ORM only",
			Owner: "team-shop", Expires: until})
	}
}

// exposeDB puts the datastore on the internet: the red line fires.
func exposeDB(m *model.Model) {
	m.Interfaces = append(m.Interfaces, model.Interface{ID: "user-db", From: "user", To: "db", Protocol: model.ProtocolSQL,
		Authentication: model.AuthnPassword, Authorization: model.AuthzRBAC, Sends: []string{"orders"}})
}

// answerAll answers every item with the status.
func answerAll(t *testing.T, r *Review, st Status) {
	t.Helper()
	for _, it := range r.Checklist {
		if err := r.Answer(it.ID, st, "checked in the design meeting", "sec", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSubmitChecklist(t *testing.T) {
	sub := submission(t, nil)
	r, err := Submit(nil, sub)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StateDraft || r.ModelHash != sub.Model.Hash() || r.Standard != "review-test@1" || r.Diff != nil {
		t.Fatalf("review = %+v", r)
	}
	var ids []string
	for _, it := range r.Checklist {
		ids = append(ids, it.ID)
	}
	// RL-NET-002 applies (the model has zones) and RL-APP-010 fires; the
	// generic items follow: no tenancy, no exception, nothing reachable
	// from the internet.
	want := []string{"RL-APP-010", "RL-NET-002", "GEN-DFD", "GEN-CLASS", "GEN-REDLINE", "GEN-IR"}
	if !slices.Equal(ids, want) {
		t.Fatalf("checklist = %v, want %v", ids, want)
	}
	if it := r.Item("rl-app-010"); it == nil || it.OpenRisks != 1 || it.RedLine {
		t.Fatalf("RL-APP-010 item = %+v", it)
	}
	if it := r.Item("RL-NET-002"); it == nil || !it.RedLine || it.OpenRisks != 0 {
		t.Fatalf("RL-NET-002 item = %+v", it)
	}
	if !strings.Contains(r.Item("GEN-REDLINE").Title, "review-test@1") {
		t.Fatalf("GEN-REDLINE does not name the standard: %q", r.Item("GEN-REDLINE").Title)
	}
}

func TestApprovalConditions(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*model.Model)
		answer  Status
		minutes bool
		by      string
		at      time.Time
		want    []string // substrings of the blockers, in order; none means approval passes
	}{
		{name: "open risk", answer: StatusMet, minutes: true, by: "sec", at: t0,
			want: []string{"1 risk(s) neither mitigated nor accepted with an expiry: RL-APP-010 on interface/api-db"}},
		{name: "accepted risk", edit: acceptInjection(t0.AddDate(0, 3, 0)), answer: StatusMet, minutes: true, by: "sec", at: t0},
		{name: "accepted risk not met", edit: acceptInjection(t0.AddDate(0, 3, 0)), answer: StatusNotMet, minutes: true, by: "sec", at: t0,
			want: []string{"checklist item(s) not met: RL-NET-002, GEN-DFD"}},
		{name: "exception expired since", edit: acceptInjection(t0.AddDate(0, 0, 1)), answer: StatusMet, minutes: true, by: "sec", at: t0.AddDate(0, 0, 3),
			want: []string{"1 accepted risk(s) whose exception has expired: RL-APP-010 on interface/api-db"}},
		{name: "red line", edit: func(m *model.Model) { acceptInjection(t0.AddDate(0, 3, 0))(m); exposeDB(m) }, answer: StatusMet, minutes: true, by: "sec", at: t0,
			want: []string{"1 open red-line risk(s), which no exception can accept: RL-NET-002 on component/db"}},
		{name: "red line excepted", edit: func(m *model.Model) {
			acceptInjection(t0.AddDate(0, 3, 0))(m)
			exposeDB(m)
			m.Exceptions = append(m.Exceptions, model.Exception{Rule: "RL-NET-002", Element: "db", Reason: "r", Owner: "o", Expires: t0.AddDate(1, 0, 0)})
		}, answer: StatusMet, minutes: true, by: "sec", at: t0,
			want: []string{"open red-line risk(s)"}},
		{name: "unanswered", edit: acceptInjection(t0.AddDate(0, 3, 0)), minutes: true, by: "sec", at: t0,
			want: []string{"7 checklist item(s) unanswered: RL-APP-010, RL-NET-002, GEN-DFD, GEN-CLASS, GEN-EXC, GEN-REDLINE, GEN-IR"}},
		{name: "no minutes", edit: acceptInjection(t0.AddDate(0, 3, 0)), answer: StatusMet, by: "sec", at: t0,
			want: []string{"no meeting minutes recorded"}},
		{name: "submitter approves", edit: acceptInjection(t0.AddDate(0, 3, 0)), answer: StatusMet, minutes: true, by: "dev", at: t0,
			want: []string{"dev submitted the model and cannot also approve it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Submit(nil, submission(t, tc.edit))
			if err != nil {
				t.Fatal(err)
			}
			if tc.answer != StatusUnanswered {
				answerAll(t, r, tc.answer)
			}
			if tc.minutes {
				if err := r.AddMinutes("walked through the data flows", "sec", t0); err != nil {
					t.Fatal(err)
				}
			}
			got := r.Blockers(tc.by, tc.at)
			if len(got) != len(tc.want) {
				t.Fatalf("blockers = %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("blocker %d = %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
			err = r.Approve(tc.by, "", tc.at)
			switch {
			case len(tc.want) == 0 && err != nil:
				t.Fatalf("approve: %v", err)
			case len(tc.want) == 0:
				if r.State != StateApproved || r.DecidedAt == nil || r.Decisions[len(r.Decisions)-1].Action != ActionApprove {
					t.Fatalf("after approval: %+v", r)
				}
			case !errors.Is(err, ErrNotAllowed):
				t.Fatalf("approve = %v, want ErrNotAllowed", err)
			case r.State == StateApproved:
				t.Fatal("approved although blocked")
			}
		})
	}
}

func TestStateMoves(t *testing.T) {
	r, err := Submit(nil, submission(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Reject("sec", " ", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("reject without reason = %v", err)
	}
	if err := r.Answer("RL-APP-010", StatusMet, "", "sec", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("answer without evidence = %v", err)
	}
	if err := r.Answer("RL-APP-010", "done", "x", "sec", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("answer with bad status = %v", err)
	}
	if err := r.Answer("NOPE", StatusMet, "x", "sec", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("answer to unknown item = %v", err)
	}
	if r.State != StateDraft {
		t.Fatalf("state after failed calls = %s", r.State)
	}
	if err := r.Answer("RL-APP-010", StatusNotMet, "uses string concatenation", "sec", t0); err != nil {
		t.Fatal(err)
	}
	if r.State != StateInReview {
		t.Fatalf("state after an answer = %s", r.State)
	}
	if err := r.Reject("sec", "query injection surface with no mitigation", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	d := r.Decisions[len(r.Decisions)-1]
	if r.State != StateRejected || d.Action != ActionReject || d.From != StateInReview || d.Actor != "sec" || d.Reason == "" {
		t.Fatalf("after rejection: state %s, decision %+v", r.State, d)
	}
	if err := r.Answer("RL-APP-010", StatusMet, "x", "sec", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("answer after rejection = %v", err)
	}
	if err := r.Reject("sec", "again", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("second rejection = %v", err)
	}
	if err := r.Approve("sec", "", t0); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("approve after rejection = %v", err)
	}
}

func TestResubmit(t *testing.T) {
	first := submission(t, acceptInjection(t0.AddDate(0, 3, 0)))
	r1, err := Submit(nil, first)
	if err != nil {
		t.Fatal(err)
	}
	r1.ID = 1
	answerAll(t, r1, StatusMet)
	if err := r1.AddMinutes("ok", "sec", t0); err != nil {
		t.Fatal(err)
	}
	if err := r1.Approve("sec", "fine", t0); err != nil {
		t.Fatal(err)
	}
	same, err := Submit(r1, first)
	if err != nil || same != nil || r1.State != StateApproved {
		t.Fatalf("same model again: %v, %v, state %s", same, err, r1.State)
	}
	changed := submission(t, func(m *model.Model) { acceptInjection(t0.AddDate(0, 3, 0))(m); exposeDB(m) })
	r2, err := Submit(r1, changed)
	if err != nil {
		t.Fatal(err)
	}
	if r1.State != StateSuperseded || r1.Decisions[len(r1.Decisions)-1].Action != ActionSupersede {
		t.Fatalf("previous review: state %s", r1.State)
	}
	if r2.Previous != 1 || r2.Diff == nil || r2.Diff.Architecture.Summary.Added != 1 || len(r2.Diff.Risks.Added) != 1 ||
		r2.Diff.Risks.Added[0].RuleID != "RL-NET-002" {
		t.Fatalf("diff = %+v", r2.Diff)
	}
	if r2.Risks.RedLines() != 1 {
		t.Fatalf("red lines = %d", r2.Risks.RedLines())
	}
	if _, err := Submit(&Review{ID: 9, Product: "other", Release: "1"}, changed); !errors.Is(err, ErrInvalid) {
		t.Fatalf("submit over another product's review = %v", err)
	}
}

func TestGate(t *testing.T) {
	approve := func(r *Review) {
		answerAll(t, r, StatusMet)
		_ = r.AddMinutes("ok", "sec", t0)
		if err := r.Approve("sec", "", t0); err != nil {
			t.Fatal(err)
		}
	}
	sub := submission(t, acceptInjection(t0.AddDate(0, 0, 10)))
	approved, _ := Submit(nil, sub)
	approved.ID = 1
	approve(approved)
	draft, _ := Submit(nil, sub)
	draft.ID = 2
	rejected, _ := Submit(nil, sub)
	rejected.ID = 3
	_ = rejected.Reject("sec", "no tenant tests", t0)
	superseded, _ := Submit(nil, sub)
	superseded.ID, superseded.State, superseded.SupersededBy = 4, StateSuperseded, 5

	tests := []struct {
		name              string
		hash              string
		reviewed, current *Review
		now               time.Time
		pass              bool
		reason            string
	}{
		{"nothing submitted", "", nil, nil, t0, false, "no model of shop 2026.12 was submitted"},
		{"approved current", "", nil, approved, t0, true, "review 1 approved"},
		{"approved by hash", approved.ModelHash, approved, approved, t0, true, "review 1 approved"},
		{"unknown hash", "sha256:abc", nil, approved, t0, false, "was never submitted for review"},
		{"draft", "", nil, draft, t0, false, "review 2 of model " + short(sub.Model.Hash()) + " is draft"},
		{"rejected", "", nil, rejected, t0, false, "was rejected: no tenant tests"},
		{"superseded", approved.ModelHash, superseded, draft, t0, false, "superseded by review 5"},
		{"approved but not current", approved.ModelHash, approved, draft, t0, false, "but review 2 of model"},
		{"exception expired", "", nil, approved, t0.AddDate(0, 0, 11), false, "expired on"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Gate("shop", "2026.12", tc.hash, tc.reviewed, tc.current, tc.now)
			if v.Pass != tc.pass || !strings.Contains(v.Reason, tc.reason) {
				t.Fatalf("gate = %+v, want pass %v and reason containing %q", v, tc.pass, tc.reason)
			}
		})
	}
}

func TestApplies(t *testing.T) {
	base := submission(t, nil).Model
	rule := func(layer threat.Layer) *threat.Rule { return &threat.Rule{ID: "X", Layer: layer} }
	tests := []struct {
		name  string
		rule  *threat.Rule
		edit  func(*model.Model)
		wants bool
	}{
		{"virtualization with runtimes", rule(threat.LayerVirtualization), nil, true},
		{"virtualization without runtimes", rule(threat.LayerVirtualization), func(m *model.Model) { m.Runtimes = nil }, false},
		{"gateway without external callers", rule(threat.LayerGateway), nil, false},
		{"gateway with an internet caller", rule(threat.LayerGateway), func(m *model.Model) {
			m.Interfaces = append(m.Interfaces, model.Interface{ID: "u-api", From: "user", To: "api", Protocol: model.ProtocolHTTPS})
		}, true},
		{"application with custom code", rule(threat.LayerApplication), nil, true},
		{"application without custom code", rule(threat.LayerApplication), func(m *model.Model) { m.Components[1].CustomCode = false }, false},
		{"tenant isolation, single tenant", rule(threat.LayerTenant), nil, false},
		{"tenant isolation, multi-tenant", rule(threat.LayerTenant), func(m *model.Model) { m.Tenancy.Model = model.MultiTenant }, true},
		{"data without assets", rule(threat.LayerData), func(m *model.Model) { m.Data = nil }, false},
		{"model completeness", rule(threat.LayerModel), func(m *model.Model) { m.Components = nil }, true},
		{"custom rule over zones", &threat.Rule{ID: "C", Custom: true, Over: "zone"}, nil, true},
		{"custom rule over runtimes without any", &threat.Rule{ID: "C", Custom: true, Over: "runtime"}, func(m *model.Model) { m.Runtimes = nil }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := model.Decode("m.yaml", mustEncode(t, base), model.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(m)
			}
			if got := applies(tc.rule, m, model.NewGraph(m)); got != tc.wants {
				t.Fatalf("applies = %v, want %v", got, tc.wants)
			}
		})
	}
}

func mustEncode(t *testing.T, m *model.Model) []byte {
	t.Helper()
	b, err := model.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
