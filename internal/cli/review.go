package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/review"
	"github.com/redline-sec/redline/internal/server"
)

func newReviewCmd(g *globals) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Security architecture review on a Redline server: submit, answer, approve or reject, gate",
		Long: `Run the security architecture review of a product release on a Redline
server (see 'redline server').

A review binds to the product and release of an architecture model
(metadata.product, metadata.release), to the model's content hash and to
the standard it is checked against. 'submit' sends the resolved model; the
server runs the threat check itself under the standard the model pins
(built-in, or published with 'redline standard publish'), and opens a
review in state draft with a requirement checklist: one item per rule of
the standard that applies to the model, and the standard's generic items
(by default: data-flow diagram, data classification, penetration test,
tenant tests…).
Answering an item or adding minutes moves the review in_review.

Approval needs the security role on the product (or an admin token), zero
open red-line risks, every other risk mitigated or accepted by a model
exception that has not expired, every checklist item answered, minutes on
record and an approver other than the submitter. Rejection is the veto and
needs a reason. Submitting a changed model supersedes the review and opens a
new one that shows the architecture and risk diff.

'gate' is for CI: it exits 0 only when the current model (or MODEL's hash)
has an approved review, so development waits for sign-off.

The server and token come from --server and --token, or from REDLINE_SERVER
and REDLINE_TOKEN (preferred for the token).`,
		Example: `  export REDLINE_SERVER=https://redline.example REDLINE_TOKEN=rl_…
  redline review submit model.yaml
  redline review show 12
  redline review answer 12 RL-NET-002 GEN-DFD --status met --evidence "https://wiki/shop/review-2026-12"
  redline review minutes 12 "Walked through the tenant isolation; RASP rollout tracked in SEC-4711."
  redline review approve 12
  redline review reject 12 --reason "tenant id taken from a header"
  redline review gate --product shop --release 2026.12 model.yaml`,
	}
	cf.register(cmd)
	cmd.AddCommand(newReviewSubmitCmd(g, &cf), newReviewShowCmd(g, &cf), newReviewAnswerCmd(g, &cf),
		newReviewMinutesCmd(g, &cf), newReviewApproveCmd(g, &cf), newReviewRejectCmd(g, &cf), newReviewGateCmd(g, &cf))
	return cmd
}

// reviewModelOptions are the flags of the commands that name a product
// release and read a model: submit and gate.
type reviewModelOptions struct {
	product, release, includeRoot string
	asJSON                        bool
}

func newReviewSubmitCmd(g *globals, cf *clientFlags) *cobra.Command {
	var o reviewModelOptions
	cmd := &cobra.Command{
		Use:   "submit MODEL",
		Short: "Submit an architecture model for review (or find the review it is already under)",
		Long: `Load the model (includes merged), check that it names the product and
release given, and send it to the server, which opens a review bound to its
hash. Submitting the same model again shows the review it is under;
submitting a changed model supersedes the current review of the release.
Needs a token with the upload scope (or the developer role on the product).`,
		Example: `  redline review submit model.yaml --product shop --release 2026.12`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := model.Load(cmd.Context(), args[0], model.Options{IncludeRoot: o.includeRoot})
			if err != nil {
				return usageErr(fmt.Errorf("%s:\n%w", args[0], err))
			}
			if err := matchRelease(m, o.product, o.release); err != nil {
				return err
			}
			yml, err := model.Encode(m)
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			res, err := c.SubmitReview(cmd.Context(), yml)
			if err != nil {
				return clientErr(err)
			}
			if o.asJSON {
				return writeJSONOut(g.stdout, res)
			}
			rv := &res.Review
			if res.Created {
				fmt.Fprintf(g.stdout, "opened review %d of %s %s (model %s)\n", rv.ID, printable(rv.Product, 100), printable(rv.Release, 100), rv.ModelHash)
				if rv.Previous != 0 {
					fmt.Fprintf(g.stdout, "it supersedes review %d: the model changed\n", rv.Previous)
				}
			} else {
				fmt.Fprintf(g.stdout, "model unchanged: review %d stays %s\n", rv.ID, rv.State)
			}
			return writeReviewSummary(g.stdout, rv)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.product, "product", "", "product the model must name (default: its metadata.product)")
	f.StringVar(&o.release, "release", "", "release the model must name (default: its metadata.release)")
	f.StringVar(&o.includeRoot, "include-root", "", "directory includes must stay inside (default: the model file's directory)")
	f.BoolVar(&o.asJSON, "json", false, "print the server's answer as JSON")
	return cmd
}

