package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/server"
)

func newStandardCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "standard",
		Short: "Versioned security standards: rule packs with red lines",
		Long: `A standard is a versioned, named rule pack (name@version, such as
corp-baseline@2026H1) that 'redline model check' applies to architecture
models: the dates it is in force, the built-in threat rules it enables
(listed explicitly, so a new Redline release never changes a published
standard), per-rule severity overrides, parameters (the longest patch SLA),
custom rules in CEL over the model graph, and its red lines: rules whose
findings block approval and cannot be excepted.

A published version is immutable. Its content is hashed (sha256 over a
canonical encoding: the same rules written in another order hash the same),
and a lock file records the hash of every published version; 'model check
--standard-lock' refuses a standard whose content changed without a new
version. Redline ships ` + standard.DefaultRef + ` and its predecessor.

Standard file:
  apiVersion: redline.dev/v1
  kind: Standard
  metadata:
    name: corp-baseline
    version: 2026H1
    title: Corporate security baseline
    effective: {from: 2026-01-01, until: 2026-06-30}
  rules: [RL-NET-002, RL-GW-002, ...]        # 'redline model rules' lists them
  severity: {RL-APP-002: high}
  redLines: [RL-NET-002, CORP-GW-001]
  parameters: {maxPatchSlaDays: 30, requireAdaptiveAuth: false}
  customRules:
    - id: CORP-GW-001
      title: Internet-facing component without WAF
      layer: gateway              # virtualization network gateway application host
                                  # tenant-isolation zero-trust data model
      stride: tampering
      cwe: 693
      likelihood: likely          # unlikely likely very-likely frequent
      impact: high                # low medium high very-high
      over: component             # component interface zone data runtime model
      condition: component.zoneKind == "dmz" && !component.controls.gateway.waf
      rationale: ...
      mitigation: ...
  checklist:                      # generic review items; omit for the default
    - id: CORP-PENTEST
      title: A penetration test covers the internet-facing components
      when: components.exists(c, c.reachableFromInternet && !c.outOfScope)

A condition sees the element under its kind's name and the model as model,
with the model's YAML keys as field names and derived facts
(component.reachableFromInternet, component.maxClassification,
interface.crossesZones, interface.fromInternet, ...); compare
classifications with PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED, SECRET.
A condition that does not compile fails the load with file:line.

The checklist section lists the generic items a security architecture
review asks besides one item per rule that applies to the model: an id, a
title ({standard} stands for name@version) and an optional CEL condition,
when, over the whole model (model, components, interfaces, zones, data,
runtimes, exceptions and standard{name version ref rules redLines}). A
standard without the section gets Redline's default checklist ('standard
show' prints it); the section is part of the content hash.

Standards can also be published on a Redline server ('standard publish
--server'), which then reviews models that pin them.`,
	}
	cmd.AddCommand(newStandardListCmd(g), newStandardShowCmd(g), newStandardDiffCmd(g), newStandardPublishCmd(g))
	return cmd
}

func newStandardListCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		cf     clientFlags
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in standards, or a server's standards",
		Long: `List the standards shipped with Redline: reference, effective dates, whether
in force today, number of rules and red lines, and content hash.

With --server, list the standards a Redline server reviews against: its
built-in ones and those published on it, with who published them and when.
Needs a token with the read scope (--token or REDLINE_TOKEN); REDLINE_SERVER
alone does not switch to the server.`,
		Example: `  redline standard list
  REDLINE_TOKEN=rl_… redline standard list --server https://redline.example
  redline standard list --server https://redline.example --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cf.server != "" {
				return listServerStandards(cmd.Context(), g, &cf, asJSON)
			}
			all, err := standard.Builtin()
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]standardSummary, 0, len(all))
				for _, s := range all {
					out = append(out, summarize(s))
				}
				return encodeJSON(g.stdout, out)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STANDARD\tEFFECTIVE\tIN FORCE\tRULES\tRED LINES\tHASH")
			now := time.Now()
			for _, s := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", s.Ref(), s.EffectiveRange(), yesNo(s.InForce(now)),
					len(s.ThreatRules()), len(s.RedLines), s.Hash())
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&cf.server, "server", "", "list this Redline server's standards (built-in and published)")
	cmd.Flags().StringVar(&cf.token, "token", "", "API token for --server (env REDLINE_TOKEN, which keeps it out of process listings)")
	return cmd
}

// listServerStandards prints the standards a server has.
func listServerStandards(ctx context.Context, g *globals, cf *clientFlags, asJSON bool) error {
	c, err := cf.client()
	if err != nil {
		return err
	}
	list, err := c.Standards(ctx)
	if err != nil {
		return clientErr(err)
	}
	if asJSON {
		return encodeJSON(g.stdout, list)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STANDARD\tSOURCE\tEFFECTIVE\tPUBLISHED BY\tPUBLISHED AT\tHASH")
	for _, s := range list.Standards {
		source, by, at := "published", printable(s.PublishedBy, 60), ""
		if s.Builtin {
			source, by = "built-in", "-"
		}
		if s.PublishedAt != nil {
			at = s.PublishedAt.UTC().Format(time.RFC3339)
		}
		until := s.Until
		if until == "" {
			until = "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s..%s\t%s\t%s\t%s\n", printable(s.Ref, 100), source, printable(s.From, 10), printable(until, 10),
			by, at, printable(s.Hash, 80))
	}
	return tw.Flush()
}

// standardSummary is a standard as `standard show --json` prints it.
type standardSummary struct {
	Ref         string   `json:"ref"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Effective   string   `json:"effective"`
	Hash        string   `json:"hash"`
	File        string   `json:"file,omitempty"`
	RedLines    []string `json:"red_lines"`
	Params      any      `json:"parameters"`
	Rules       any      `json:"rules,omitempty"`
	// Checklist are the generic review items; DefaultChecklist says they
	// are Redline's default checklist (the standard declares none).
	Checklist        []standard.ChecklistItem `json:"checklist,omitempty"`
	DefaultChecklist bool                     `json:"default_checklist,omitempty"`
}

