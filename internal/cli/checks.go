package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/misconfig/dockerfile"
	"github.com/redline-sec/redline/internal/misconfig/kubernetes"
	"github.com/redline-sec/redline/internal/secret"
)

// catalogue is every check Redline can report besides vulnerabilities, by
// the analyzer family that reports it.
func catalogue() map[string][]finding.Rule {
	builtin := threat.Builtin()
	design := make([]finding.Rule, len(builtin))
	for i := range builtin {
		design[i] = builtin[i].FindingRule()
	}
	return map[string][]finding.Rule{
		"design":     design,
		"dockerfile": dockerfile.Rules(),
		"kubernetes": kubernetes.Rules(),
		"secret":     secret.Rules(),
	}
}

func newChecksCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "The catalogue of checks Redline runs",
	}
	var (
		family string
		asJSON bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List every check with its id, severity, title and framework mappings",
		Long: `List the checks of the secret detector (credential formats), the design
threat rules of "redline model check", and of the
misconfiguration analyzers: Dockerfile checks and
Kubernetes checks (the Pod Security Standards ` + kubernetes.KubernetesVersion + ` baseline and restricted
profiles, and hardening checks), with the Microsoft Threat Matrix for Kubernetes
technique each maps to. --json prints the full entries: rationale,
remediation and references.`,
		Example: `  redline checks list
  redline checks list --family kubernetes --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cat := catalogue()
			families := make([]string, 0, len(cat))
			for f := range cat {
				families = append(families, f)
			}
			slices.Sort(families)
			if family != "" {
				if _, ok := cat[family]; !ok {
					return usageErr(fmt.Errorf("unknown family %q (want %s)", family, strings.Join(families, ", ")))
				}
				families = []string{family}
			}
			if asJSON {
				out := map[string][]finding.Rule{}
				for _, f := range families {
					out[f] = cat[f]
				}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FAMILY\tID\tSEVERITY\tTITLE\tMAPPINGS")
			for _, f := range families {
				for _, r := range cat[f] {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f, r.ID, r.Severity, r.Title, mappings(r.Mappings))
				}
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&family, "family", "", "only this family: dockerfile, kubernetes or secret")
	list.Flags().BoolVar(&asJSON, "json", false, "print the full catalogue as JSON")
	cmd.AddCommand(list)
	return cmd
}

// mappings renders framework mappings as "ms-k8s-matrix:MS-TA9018 cwe:CWE-250".
func mappings(m map[string][]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range m[k] {
			parts = append(parts, k+":"+v)
		}
	}
	return strings.Join(parts, " ")
}