// matchRelease checks the flags against the model's metadata: a review
// binds to what the model says, so a mismatch is a mistake.
func matchRelease(m *model.Model, product, release string) error {
	if product != "" && product != m.Metadata.Product {
		return usageErr(fmt.Errorf("--product %s, but the model is of product %q (metadata.product)", product, m.Metadata.Product))
	}
	if release != "" && release != m.Metadata.Release {
		return usageErr(fmt.Errorf("--release %s, but the model is of release %q (metadata.release)", release, m.Metadata.Release))
	}
	return nil
}

func parseReviewID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErr(fmt.Errorf("review id %q: want a number", s))
	}
	return id, nil
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newReviewShowCmd(g *globals, cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a review: state, risks, checklist, minutes, decisions and the diff against the review it superseded",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseReviewID(args[0])
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			rv, err := c.Review(cmd.Context(), id)
			if err != nil {
				return clientErr(err)
			}
			if asJSON {
				return writeJSONOut(g.stdout, rv)
			}
			return writeReview(g.stdout, &rv)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the review as JSON")
	return cmd
}

// writeReviewSummary prints the state and the counts that decide approval.
func writeReviewSummary(w io.Writer, rv *review.Review) error {
	answered := 0
	for _, it := range rv.Checklist {
		if it.Status != review.StatusUnanswered {
			answered++
		}
	}
	_, err := fmt.Fprintf(w, "review %d: %s; standard %s; %d open risk(s), %d red line(s), %d accepted; checklist %d/%d answered; %d minutes entries\n",
		rv.ID, rv.State, printable(rv.Standard, 100), len(rv.Risks.Open), rv.Risks.RedLines(), len(rv.Risks.Accepted), answered, len(rv.Checklist), len(rv.Minutes))
	return err
}

