package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/design/model"
	designreport "github.com/redline-sec/redline/internal/design/report"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/report"
)

// addModelCheckCmds adds `model check` and `model rules` to the model group.
func addModelCheckCmds(parent *cobra.Command, g *globals) {
	parent.AddCommand(newModelCheckCmd(g), newModelRulesCmd(g))
}

// severityMatrixHelp documents the risk matrix (threat.SeverityOf).
const severityMatrixHelp = `Severity is likelihood × impact:

                 low      medium   high      very-high
  unlikely       low      low      medium    high
  likely         low      medium   high      high
  very-likely    medium   high     high      critical
  frequent       medium   high     critical  critical

A standard may override the severity of a rule.`

type modelCheckOptions struct {
	standard    string
	lockFile    string
	format      string
	output      string
	failOn      policy.Threshold
	includeRoot string
}

func newModelCheckCmd(g *globals) *cobra.Command {
	var o modelCheckOptions
	cmd := &cobra.Command{
		Use:   "check MODEL",
		Short: "Threat-model an architecture model: evaluate the standard's rules and gate on the risks",
		Long: `Evaluate the rules of a standard on an architecture model and report the
risks as findings of kind design, one per rule and model element. The rules
cover the five defense layers (virtualization, network, gateway,
application, host), tenant isolation, zero trust, data handling and model
completeness, over facts derived from the model: zones crossed, reachability
from the internet, the highest data classification per component and
co-location on shared runtimes ('redline model rules' lists them).

The standard is --standard (a file, or a built-in name@version), else the
one the model pins in metadata.standard, which must then be built in
(` + standard.DefaultRef + ` when the model pins none). With --standard-lock, a
standard whose content changed since its version was published is refused.

The model's exceptions suppress the risk of their rule on their element
until their expiry day ends; an expired exception no longer suppresses and
says so. Red-line rules of the standard cannot be excepted: their findings
always block (exit 1), whatever --fail-on says, and an exception on one is
itself reported (RL-MOD-010).

A finding's fingerprint is derived from the rule, the product and the
element, not the file and line, so a risk keeps its identity when the model
is reformatted or split into includes.

` + severityMatrixHelp + `

Exit codes: 0 pass, 1 a red line or --fail-on blocked, 2 usage error or an
invalid model.`,
		Example: `  redline model check model.yaml
  redline model check model.yaml --fail-on high
  redline model check model.yaml --standard corp-standard.yaml --standard-lock standards.lock
  redline model check model.yaml --standard redline-baseline@2026H1 -f sarif -o design.sarif
  redline model check model.yaml -f html -o review.html      # the document for the review meeting
  redline model check model.yaml -f markdown -o review.md    # also writes review.svg, the data-flow diagram`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(modelCheckFormats(), o.format) {
				return usageErr(fmt.Errorf("unknown format %q (want %s)", o.format, strings.Join(modelCheckFormats(), ", ")))
			}
			m, err := model.Load(cmd.Context(), args[0], model.Options{IncludeRoot: o.includeRoot})
			if err != nil {
				return usageErr(fmt.Errorf("%s:\n%w", args[0], err))
			}
			if pinned := m.Metadata.Standard; o.standard == "" && pinned != "" {
				// A gate must not check with another rule pack than the one
				// the model is reviewed against: it could pass what that
				// one blocks.
				if _, err := standard.Resolve(pinned); err != nil {
					return usageErr(fmt.Errorf("the model is reviewed against %s, which is not a built-in standard: pass its file with --standard", pinned))
				}
			}
			std, warnings, err := o.resolveStandard(m)
			if err != nil {
				return usageErr(err)
			}
			res, err := threat.Check(cmd.Context(), m, threat.Options{
				Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref(),
			})
			if err != nil {
				return err
			}
			d := res.Decide(&policy.Gate{FailOn: o.failOn})
			if o.format == designreport.FormatMarkdown || o.format == designreport.FormatHTML {
				if err := o.writeReview(g, m, res, d, warnings); err != nil {
					return err
				}
			} else if err := o.writeFindings(g, res, d, warnings); err != nil {
				return err
			}
			if d.Blocked {
				return blocked()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.standard, "standard", "", "standard to apply: a file, or a built-in name@version (default: the model's metadata.standard)")
	f.StringVar(&o.lockFile, "standard-lock", "", "lock file of published standards; refuse a standard whose content changed without a new version")
	f.StringVarP(&o.format, "format", "f", report.FormatTable, "report format: "+strings.Join(modelCheckFormats(), ", ")+" (markdown and html: the review document with the data-flow diagram)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.Var(&o.failOn, "fail-on", "exit 1 when a finding is at or above this severity: critical, high, medium, low, or none (red lines always block)")
	f.StringVar(&o.includeRoot, "include-root", "", "directory includes must stay inside (default: the model file's directory)")
	return cmd
}

// modelCheckFormats are the finding formats every scan writes plus the
// review documents.
func modelCheckFormats() []string {
	return append(report.Formats(), designreport.FormatMarkdown, designreport.FormatHTML)
}

// writeFindings writes the findings through the shared report writers.
func (o *modelCheckOptions) writeFindings(g *globals, res *threat.Result, d *policy.Decision, warnings []string) error {
	bi := readBuildInfo()
	r := &report.Report{
		Tool:   report.Tool{Name: "redline", Version: bi.Version, Commit: bi.Commit},
		Target: res.Target,
	}
	r.SetDecision(d)
	for _, w := range warnings {
		r.Warnings = append(r.Warnings, report.Warning{Level: report.LevelWarning, Source: "standard", Message: w})
	}
	return writeOutput(o.output, g.stdout, func(w io.Writer) error { return report.Write(w, o.format, r) })
}

// writeReview writes the review document. A Markdown document written to a
// file gets its diagram as an SVG file beside it (NAME.svg); on standard
// output the diagram is embedded as a data URI.
func (o *modelCheckOptions) writeReview(g *globals, m *model.Model, res *threat.Result, d *policy.Decision, warnings []string) error {
	in := &designreport.Input{Graph: model.NewGraph(m), Result: res, Decision: d, Warnings: warnings}
	if o.format == designreport.FormatMarkdown && o.output != "" {
		svg := strings.TrimSuffix(o.output, filepath.Ext(o.output)) + ".svg"
		if err := writeOutput(svg, g.stdout, func(w io.Writer) error {
			_, err := w.Write(designreport.RiskDiagram(in))
			return err
		}); err != nil {
			return err
		}
		in.DiagramHref = filepath.Base(svg)
	}
	return writeOutput(o.output, g.stdout, func(w io.Writer) error { return designreport.Write(w, o.format, in) })
}

// resolveStandard picks the standard to apply and says what the reader
// should know about the choice. Without --standard it falls back to the
// default standard when the model pins one that is not built in (model diff
// uses that; model check refuses such a model first).
func (o *modelCheckOptions) resolveStandard(m *model.Model) (*standard.Standard, []string, error) {
	var warnings []string
	ref := o.standard
	if ref == "" {
		ref = m.Metadata.Standard
		if _, err := standard.Resolve(ref); err != nil || ref == "" {
			warnings = append(warnings, fmt.Sprintf("the model pins standard %q, which is not built in; checked with %s (pass --standard FILE to use it)",
				m.Metadata.Standard, standard.DefaultRef))
			ref = standard.DefaultRef
		}
	}
	std, err := standard.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	if o.lockFile != "" {
		lock, err := standard.LoadLock(o.lockFile)
		if err != nil {
			return nil, nil, err
		}
		switch err := lock.Verify(std); {
		case errors.Is(err, standard.ErrUnpublished):
			warnings = append(warnings, fmt.Sprintf("%s is not published in %s", std.Ref(), o.lockFile))
		case err != nil:
			return nil, nil, err
		}
	}
	warnings = append(warnings, std.Applicability(m.Metadata.Standard, time.Now())...)
	return std, warnings, nil
}

type modelRulesOptions struct {
	standard string
	layer    string
	asJSON   bool
}

func newModelRulesCmd(g *globals) *cobra.Command {
	var o modelRulesOptions
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Print the threat knowledge base: every rule with its layer, STRIDE, CWE and severity",
		Long: `Print the threat rules: id, layer, STRIDE category, CWE, likelihood,
impact, severity and title; --json adds the rationale (why it matters), the
mitigation and the Threagile rule covering the same risk. Without
--standard the built-in catalogue is printed at its matrix severities; with
it, the rules that standard runs, its severities, its red lines and its
custom CEL rules.

` + severityMatrixHelp,
		Example: `  redline model rules
  redline model rules --layer tenant-isolation
  redline model rules --standard redline-baseline@2026H2 --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			rules := threat.Builtin()
			if o.standard != "" {
				std, err := standard.Resolve(o.standard)
				if err != nil {
					return usageErr(err)
				}
				rules = std.ThreatRules()
			}
			if o.layer != "" {
				l, err := threat.ParseLayer(o.layer)
				if err != nil {
					return usageErr(err)
				}
				rules = slices.DeleteFunc(rules, func(r threat.Rule) bool { return r.Layer != l })
			}
			if o.asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rules)
			}
			return writeRulesTable(g.stdout, rules)
		},
	}
	cmd.Flags().StringVar(&o.standard, "standard", "", "print the rules of this standard (file or built-in name@version)")
	cmd.Flags().StringVar(&o.layer, "layer", "", "only this layer: "+layerNames())
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the full entries as JSON")
	return cmd
}

func layerNames() string {
	var s []string
	for _, l := range threat.Layers() {
		s = append(s, string(l))
	}
	return strings.Join(s, ", ")
}

func writeRulesTable(w io.Writer, rules []threat.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLAYER\tSTRIDE\tCWE\tLIKELIHOOD\tIMPACT\tSEVERITY\tRED LINE\tTITLE")
	for _, r := range rules {
		rl := ""
		if r.RedLine {
			rl = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tCWE-%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Layer, r.STRIDE.Letter(), r.CWE,
			r.Likelihood, r.Impact, r.Severity, rl, r.Title)
	}
	return tw.Flush()
}
