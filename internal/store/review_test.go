package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/finding"
)

// newReview is a review as review.Submit makes one, for the store tests.
func newReview(hash string, at time.Time) *review.Review {
	exp := at.AddDate(0, 1, 0)
	return &review.Review{
		Product: "shop", Release: "2026.12", ModelHash: hash, Standard: "std@1", StandardHash: "sha256:std",
		State: review.StateDraft, SubmittedBy: "dev", SubmittedAt: at,
		Risks: review.Risks{Open: []review.Risk{{Fingerprint: "fp1", RuleID: "RL-NET-002", Severity: "critical", Element: "component/db", RedLine: true}},
			Accepted: []review.Risk{{Fingerprint: "fp2", RuleID: "RL-APP-010", Severity: "high", Element: "interface/api-db", Owner: "o", Reason: "r", Expires: &exp}}},
		Checklist: []review.Item{
			{ID: "RL-NET-002", Kind: review.KindRule, Title: "Datastore reachable", Layer: "network", Severity: "critical", RedLine: true, OpenRisks: 1},
			{ID: "GEN-DFD", Kind: review.KindGeneric, Title: "Diagram matches"},
		},
		Minutes:   []review.Minute{},
		Decisions: []review.Decision{{At: at, Actor: "dev", Action: review.ActionSubmit, To: review.StateDraft, RedLines: 1}},
		Basis:     review.Basis{ModelYAML: []byte("apiVersion: x\n"), Findings: []finding.Finding{{Fingerprint: "fp1", RuleID: "RL-NET-002"}}},
	}
}

func TestReviewStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		r1, created, err := d.SubmitReview(ctx, "shop", "2026.12", func(cur *review.Review) (*review.Review, error) {
			if cur != nil {
				t.Fatalf("current review of a new release: %+v", cur)
			}
			return newReview("sha256:aaa", clk.Now()), nil
		})
		if err != nil || !created || r1.ID == 0 {
			t.Fatalf("submit: %+v, %v, %v", r1, created, err)
		}
		// The same model again keeps the review.
		again, created, err := d.SubmitReview(ctx, "shop", "2026.12", func(cur *review.Review) (*review.Review, error) {
			if cur == nil || cur.ID != r1.ID || string(cur.Basis.ModelYAML) != "apiVersion: x\n" || len(cur.Basis.Findings) != 1 {
				t.Fatalf("current review = %+v", cur)
			}
			return nil, nil
		})
		if err != nil || created || again.ID != r1.ID {
			t.Fatalf("resubmit: %+v, %v, %v", again, created, err)
		}
		clk.Advance(time.Hour)
		up, err := d.UpdateReview(ctx, r1.ID, func(r *review.Review) error {
			if err := r.Answer("GEN-DFD", review.StatusMet, "see diagram v3", "sec", clk.Now()); err != nil {
				return err
			}
			return r.AddMinutes("walked through the flows", "sec", clk.Now())
		})
		if err != nil || up.State != review.StateInReview {
			t.Fatalf("update: %+v, %v", up, err)
		}
		// A failing change saves nothing.
		_, err = d.UpdateReview(ctx, r1.ID, func(r *review.Review) error {
			_ = r.AddMinutes("half done", "sec", clk.Now())
			return r.Reject("sec", "", clk.Now())
		})
		if !errors.Is(err, review.ErrInvalid) {
			t.Fatalf("reject without reason = %v", err)
		}
		got, err := d.Review(ctx, r1.ID)
		if err != nil {
			t.Fatal(err)
		}
		it := got.Item("GEN-DFD")
		if got.State != review.StateInReview || it.Status != review.StatusMet || it.Evidence != "see diagram v3" || it.AnsweredBy != "sec" ||
			it.AnsweredAt == nil || !it.AnsweredAt.Equal(clk.Now()) || len(got.Minutes) != 1 || got.Minutes[0].Text != "walked through the flows" ||
			len(got.Decisions) != 1 || got.Risks.RedLines() != 1 || got.Risks.Accepted[0].Expires == nil || !got.Item("RL-NET-002").RedLine {
			t.Fatalf("stored review = %+v", got)
		}
		if _, err := d.UpdateReview(ctx, r1.ID, func(r *review.Review) error { return r.Approve("sec", "", clk.Now()) }); !errors.Is(err, review.ErrNotAllowed) {
			t.Fatalf("approve with a red line = %v", err)
		}
		// A changed model supersedes the review.
		clk.Advance(time.Hour)
		r2, created, err := d.SubmitReview(ctx, "shop", "2026.12", func(cur *review.Review) (*review.Review, error) {
			next := newReview("sha256:bbb", clk.Now())
			next.Risks.Open = []review.Risk{}
			next.Previous = cur.ID
			next.Diff = &review.Diff{Previous: cur.ID}
			cur.State = review.StateSuperseded
			cur.Decisions = append(cur.Decisions, review.Decision{At: clk.Now(), Actor: "dev", Action: review.ActionSupersede,
				From: review.StateInReview, To: review.StateSuperseded, Reason: "model changed"})
			return next, nil
		})
		if err != nil || !created || r2.ID == r1.ID {
			t.Fatalf("submit changed model: %+v, %v, %v", r2, created, err)
		}
		old, err := d.Review(ctx, r1.ID)
		if err != nil || old.State != review.StateSuperseded || old.SupersededBy != r2.ID || len(old.Decisions) != 2 {
			t.Fatalf("superseded review = %+v, %v", old, err)
		}
		if got, _ := d.Review(ctx, r2.ID); got.Previous != r1.ID || got.Diff == nil || got.Diff.Previous != r1.ID {
			t.Fatalf("new review = %+v", got)
		}
		// A superseded review cannot become current again.
		if _, err := d.UpdateReview(ctx, r1.ID, func(r *review.Review) error { r.State = review.StateInReview; return nil }); !errors.Is(err, ErrInvalid) {
			t.Fatalf("reviving a superseded review = %v", err)
		}
		reviewed, current, err := d.ReviewGate(ctx, "shop", "2026.12", "sha256:aaa")
		if err != nil || reviewed == nil || reviewed.ID != r1.ID || current == nil || current.ID != r2.ID {
			t.Fatalf("gate by old hash: %v, %v, %v", reviewed, current, err)
		}
		if v := review.Gate("shop", "2026.12", "sha256:aaa", reviewed, current, clk.Now()); v.Pass {
			t.Fatalf("gate passed a superseded review: %+v", v)
		}
		reviewed, current, err = d.ReviewGate(ctx, "shop", "2026.12", "")
		if err != nil || reviewed != nil || current == nil || current.ID != r2.ID {
			t.Fatalf("gate of the current model: %v, %v, %v", reviewed, current, err)
		}
		if r, c, err := d.ReviewGate(ctx, "shop", "2027.01", ""); err != nil || r != nil || c != nil {
			t.Fatalf("gate of an unknown release: %v, %v, %v", r, c, err)
		}
		list, err := d.ListReviews(ctx, ReviewQuery{Product: "shop"})
		if err != nil || len(list) != 2 || list[0].ID != r2.ID || list[1].State != review.StateSuperseded {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if list, _ := d.ListReviews(ctx, ReviewQuery{State: review.StateSuperseded}); len(list) != 1 || list[0].ID != r1.ID {
			t.Fatalf("list superseded = %+v", list)
		}
		if _, err := d.Review(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown review = %v", err)
		}
	})
}

