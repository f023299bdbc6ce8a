package cli

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

// clientFlags say which server to talk to and with which token.
type clientFlags struct {
	server, token string
}

func (c *clientFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&c.server, "server", "", "Redline server URL (env REDLINE_SERVER)")
	cmd.PersistentFlags().StringVar(&c.token, "token", "", "API token (env REDLINE_TOKEN, which keeps it out of process listings)")
}

func (c *clientFlags) client() (*server.Client, error) {
	base := cmp.Or(c.server, os.Getenv("REDLINE_SERVER"))
	tok := cmp.Or(c.token, os.Getenv("REDLINE_TOKEN"))
	if base == "" {
		return nil, usageErr(errors.New("no server: pass --server URL or set REDLINE_SERVER"))
	}
	if tok == "" {
		return nil, usageErr(errors.New("no token: set REDLINE_TOKEN (or pass --token)"))
	}
	return &server.Client{BaseURL: base, Token: tok}, nil
}

func newFindingsCmd(g *globals) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List findings on a Redline server and change their lifecycle state",
		Long: `Read and triage the findings a Redline server holds (see 'redline server').

The server and token come from --server and --token, or from the
environment: REDLINE_SERVER and REDLINE_TOKEN (preferred for the token, which
then stays out of process listings). Listing needs a read token; changing a
finding's state needs an admin token.

Lifecycle: open → in_triage → accepted / false_positive, and back to open.
fixed is set by the server when a later scan of the target no longer sees the
finding, and undone when it comes back; an acceptance reopens at its expiry.`,
		Example: `  export REDLINE_SERVER=https://redline.example REDLINE_TOKEN=rl_…
  redline findings list --state open --severity critical,high
  redline findings show 42
  redline findings accept 42 --until 2026-12-31 --reason "behind the WAF; vendor fix due in Q4"
  redline findings false-positive 43 --reason "test fixture, never shipped"`,
	}
	cf.register(cmd)
	cmd.AddCommand(newFindingsListCmd(g, &cf), newFindingsShowCmd(g, &cf))
	for _, sc := range []struct{ use, state, short string }{
		{"accept", "accepted", "Accept a finding's risk until a date (needs --until and --reason)"},
		{"triage", "in_triage", "Mark a finding as being looked at"},
		{"reopen", "open", "Reopen a finding (ends an acceptance or false-positive verdict)"},
		{"false-positive", "false_positive", "Mark a finding as a false positive"},
	} {
		cmd.AddCommand(newFindingsStateCmd(g, &cf, sc.use, sc.state, sc.short))
	}
	return cmd
}

// findingsListOptions are the filters of findings list.
type findingsListOptions struct {
	product, search, format string
	target                  int64
	states, severities      []string
	kinds                   []string
	limit                   int
	all                     bool
}

func (o *findingsListOptions) params(cursor string) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("product", o.product)
	set("q", o.search)
	set("state", strings.Join(o.states, ","))
	set("severity", strings.Join(o.severities, ","))
	set("kind", strings.Join(o.kinds, ","))
	set("cursor", cursor)
	if o.target > 0 {
		q.Set("target", strconv.FormatInt(o.target, 10))
	}
	q.Set("limit", strconv.Itoa(o.limit))
	return q
}