// writeReview prints a review for people.
func writeReview(w io.Writer, rv *review.Review) error {
	fmt.Fprintf(w, "Review %d of %s %s\n", rv.ID, printable(rv.Product, 100), printable(rv.Release, 100))
	fmt.Fprintf(w, "Model:     %s\nStandard:  %s (%s)\nSubmitted: %s by %s\n", rv.ModelHash, printable(rv.Standard, 100), rv.StandardHash,
		rv.SubmittedAt.Format("2006-01-02 15:04 MST"), printable(rv.SubmittedBy, 100))
	if rv.Previous != 0 {
		fmt.Fprintf(w, "Supersedes review %d\n", rv.Previous)
	}
	if rv.SupersededBy != 0 {
		fmt.Fprintf(w, "Superseded by review %d\n", rv.SupersededBy)
	}
	if err := writeReviewSummary(w, rv); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(rv.Risks.Open)+len(rv.Risks.Accepted) > 0 {
		fmt.Fprintln(tw, "\nRISKS\n\nSEVERITY\tRULE\tELEMENT\tSTATUS\tTITLE")
		for _, k := range rv.Risks.Open {
			st := "open"
			if k.RedLine {
				st = "RED LINE"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Severity, k.RuleID, printable(k.Element, 80), st, printable(k.Title, 100))
		}
		for _, k := range rv.Risks.Accepted {
			until := ""
			if k.Expires != nil {
				until = " until " + k.Expires.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\taccepted%s\t%s\n", k.Severity, k.RuleID, printable(k.Element, 80), until, printable(k.Title, 100))
		}
	}
	fmt.Fprintln(tw, "\nCHECKLIST\n\nITEM\tSTATUS\tBY\tTITLE")
	for _, it := range rv.Checklist {
		st := string(it.Status)
		if st == "" {
			st = "-"
		}
		title := it.Title
		if it.RedLine {
			title = "[red line] " + title
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.ID, st, printable(it.AnsweredBy, 40), printable(title, 100))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rv.Minutes) > 0 {
		fmt.Fprintln(w, "\nMINUTES")
		for _, m := range rv.Minutes {
			fmt.Fprintf(w, "\n%s %s:\n  %s\n", m.At.Format("2006-01-02 15:04"), printable(m.Author, 100), printable(m.Text, 4000))
		}
	}
	fmt.Fprintln(w, "\nDECISIONS")
	for _, d := range rv.Decisions {
		line := fmt.Sprintf("  %s %s by %s → %s", d.At.Format("2006-01-02 15:04"), d.Action, printable(d.Actor, 100), d.To)
		if d.Reason != "" {
			line += ": " + printable(d.Reason, 500)
		}
		fmt.Fprintln(w, line)
	}
	if rv.Diff != nil {
		fmt.Fprintf(w, "\nCHANGES SINCE REVIEW %d\n\n", rv.Diff.Previous)
		if rv.Diff.Architecture != nil {
			if err := rv.Diff.Architecture.WriteText(w); err != nil {
				return err
			}
		}
		if rd := rv.Diff.Risks; rd != nil {
			fmt.Fprintf(w, "\nRisks: %d added, %d resolved, %d changed, %d unchanged\n", len(rd.Added), len(rd.Resolved), len(rd.Changed), rd.Unchanged)
			for _, f := range rd.Added {
				fmt.Fprintf(w, "  + %s %s on %s: %s\n", f.Severity, f.RuleID, printable(f.Location.Object, 80), printable(f.Title, 100))
			}
			for _, f := range rd.Resolved {
				fmt.Fprintf(w, "  - %s %s on %s: %s\n", f.Severity, f.RuleID, printable(f.Location.Object, 80), printable(f.Title, 100))
			}
			for _, ch := range rd.Changed {
				fmt.Fprintf(w, "  ~ %s on %s: %s\n", ch.New.RuleID, printable(ch.New.Location.Object, 80), strings.Join(ch.Changes, ", "))
			}
		}
	}
	return nil
}

func newReviewAnswerCmd(g *globals, cf *clientFlags) *cobra.Command {
	var status, evidence string
	cmd := &cobra.Command{
		Use:   "answer ID ITEM [ITEM...]",
		Short: "Answer checklist items with a status and evidence",
		Long: `Answer one or more checklist items of a review (the ITEM column of
'redline review show'): met, not-met or not-applicable, with evidence (a
link or a sentence saying how it was verified). A not-met item blocks
approval unless the item's risks are all accepted by model exceptions.`,
		Example: `  redline review answer 12 RL-NET-002 --status met --evidence "https://wiki/shop/network#db"
  redline review answer 12 GEN-PENTEST --status not-applicable --evidence "no internet-facing component"`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseReviewID(args[0])
			if err != nil {
				return err
			}
			st, err := review.ParseStatus(status)
			if err != nil || st == review.StatusUnanswered {
				return usageErr(errors.New("--status must be met, not-met or not-applicable"))
			}
			if strings.TrimSpace(evidence) == "" {
				return usageErr(errors.New("--evidence is required: a link or a sentence saying how it was verified"))
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			var rv review.Review
			for _, item := range args[1:] {
				if rv, err = c.AnswerReviewItem(cmd.Context(), id, item, server.AnswerRequest{Status: status, Evidence: evidence}); err != nil {
					return clientErr(fmt.Errorf("item %s: %w", item, err))
				}
			}
			return writeReviewSummary(g.stdout, &rv)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "met, not-met or not-applicable (required)")
	cmd.Flags().StringVar(&evidence, "evidence", "", "evidence: a link or how it was verified (required)")
	return cmd
}

func newReviewMinutesCmd(g *globals, cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "minutes ID TEXT",
		Short:   "Add an entry to a review's meeting minutes",
		Example: `  redline review minutes 12 "Agreed: RASP rollout by Q1 (SEC-4711); WAF covers the edge meanwhile."`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.actOnReview(cmd.Context(), cf, args[0], clientErr, func(ctx context.Context, c *server.Client, id int64) (review.Review, error) {
				return c.AddReviewMinutes(ctx, id, args[1])
			})
		},
	}
}

// actOnReview runs one call on the review whose id is arg and prints the
// review the server answers with; onErr turns a failed call into the
// command's error.
func (g *globals) actOnReview(ctx context.Context, cf *clientFlags, arg string, onErr func(error) error,
	call func(ctx context.Context, c *server.Client, id int64) (review.Review, error)) error {
	id, err := parseReviewID(arg)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	rv, err := call(ctx, c, id)
	if err != nil {
		return onErr(err)
	}
	return writeReviewSummary(g.stdout, &rv)
}

