package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threagile"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
)

func newModelCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Architecture models as code: write, validate, compare",
		Long: `An architecture model describes a product's release for its security
review: data assets and their classification, tenancy and how each layer
isolates tenants, deployment runtimes and sandboxing, network zones and
their trust, components with their defense-in-depth controls per layer
(virtualization, network, gateway, application, host), interfaces with
protocol, TLS, authentication, authorization and the identity, tenant and
risk context they carry, and time-boxed exceptions.

A model is YAML (apiVersion ` + model.APIVersion + `, kind ArchitectureModel) and
may include other files (kind ArchitectureModelPart). Decoding is strict:
an unknown key, an unknown enum value, a dangling reference or a duplicate
id is an error with its file and line.

Start here:
  redline model init --tenancy multi -o model.yaml   # a commented starter model
  redline model validate model.yaml                  # check it
  redline model check model.yaml                     # threat model: risks by layer, red lines
  redline model schema -o model.schema.json          # JSON Schema for editor completion
  redline model diff old/model.yaml model.yaml       # what changed since the last review
  redline model import --from threagile threagile.yaml --exception-expiry 2027-06-30 -o model.yaml`,
	}
	cmd.AddCommand(newModelInitCmd(g), newModelValidateCmd(g), newModelSchemaCmd(g), newModelDiffCmd(g), newModelImportCmd(g))
	addModelCheckCmds(cmd, g)
	return cmd
}

type modelInitOptions struct {
	tenancy, product, name, owner, release, standard string
	output                                           string
	force                                            bool
}