func summarize(s *standard.Standard) standardSummary {
	return standardSummary{Ref: s.Ref(), Title: s.Title, Description: s.Description, Effective: s.EffectiveRange(),
		Hash: s.Hash(), File: s.File, RedLines: append([]string{}, s.RedLines...), Params: s.Params}
}

func newStandardShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show STANDARD",
		Short: "Show a standard: dates, hash, parameters, every rule it runs and its checklist",
		Long: `Show a standard (a file, or a built-in name@version): its dates, content
hash, parameters, red lines, each rule it runs with the severity it gives
the rule, and the generic items of its review checklist with their
conditions (Redline's default checklist when it declares none). --json
prints the full rules, custom CEL conditions included.`,
		Example: `  redline standard show redline-baseline@2026H2
  redline standard show corp-standard.yaml --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			s, err := standard.Resolve(args[0])
			if err != nil {
				return usageErr(err)
			}
			if asJSON {
				sum := summarize(s)
				sum.Rules = s.ThreatRules()
				sum.Checklist, sum.DefaultChecklist = s.ChecklistItems(), s.Checklist == nil
				return encodeJSON(g.stdout, sum)
			}
			w := g.stdout
			fmt.Fprintf(w, "Standard:  %s\n", s.Ref())
			if s.Title != "" {
				fmt.Fprintf(w, "Title:     %s\n", s.Title)
			}
			fmt.Fprintf(w, "Effective: %s (in force today: %s)\n", s.EffectiveRange(), yesNo(s.InForce(time.Now())))
			fmt.Fprintf(w, "Hash:      %s\n", s.Hash())
			fmt.Fprintf(w, "Params:    maxPatchSlaDays %d, requireAdaptiveAuth %t\n", s.Params.MaxPatchSLADays, s.Params.RequireAdaptiveAuth)
			fmt.Fprintf(w, "Red lines: %s\n\n", strings.Join(s.RedLines, ", "))
			if err := writeRulesTable(w, s.ThreatRules()); err != nil {
				return err
			}
			return writeChecklist(w, s)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStandardDiffCmd(g *globals) *cobra.Command {
	var (
		asJSON   bool
		exitCode bool
	)
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show what changed between two standards or versions",
		Long: `Compare two standards (files or built-in name@version): rules added and
removed, severity changes, red lines added and removed, custom rules whose
condition or text changed, parameters, effective dates, and checklist
items added, removed, changed or reordered.

Exit codes: 0 (also with changes, unless --exit-code), 1 with --exit-code
when they differ, 2 usage error.`,
		Example: `  redline standard diff redline-baseline@2026H1 redline-baseline@2026H2
  redline standard diff corp-2026H1.yaml corp-2026H2.yaml --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			var ss [2]*standard.Standard
			for i, ref := range args {
				s, err := standard.Resolve(ref)
				if err != nil {
					return usageErr(err)
				}
				ss[i] = s
			}
			d := standard.Compare(ss[0], ss[1])
			var err error
			if asJSON {
				err = encodeJSON(g.stdout, d)
			} else {
				err = writeStandardDiff(g.stdout, d)
			}
			if err != nil {
				return err
			}
			if exitCode && !d.Empty() {
				return blocked()
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when the standards differ")
	return cmd
}

