package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/design/standard"
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

A condition sees the element under its kind's name and the model as model,
with the model's YAML keys as field names and derived facts
(component.reachableFromInternet, component.maxClassification,
interface.crossesZones, interface.fromInternet, ...); compare
classifications with PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED, SECRET.
A condition that does not compile fails the load with file:line.`,
	}
	cmd.AddCommand(newStandardListCmd(g), newStandardShowCmd(g), newStandardDiffCmd(g), newStandardPublishCmd(g))
	return cmd
}

func newStandardListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the built-in standards",
		Example: `  redline standard list`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
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
	return cmd
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
}

func summarize(s *standard.Standard) standardSummary {
	return standardSummary{Ref: s.Ref(), Title: s.Title, Description: s.Description, Effective: s.EffectiveRange(),
		Hash: s.Hash(), File: s.File, RedLines: append([]string{}, s.RedLines...), Params: s.Params}
}

func newStandardShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show STANDARD",
		Short: "Show a standard: dates, hash, parameters and every rule it runs",
		Long: `Show a standard (a file, or a built-in name@version): its dates, content
hash, parameters, red lines and each rule it runs with the severity it gives
the rule. --json prints the full rules, custom CEL conditions included.`,
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
			return writeRulesTable(w, s.ThreatRules())
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
condition or text changed, parameters and effective dates.

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
	return nil
}

func newStandardPublishCmd(g *globals) *cobra.Command {
	var lockFile string
	cmd := &cobra.Command{
		Use:   "publish STANDARD-FILE",
		Short: "Record a standard version's content hash in a lock file",
		Long: `Publish a standard version: record name@version and the sha256 of its
canonical content in the lock file (created if missing). Publishing the
same content again changes nothing; publishing changed content under a
version already in the lock is refused (exit 1): a published version is
immutable, so a change needs a new version.`,
		Example: `  redline standard publish standards/corp-2026H2.yaml --lock standards/standards.lock`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			s, err := standard.Load(args[0])
			if err != nil {
				return usageErr(err)
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
	return cmd
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