func TestReviewKPIs(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		day := 24 * time.Hour
		submit := func(product, release, hash string) int64 {
			t.Helper()
			r, _, err := d.SubmitReview(ctx, product, release, func(cur *review.Review) (*review.Review, error) {
				n := newReview(hash, clk.Now())
				n.Product, n.Release = product, release
				n.Risks.Open = []review.Risk{}
				if cur != nil {
					cur.State = review.StateSuperseded
				}
				return n, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		decide := func(id int64, approve bool) {
			t.Helper()
			_, err := d.UpdateReview(ctx, id, func(r *review.Review) error {
				if !approve {
					return r.Reject("sec", "no", clk.Now())
				}
				for _, it := range r.Checklist {
					if err := r.Answer(it.ID, review.StatusMet, "ok", "sec", clk.Now()); err != nil {
						return err
					}
				}
				if err := r.AddMinutes("m", "sec", clk.Now()); err != nil {
					return err
				}
				return r.Approve("sec", "", clk.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// shop 1.0: approved first time after 2 days. billing 1.0: rejected
		// after 4 days, resubmitted, approved after 10 more. web 1.0: open.
		shop := submit("shop", "1.0", "h1")
		bill := submit("billing", "1.0", "h2")
		submit("web", "1.0", "h3")
		clk.Advance(2 * day)
		decide(shop, true)
		clk.Advance(2 * day)
		decide(bill, false)
		bill2 := submit("billing", "1.0", "h4")
		clk.Advance(10 * day)
		decide(bill2, true)
		// shop moves to 2.0 and is not approved yet.
		submit("shop", "2.0", "h5")
		// app 2.0 is approved after 1.0; a later hotfix model of 1.0 waits
		// for review, but 2.0 stays app's current release.
		decide(submit("app", "1.0", "h6"), true)
		decide(submit("app", "2.0", "h7"), true)
		submit("app", "1.0", "h8")
		// Design findings, one risk identity per rule, product and element
		// whatever the release: shop 1.0's model had A (high) and C (low)
		// open; 40 days later 2.0 has A open and B accepted until 10 days
		// from then; a hotfix model of 1.0 still has A and C, and accepts B
		// until 5 days from then. Only 2.0
		// counts, and A's age runs from 1.0.
		risk := func(rule, object string, sev finding.Severity) finding.Finding {
			f := finding.Finding{Kind: finding.KindDesign, RuleID: rule, Severity: sev, Target: finding.Target{Kind: "model", Name: "shop"},
				Location: finding.Location{Object: object}}
			f.Fingerprint = f.ComputeFingerprint()
			return f
		}
		a, b, c := risk("RL-NET-003", "interface/a", finding.SeverityHigh), risk("RL-APP-002", "component/b", finding.SeverityMedium),
			risk("RL-HOST-001", "component/c", finding.SeverityLow)
		ingest := func(id, release string, fs []finding.Finding, sup []Suppressed) {
			t.Helper()
			mt := finding.Target{Kind: "model", Name: "shop@" + release}
			for i := range fs {
				fs[i].Target = mt
			}
			for i := range sup {
				sup[i].Finding.Target = mt
			}
			if _, err := d.Ingest(ctx, &Scan{ID: id, Product: "shop", Target: mt, Findings: fs, Suppressed: sup}); err != nil {
				t.Fatal(err)
			}
		}
		ingest("m1", "1.0", []finding.Finding{a, c}, nil)
		clk.Advance(40 * day)
		ingest("m2", "2.0", []finding.Finding{a}, []Suppressed{{Finding: b, Owner: "team", Reason: "rollout", Expires: clk.Now().Add(10 * day)}})
		ingest("m3", "1.0", []finding.Finding{a, c}, []Suppressed{{Finding: b, Owner: "team", Reason: "hotfix", Expires: clk.Now().Add(5 * day)}})
		clk.Advance(day)
		rep, err := d.KPIs(ctx, KPIQuery{Names: []string{"review_completion", "review_red_lines_at_approval", "review_lead_time",
			"review_first_pass", "design_open_risks", "design_exceptions_expiring"}})
		if err != nil {
			t.Fatal(err)
		}
		comp := rep.KPIs["review_completion"].(ReviewCompletion)
		if comp.InScope != 4 || comp.Approved != 2 || comp.Rate != 50 || len(comp.Pending) != 2 || comp.Pending[0] != "shop" || comp.Pending[1] != "web" {
			t.Errorf("review_completion = %+v", comp)
		}
		if rl := rep.KPIs["review_red_lines_at_approval"].(RedLinesAtApproval); rl.Approvals != 4 || rl.Violations != 0 {
			t.Errorf("review_red_lines_at_approval = %+v", rl)
		}
		// Lead times: 2 days (shop), 4 days (billing rejected), 10 days
		// (billing 2), 0 days (app 1.0 and 2.0).
		if lt := rep.KPIs["review_lead_time"].(LeadTime); lt.Decided != 5 || lt.MedianDays != 2 || lt.P90Days != 10 {
			t.Errorf("review_lead_time = %+v", lt)
		}
		if fp := rep.KPIs["review_first_pass"].(FirstPass); fp.Releases != 4 || fp.Approved != 3 || fp.Rate != 75 {
			t.Errorf("review_first_pass = %+v", fp)
		}
		risks := rep.KPIs["design_open_risks"].([]AgeBuckets)
		if risks[1].Severity != "high" || risks[1].Upto60 != 1 || risks[1].Total != 1 || risks[2].Total != 0 || risks[3].Total != 0 {
			t.Errorf("design_open_risks = %+v", risks)
		}
		ex := rep.KPIs["design_exceptions_expiring"].(ExceptionsExpiring)
		if ex.Active != 1 || ex.Expiring != 1 || len(ex.List) != 1 || ex.List[0].RuleID != "RL-APP-002" || ex.List[0].Product != "shop" {
			t.Errorf("design_exceptions_expiring = %+v", ex)
		}
		// One product's view.
		rep, err = d.KPIs(ctx, KPIQuery{Product: "billing", Names: []string{"review_completion", "design_open_risks"}})
		if err != nil {
			t.Fatal(err)
		}
		if comp := rep.KPIs["review_completion"].(ReviewCompletion); comp.InScope != 1 || comp.Approved != 1 || comp.Rate != 100 {
			t.Errorf("billing review_completion = %+v", comp)
		}
	})
}