func writeStandardDiff(w io.Writer, d *standard.Diff) error {
	fmt.Fprintf(w, "%s → %s\n", d.From, d.To)
	if d.Empty() {
		_, err := fmt.Fprintln(w, "no changes")
		return err
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(items))
		for _, it := range items {
			fmt.Fprintf(w, "  %s\n", it)
		}
	}
	list("Rules added", d.Added)
	list("Rules removed", d.Removed)
	var sev []string
	for _, c := range d.Severity {
		sev = append(sev, fmt.Sprintf("%s: %s → %s", c.Rule, c.From, c.To))
	}
	list("Severity changed", sev)
	list("Red lines added", d.RedLinesAdded)
	list("Red lines removed", d.RedLinesRemoved)
	list("Custom rules changed", d.CustomChanged)
	list("Parameters changed", d.Parameters)
	list("Effective dates changed", d.Effective)
	list("Checklist changed", d.Checklist)
	return nil
}

func newStandardPublishCmd(g *globals) *cobra.Command {
	var (
		lockFile string
		cf       clientFlags
	)
	cmd := &cobra.Command{
		Use:   "publish STANDARD-FILE",
		Short: "Publish a standard version: in a lock file, or on a Redline server",
		Long: `Publish a standard version: record name@version and the sha256 of its
canonical content in the lock file (created if missing). Publishing the
same content again changes nothing; publishing changed content under a
version already in the lock is refused (exit 1): a published version is
immutable, so a change needs a new version.

With --server, publish it on a Redline server instead (the lock file is not
touched): the server checks the file as 'standard show' does, records the
version and its hash, and from then on reviews models whose
metadata.standard pins it against its rules, red lines and checklist. The
same immutability holds there: the same content again changes nothing,
changed content under a published version is refused (exit 1), and the
names of Redline's built-in standards are reserved. Needs the security or
admin role on every product, or an admin token bound to no product
(--token or REDLINE_TOKEN); REDLINE_SERVER alone does not switch to the
server.`,
		Example: `  redline standard publish standards/corp-2026H2.yaml --lock standards/standards.lock
  REDLINE_TOKEN=rl_… redline standard publish standards/corp-2026H2.yaml --server https://redline.example`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := standard.Load(args[0])
			if err != nil {
				return usageErr(err)
			}
			if cf.server != "" {
				if cmd.Flags().Changed("lock") {
					return usageErr(errors.New("--lock and --server publish to different places: pass one"))
				}
				return publishOnServer(cmd.Context(), g, &cf, args[0], s)
			}
			lock, err := standard.LoadLock(lockFile)
			if err != nil {
				return usageErr(err)
			}
			if err := lock.Publish(s); err != nil {
				return &exitError{code: ExitBlocked, err: err}
			}
			if err := writeOutput(lockFile, g.stdout, func(w io.Writer) error {
				_, err := w.Write(lock.Marshal())
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "published %s %s in %s\n", s.Ref(), s.Hash(), lockFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&lockFile, "lock", "standards.lock", "lock file of published versions")
	cmd.Flags().StringVar(&cf.server, "server", "", "publish on this Redline server instead of in the lock file")
	cmd.Flags().StringVar(&cf.token, "token", "", "API token for --server (env REDLINE_TOKEN, which keeps it out of process listings)")
	return cmd
}

// publishOnServer sends a standard file, already checked locally, to a
// server's registry.
func publishOnServer(ctx context.Context, g *globals, cf *clientFlags, file string, s *standard.Standard) error {
	c, err := cf.client()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return usageErr(fmt.Errorf("read standard: %w", err))
	}
	res, err := c.PublishStandard(ctx, data)
	var ae *server.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		fmt.Fprintf(g.stderr, "redline: %s refused: %s\n", s.Ref(), ae.Msg)
		return blocked()
	}
	if err != nil {
		return clientErr(err)
	}
	st := res.Standard
	if res.Created {
		fmt.Fprintf(g.stdout, "published %s %s on the server\n", printable(st.Ref, 100), printable(st.Hash, 80))
	} else {
		fmt.Fprintf(g.stdout, "%s is already published with this content (%s, by %s): nothing changed\n",
			printable(st.Ref, 100), printable(st.Hash, 80), printable(st.PublishedBy, 60))
	}
	return nil
}

// writeChecklist prints a standard's generic review checklist.
func writeChecklist(w io.Writer, s *standard.Standard) error {
	items := s.ChecklistItems()
	source := "declared by the standard"
	if s.Checklist == nil {
		source = "Redline's default checklist; the standard declares none"
	}
	fmt.Fprintf(w, "\nChecklist (%d generic items, %s):\n", len(items), source)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN\tTITLE")
	for _, it := range items {
		when := it.When
		if when == "" {
			when = "always"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", it.ID, strings.Join(strings.Fields(when), " "), it.Title)
	}
	return tw.Flush()
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