// decisionErr makes a refused approval exit 1 (blocked) with the reasons;
// other errors keep their codes.
func (g *globals) decisionErr(err error) error {
	var ae *server.APIError
	if errors.As(err, &ae) && ae.Status == 409 {
		fmt.Fprintf(g.stderr, "redline: approval refused:\n  %s\n", strings.ReplaceAll(ae.Msg, "; ", "\n  "))
		return blocked()
	}
	return clientErr(err)
}

func newReviewApproveCmd(g *globals, cf *clientFlags) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "approve ID",
		Short: "Approve a review (security role on the product, or an admin token)",
		Long: `Sign a review off. The server refuses (exit 1, with the reasons) unless
the review has zero open red-line risks, every other risk mitigated or
accepted with an expiry, every checklist item answered, minutes recorded,
and you did not submit the model yourself.`,
		Example: `  redline review approve 12 --note "RASP rollout tracked in SEC-4711"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.actOnReview(cmd.Context(), cf, args[0], g.decisionErr, func(ctx context.Context, c *server.Client, id int64) (review.Review, error) {
				return c.ApproveReview(ctx, id, note)
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "a note kept with the decision")
	return cmd
}

func newReviewRejectCmd(g *globals, cf *clientFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "reject ID",
		Short:   "Reject (veto) a review with a reason (security role on the product, or an admin token)",
		Example: `  redline review reject 12 --reason "tenant id taken from a request header (RL-TEN-003)"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageErr(errors.New("--reason is required: a veto says why"))
			}
			return g.actOnReview(cmd.Context(), cf, args[0], g.decisionErr, func(ctx context.Context, c *server.Client, id int64) (review.Review, error) {
				return c.RejectReview(ctx, id, reason)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the review is rejected (required)")
	return cmd
}

func newReviewGateCmd(g *globals, cf *clientFlags) *cobra.Command {
	var o reviewModelOptions
	cmd := &cobra.Command{
		Use:   "gate --product P --release R [MODEL]",
		Short: "Exit 0 only if the current model has an approved security review (for CI)",
		Long: `Ask the server whether development of a product release may proceed.
With MODEL, the model's hash is judged: it passes only when that exact model
has an approved review that is still current. Without MODEL, the latest
submitted model of the release is judged. An approval is also undone when
an exception accepting one of the review's risks expires.

Exit codes: 0 approved, 1 not approved (the reason is printed), 2 usage or
runtime error.`,
		Example: `  redline review gate --product shop --release 2026.12 model.yaml
  redline review gate --product shop --release 2026.12`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hash := ""
			if len(args) == 1 {
				m, err := model.Load(cmd.Context(), args[0], model.Options{IncludeRoot: o.includeRoot})
				if err != nil {
					return usageErr(fmt.Errorf("%s:\n%w", args[0], err))
				}
				if o.product == "" {
					o.product = m.Metadata.Product
				}
				if o.release == "" {
					o.release = m.Metadata.Release
				}
				if err := matchRelease(m, o.product, o.release); err != nil {
					return err
				}
				hash = m.Hash()
			}
			if o.product == "" || o.release == "" {
				return usageErr(errors.New("--product and --release are required (or give MODEL)"))
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			v, err := c.ReviewGate(cmd.Context(), o.product, o.release, hash)
			if err != nil {
				return clientErr(err)
			}
			if o.asJSON {
				if err := writeJSONOut(g.stdout, v); err != nil {
					return err
				}
			} else if v.Pass {
				fmt.Fprintf(g.stdout, "review gate: passed: %s\n", printable(v.Reason, 500))
			} else {
				fmt.Fprintf(g.stdout, "review gate: BLOCKED: %s\n", printable(v.Reason, 500))
			}
			if !v.Pass {
				return blocked()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.product, "product", "", "product (default: MODEL's metadata.product)")
	f.StringVar(&o.release, "release", "", "release (default: MODEL's metadata.release)")
	f.StringVar(&o.includeRoot, "include-root", "", "directory includes must stay inside (default: the model file's directory)")
	f.BoolVar(&o.asJSON, "json", false, "print the verdict as JSON")
	return cmd
}