func newFindingsListCmd(g *globals, cf *clientFlags) *cobra.Command {
	var o findingsListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List findings, most severe first",
		Example: `  redline findings list --state open,in_triage --severity critical
  redline findings list --product shop --search openssl --all --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "table" && o.format != "json" {
				return usageErr(fmt.Errorf("--format %q: want table or json", o.format))
			}
			if o.limit < 1 || o.limit > store.MaxPageSize {
				return usageErr(fmt.Errorf("--limit must be 1 to %d", store.MaxPageSize))
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			var all []store.Finding
			cursor := ""
			for {
				page, err := c.Findings(cmd.Context(), o.params(cursor))
				if err != nil {
					return clientErr(err)
				}
				all = append(all, page.Findings...)
				if !o.all || page.Next == "" {
					break
				}
				cursor = page.Next
			}
			if o.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if all == nil {
					all = []store.Finding{}
				}
				return enc.Encode(all)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tSTATE\tRULE\tPACKAGE\tTARGET\tFIRST SEEN\tTITLE")
			for _, f := range all {
				pkg := ""
				if f.Package != nil {
					pkg = f.Package.Name + "@" + f.Package.Version
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Severity, f.State, printable(f.RuleID, 40),
					printable(pkg, 40), printable(f.Target, 50), f.FirstSeen.Format(time.DateOnly), printable(f.Title, 60))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.product, "product", "", "only this product")
	fl.Int64Var(&o.target, "target", 0, "only this target id")
	fl.StringSliceVar(&o.states, "state", nil, "only these states: open, in_triage, fixed, accepted, false_positive")
	fl.StringSliceVar(&o.severities, "severity", nil, "only these severities: critical, high, medium, low, unknown")
	fl.StringSliceVar(&o.kinds, "kind", nil, "only these kinds: vulnerability, secret, misconfiguration, …")
	fl.StringVar(&o.search, "search", "", "substring of rule id, title or package name, or a fingerprint")
	fl.IntVar(&o.limit, "limit", store.DefaultPageSize, "findings per page")
	fl.BoolVar(&o.all, "all", false, "fetch every page, not just the first")
	fl.StringVarP(&o.format, "format", "f", "table", "output: table or json")
	return cmd
}

func newFindingsShowCmd(g *globals, cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one finding with its history and exceptions (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseFindingID(args[0])
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			det, err := c.Finding(cmd.Context(), id)
			if err != nil {
				return clientErr(err)
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(det)
		},
	}
}

func newFindingsStateCmd(g *globals, cf *clientFlags, use, state, short string) *cobra.Command {
	var reason, owner, until string
	cmd := &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseFindingID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return usageErr(errors.New("--reason is required: every change records why"))
			}
			ch := server.StateChange{State: state, Reason: reason}
			if state == string(store.StateAccepted) {
				if until == "" {
					return usageErr(errors.New("--until is required: every acceptance expires"))
				}
				if _, err := server.ParseUntil(until); err != nil {
					return usageErr(fmt.Errorf("--until: %w", err))
				}
				ch.Owner, ch.Until = owner, until
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			f, err := c.SetState(cmd.Context(), id, ch)
			if err != nil {
				return clientErr(err)
			}
			msg := fmt.Sprintf("finding %d (%s) is now %s", f.ID, f.RuleID, f.State)
			if f.AcceptedUntil != nil {
				msg += " until " + f.AcceptedUntil.Format(time.RFC3339)
			}
			fmt.Fprintln(g.stdout, msg)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; kept in the finding's history)")
	if state == string(store.StateAccepted) {
		cmd.Flags().StringVar(&until, "until", "", "expiry: YYYY-MM-DD (holds through that UTC day) or an RFC 3339 time (required)")
		cmd.Flags().StringVar(&owner, "owner", "", "who answers for the risk (default: the token's name)")
		cmd.Example = `  redline findings accept 42 --until 2026-12-31 --reason "not reachable: no HTTP/2 server" --owner alice@example.com`
	}
	return cmd
}

func parseFindingID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErr(fmt.Errorf("finding id %q: want a number (the ID column of 'redline findings list')", s))
	}
	return id, nil
}

// clientErr makes a 4xx answer a usage error (exit 2 either way) and keeps
// the server's reason.
func clientErr(err error) error {
	var ae *server.APIError
	if errors.As(err, &ae) && ae.Status < 500 {
		return usageErr(err)
	}
	return err
}

// printable cuts s to n runes and replaces control and invisible format
// characters, so server data cannot drive the terminal.
func printable(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i == n {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		i++
	}
	return b.String()
}

// uploadReport sends the scan's JSON report to --upload with the token in
// REDLINE_TOKEN. The scan id is REDLINE_SCAN_ID when set (a CI run id makes
// a retried job idempotent), else random.
func (g *globals) uploadReport(ctx context.Context, sf *scanFlags, r *report.Report) error {
	tok := os.Getenv("REDLINE_TOKEN")
	if tok == "" {
		return errors.New("upload: set REDLINE_TOKEN to a token with the upload scope")
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatJSON, r); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	id := os.Getenv("REDLINE_SCAN_ID")
	if id == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("upload: %w", err)
		}
		id = "scan-" + hex.EncodeToString(b)
	}
	c := &server.Client{BaseURL: sf.upload, Token: tok}
	res, err := c.Upload(ctx, buf.Bytes(), server.UploadOptions{Product: sf.product, ScanID: id})
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	g.log.Info("uploaded", "scan", res.ScanID, "product", res.Product, "findings", res.Findings, "new", res.New, "fixed", res.Fixed, "reopened", res.Reopened)
	return nil
}