func newModelInitCmd(g *globals) *cobra.Command {
	var o modelInitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter model that validates",
		Long: `Write a starter architecture model: a client, a gateway, a service and a
database across internet, DMZ, application and data zones, with every
section present and the allowed values of each field in a comment. It
validates as written; replace its elements with your product's.

--tenancy multi adds the multi-tenant parts: tenant isolation per layer,
tenant-scoped data, per-tenant rate limits and tenant context on every
interface.`,
		Example: `  redline model init                                  # print a single-tenant starter
  redline model init --tenancy multi --product billing -o model.yaml
  redline model init --standard corp-baseline@2026H2 -o design/model.yaml   # your own standard`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if o.tenancy != "single" && o.tenancy != "multi" {
				return usageErr(fmt.Errorf("--tenancy %q: want single or multi", o.tenancy))
			}
			file := "model.yaml"
			if o.output != "" {
				file = o.output
			}
			if o.standard == "" {
				o.standard = standard.DefaultRef
			}
			text, err := model.Starter(model.StarterOptions{
				Product: o.product, Name: o.name, Owner: o.owner, Release: o.release,
				Standard: o.standard, Multi: o.tenancy == "multi", File: file,
			})
			if err != nil {
				return usageErr(err)
			}
			if o.output != "" && !o.force {
				if _, err := os.Stat(o.output); err == nil {
					return usageErr(fmt.Errorf("%s exists; use --force to overwrite it", o.output))
				}
			}
			return writeOutput(o.output, g.stdout, func(w io.Writer) error {
				_, err := w.Write(text)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tenancy, "tenancy", "single", "single or multi (tenants share deployments)")
	f.StringVar(&o.product, "product", "", "product slug (default my-product)")
	f.StringVar(&o.name, "name", "", "product display name (default the slug)")
	f.StringVar(&o.owner, "owner", "", "owning team (default team-<product>)")
	f.StringVar(&o.release, "release", "", "release the model describes (default 0.1.0)")
	f.StringVar(&o.standard, "standard", "", "standard the model is reviewed against, name@version (default "+standard.DefaultRef+")")
	f.StringVarP(&o.output, "output", "o", "", "write to this file instead of standard output")
	f.BoolVar(&o.force, "force", false, "overwrite the output file if it exists")
	return cmd
}

type modelValidateOptions struct {
	includeRoot string
	format      string
}

// validateResult is one file's outcome in `model validate -f json`.
type validateResult struct {
	File       string          `json:"file"`
	Valid      bool            `json:"valid"`
	Hash       string          `json:"hash,omitempty"`
	Files      []string        `json:"files,omitempty"`
	Components int             `json:"components,omitempty"`
	Interfaces int             `json:"interfaces,omitempty"`
	Errors     []validateError `json:"errors,omitempty"`
}

type validateError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func newModelValidateCmd(g *globals) *cobra.Command {
	var o modelValidateOptions
	cmd := &cobra.Command{
		Use:   "validate MODEL...",
		Short: "Check models against the schema and their references",
		Long: `Read each model with the files it includes and check it strictly: known
keys only, known enum values, required keys, ids unique across the model,
every reference (zone, runtime, data asset, component, exception element)
defined and of the right kind, no parent cycles, no include cycles, and
values that do not contradict each other (https with tls.version none).

Every problem is printed as file:line:column: message. Reading is bounded:
16 MiB per file, 64 MiB and 256 files per model, and YAML aliases may
expand to at most 100,000 nodes, so a hostile model fails fast.

Includes are resolved relative to the including file and must stay inside
the root model's directory, or inside --include-root.

Exit codes: 0 every model is valid, 1 a model is invalid, 2 usage error or
a file cannot be read.`,
		Example: `  redline model validate model.yaml
  redline model validate services/*/model.yaml -f json
  redline model validate design/prod/model.yaml --include-root design   # allow ../shared includes`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "text" && o.format != "json" {
				return usageErr(fmt.Errorf("--format %q: want text or json", o.format))
			}
			results := make([]validateResult, 0, len(args))
			invalid := false
			for _, file := range args {
				m, err := model.Load(cmd.Context(), file, model.Options{IncludeRoot: o.includeRoot})
				var errs model.Errors
				switch {
				case errors.As(err, &errs):
					invalid = true
					r := validateResult{File: file}
					for _, e := range errs {
						r.Errors = append(r.Errors, validateError{File: e.Pos.File, Line: e.Pos.Line, Column: e.Pos.Column, Message: e.Msg})
					}
					results = append(results, r)
				case err != nil:
					return usageErr(err)
				default:
					results = append(results, validateResult{File: file, Valid: true, Hash: m.Hash(), Files: m.Files,
						Components: len(m.Components), Interfaces: len(m.Interfaces)})
				}
			}
			if o.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(results); err != nil {
					return err
				}
			} else {
				for _, r := range results {
					if r.Valid {
						fmt.Fprintf(g.stdout, "%s: valid (%s, %s, %s, %s)\n", r.File, plural(len(r.Files), "file"),
							plural(r.Components, "component"), plural(r.Interfaces, "interface"), r.Hash)
						continue
					}
					for _, e := range r.Errors {
						fmt.Fprintln(g.stdout, (&model.Error{Pos: model.Pos{File: e.File, Line: e.Line, Column: e.Column}, Msg: e.Message}).Error())
					}
					fmt.Fprintf(g.stdout, "%s: invalid (%d problems)\n", r.File, len(r.Errors))
				}
			}
			if invalid {
				return blocked()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.includeRoot, "include-root", "", "directory includes must stay inside (default: the model file's directory)")
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	return cmd
}

func newModelSchemaCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of model files",
		Long: `Print the JSON Schema (draft 2020-12) of architecture model files. It is
generated from the same types the decoder uses, so editors that complete
and check YAML against it (the YAML language server in VS Code, IntelliJ)
agree with 'redline model validate' on keys and values; validate still
checks what a schema cannot (references, duplicate ids, includes).

Point your editor at it with a first line in the model:
  # yaml-language-server: $schema=./model.schema.json

The same schema is published in the repository as
schemas/architecture-model-v1alpha1.json.`,
		Example: `  redline model schema -o model.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return writeOutput(output, g.stdout, func(w io.Writer) error {
				_, err := w.Write(model.Schema())
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}

type modelDiffOptions struct {
	format, output string
	includeRoot    string
	standard       string
	noRisks        bool
	exitCode       bool
}

// modelDiffReport is the output of `redline model diff`: the architecture
// changes and how the risks changed with them.
type modelDiffReport struct {
	Architecture *model.Diff `json:"architecture"`
	// Standard is the standard both models were checked against.
	Standard string           `json:"standard,omitempty"`
	Risks    *threat.RiskDiff `json:"risks,omitempty"`
}

// riskDiff checks both models against one standard (--standard, else the
// new model's) and compares their risks.
func (o *modelDiffOptions) riskDiff(cmd *cobra.Command, g *globals, old, new *model.Model) (string, *threat.RiskDiff, error) {
	co := modelCheckOptions{standard: o.standard}
	std, warnings, err := co.resolveStandard(new)
	if err != nil {
		return "", nil, usageErr(err)
	}
	for _, w := range warnings {
		g.log.Warn(w)
	}
	opts := threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref()}
	var results [2]*threat.Result
	for i, m := range []*model.Model{old, new} {
		if results[i], err = threat.Check(cmd.Context(), m, opts); err != nil {
			return "", nil, err
		}
	}
	return std.Ref(), threat.DiffRisks(results[0].Findings, results[1].Findings), nil
}

// writeModelDiffText writes the architecture diff, then the risk delta.
func writeModelDiffText(w io.Writer, rep *modelDiffReport) error {
	if err := rep.Architecture.WriteText(w); err != nil {
		return err
	}
	r := rep.Risks
	if r == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nRisks (%s): %d added, %d resolved, %d changed, %d unchanged\n",
		rep.Standard, len(r.Added), len(r.Resolved), len(r.Changed), r.Unchanged)
	line := func(mark string, f *finding.Finding) {
		fmt.Fprintf(&b, "%s %-8s %-12s %-32s %s", mark, f.Severity, f.RuleID, f.Location.Object, f.Title)
		if loc := f.Location.String(); loc != "" {
			fmt.Fprintf(&b, "  (%s)", loc)
		}
		b.WriteByte('\n')
	}
	for i := range r.Added {
		line("+", &r.Added[i])
	}
	for i := range r.Resolved {
		line("-", &r.Resolved[i])
	}
	for i := range r.Changed {
		c := &r.Changed[i]
		line("~", &c.New)
		if slices.Contains(c.Changes, "severity") {
			fmt.Fprintf(&b, "    severity: %s -> %s\n", c.Old.Severity, c.New.Severity)
		}
		if others := slices.DeleteFunc(slices.Clone(c.Changes), func(s string) bool { return s == "severity" }); len(others) > 0 {
			fmt.Fprintf(&b, "    also changed: %s\n", strings.Join(others, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func newModelDiffCmd(g *globals) *cobra.Command {
	var o modelDiffOptions
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show what changed between two versions of a model",
		Long: `Compare two models element by element: data assets, zones, runtimes,
components, interfaces and exceptions are matched by id (exceptions by rule
and element), and metadata and tenancy as sections. Each added, removed or
changed element is listed with the YAML path, old and new value of every
field that differs (controls.gateway.waf: false -> true), and items added
to or removed from lists. Both models are validated first.

Then both are threat-modelled against one standard (--standard, else the
one the new model pins when it is built in, else the default) and the
risks compared by fingerprint (rule and element): risks added, resolved,
and changed in severity. --no-risks leaves this part out.

The output is deterministic: sections in a fixed order, then ids sorted.
A review binds to the model's hash; this diff is what a reviewer reads when
a change re-opens it.

Exit codes: 0 (also with changes, unless --exit-code), 1 with --exit-code
when the models differ, 2 usage error or an invalid model.`,
		Example: `  redline model diff release-2026.03/model.yaml model.yaml
  redline model diff old.yaml new.yaml -f json -o diff.json
  git show v1.4:design/model.yaml > /tmp/old.yaml && redline model diff /tmp/old.yaml design/model.yaml`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "text" && o.format != "json" {
				return usageErr(fmt.Errorf("--format %q: want text or json", o.format))
			}
			var ms [2]*model.Model
			for i, file := range args {
				m, err := model.Load(cmd.Context(), file, model.Options{IncludeRoot: o.includeRoot})
				if err != nil {
					return usageErr(fmt.Errorf("model %s is invalid or unreadable:\n%w", file, err))
				}
				ms[i] = m
			}
			rep := modelDiffReport{Architecture: model.Compare(ms[0], ms[1])}
			if !o.noRisks {
				ref, risks, err := o.riskDiff(cmd, g, ms[0], ms[1])
				if err != nil {
					return err
				}
				rep.Standard, rep.Risks = ref, risks
			}
			err := writeOutput(o.output, g.stdout, func(w io.Writer) error {
				if o.format == "json" {
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return enc.Encode(rep)
				}
				return writeModelDiffText(w, &rep)
			})
			if err != nil {
				return err
			}
			if o.exitCode && (len(rep.Architecture.Changes) > 0 || rep.Risks != nil && !rep.Risks.Empty()) {
				return blocked()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.StringVarP(&o.output, "output", "o", "", "write to this file instead of standard output")
	f.StringVar(&o.includeRoot, "include-root", "", "directory includes must stay inside (default: each model file's directory)")
	f.StringVar(&o.standard, "standard", "", "standard to check both models against: a file, or a built-in name@version (default: the new model's, if built in)")
	f.BoolVar(&o.noRisks, "no-risks", false, "compare the architecture only, not the risks")
	f.BoolVar(&o.exitCode, "exit-code", false, "exit 1 when the models or their risks differ")
	return cmd
}

type modelImportOptions struct {
	from, output           string
	standard               string
	expiry, release, owner string
	force                  bool
}

func newModelImportCmd(g *globals) *cobra.Command {
	var o modelImportOptions
	cmd := &cobra.Command{
		Use:   "import --from threagile FILE",
		Short: "Convert a Threagile model into a Redline model",
		Long: `Convert a Threagile model (threagile.yaml, with its includes) into a Redline
architecture model:

  data_assets        -> data (confidentiality by rank: public, internal,
                        restricted -> confidential, confidential -> restricted,
                        strictly-confidential -> secret; Threagile ranks its
                        restricted below its confidential)
  technical_assets   -> components (technology -> type and tech, internet ->
                        internet zone, multi_tenant -> shared tenancy,
                        encryption, formats accepted, data processed/stored)
  trust_boundaries   -> zones (network-* types, nesting -> parent; an
                        execution-environment is not a network zone)
  communication_links-> interfaces (<asset>.<link>: protocol and encryption,
                        authentication, authorization and identity, VPN, IP
                        filter, read-only, data sent and received)
  shared_runtimes    -> runtimes (shared; kind from the assets' machine type)
  risk_tracking      -> exceptions for accepted, in-progress and false-positive
                        risks, one per Redline rule covering the Threagile rule,
                        wildcards expanded; they expire on --exception-expiry
                        (Threagile's decisions never expire; Redline's must)

What Threagile does not record (TLS versions, sandboxing, zone trust,
tenant and risk context, controls per layer) is left for you to fill in;
the notes at the top of the output list every assumption. Exceptions made
from wildcards or from one Threagile rule covered by several Redline rules
are kept only where the rule actually reports a risk on the element under
the standard (--standard, else the default).

Exit codes: 0 converted, 2 usage error or an unreadable model.`,
		Example: `  redline model import --from threagile threagile.yaml --exception-expiry 2027-06-30 -o model.yaml
  redline model import --from threagile threagile.yaml --exception-expiry 2027-06-30 --release 2026.06 --owner team-shop`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.from != "threagile" {
				return usageErr(fmt.Errorf("--from %q: the only supported source is threagile", o.from))
			}
			var expiry time.Time
			if o.expiry != "" {
				t, err := time.Parse(time.DateOnly, o.expiry)
				if err != nil {
					return usageErr(fmt.Errorf("--exception-expiry %q: want a date YYYY-MM-DD", o.expiry))
				}
				expiry = t
			}
			if o.output != "" && !o.force {
				if _, err := os.Stat(o.output); err == nil {
					return usageErr(fmt.Errorf("%s exists; use --force to overwrite it", o.output))
				}
			}
			co := modelCheckOptions{standard: o.standard}
			if co.standard == "" {
				co.standard = standard.DefaultRef
			}
			std, _, err := co.resolveStandard(&model.Model{})
			if err != nil {
				return usageErr(err)
			}
			rules := std.ThreatRules()
			mapping := make(map[string][]string)
			for _, r := range rules {
				if r.Threagile != "" {
					mapping[r.Threagile] = append(mapping[r.Threagile], r.ID)
				}
			}
			file := args[0]
			res, err := threagile.Import(cmd.Context(), os.DirFS(filepath.Dir(file)), filepath.Base(file), threagile.Options{
				Standard: std.Ref(), ExceptionExpiry: expiry, Release: o.release, Owner: o.owner, Rules: mapping,
			})
			if err != nil {
				return usageErr(fmt.Errorf("import %s: %w", file, err))
			}
			if len(res.Tentative) > 0 {
				check, err := threat.Check(cmd.Context(), res.Model, threat.Options{Rules: rules, Params: std.Params, Standard: std.Ref()})
				if err != nil {
					return err
				}
				found := make(map[[2]string]bool)
				for _, f := range append(check.Findings, suppressedFindings(check)...) {
					_, id, _ := strings.Cut(f.Location.Object, "/")
					found[[2]string{f.RuleID, id}] = true
				}
				if n := res.Prune(func(rule, element string) bool { return found[[2]string{rule, element}] }); n > 0 {
					res.Notes = append(res.Notes, fmt.Sprintf("%d exceptions from wildcards, one-to-many rule mappings or link candidates matched no risk and were left out", n))
				}
			}
			body, err := model.Encode(res.Model)
			if err != nil {
				return err
			}
			if _, err := model.Decode(file, body, model.Limits{}); err != nil {
				return fmt.Errorf("the imported model does not validate (please report this): %w", err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# Imported from the Threagile model %s by 'redline model import'.\n#\n# Review these notes, then run 'redline model validate' and 'redline model check':\n", filepath.Base(file))
			for _, n := range res.Notes {
				fmt.Fprintf(&b, "#  - %s\n", strings.ReplaceAll(n, "\n", " "))
			}
			b.WriteString("\n")
			b.Write(body)
			for _, n := range res.Notes {
				g.log.Debug("import note", "note", n)
			}
			return writeOutput(o.output, g.stdout, func(w io.Writer) error {
				_, err := io.WriteString(w, b.String())
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "format of the source model: threagile")
	f.StringVar(&o.expiry, "exception-expiry", "", "expiry (YYYY-MM-DD) of the exceptions made from Threagile's accepted risks; required when there are any")
	f.StringVar(&o.standard, "standard", "", "standard the new model is reviewed against, a file or a built-in name@version (default "+standard.DefaultRef+")")
	f.StringVar(&o.release, "release", "", "release of the new model (default the Threagile model's date)")
	f.StringVar(&o.owner, "owner", "", "owner of the new model (default the Threagile author)")
	f.StringVarP(&o.output, "output", "o", "", "write to this file instead of standard output")
	f.BoolVar(&o.force, "force", false, "overwrite the output file if it exists")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// suppressedFindings returns the findings the model's own exceptions
// suppressed in a check.
func suppressedFindings(r *threat.Result) []finding.Finding {
	out := make([]finding.Finding, 0, len(r.Excepted))
	for _, s := range r.Excepted {
		out = append(out, s.Finding)
	}
	return out
}

// plural writes "1 file" or "3 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
