package policy

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

func TestLoadPolicy(t *testing.T) {
	name := filepath.Join("testdata", "example-policy.yaml")
	p, err := LoadPolicy(name)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasDefault || p.Default != FailAt(finding.SeverityHigh) {
		t.Errorf("default = %v, %v; want high", p.Default, p.HasDefault)
	}
	wantT := map[finding.Kind]Threshold{
		finding.KindVulnerability:    FailAt(finding.SeverityCritical),
		finding.KindSecret:           FailAt(finding.SeverityLow),
		finding.KindMisconfiguration: {},
	}
	if !reflect.DeepEqual(p.Thresholds, wantT) {
		t.Errorf("thresholds = %v, want %v", p.Thresholds, wantT)
	}
	type rule struct {
		ID      string
		Action  Action
		RedLine bool
		Line    int
	}
	var got []rule
	for _, r := range p.Rules {
		got = append(got, rule{r.ID, r.Action, r.RedLine, r.Line})
	}
	want := []rule{{"fixable-high", ActionBlock, false, 10}, {"no-aws-keys", ActionBlock, true, 13}, {"cvss-watch", ActionWarn, false, 17}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %+v, want %+v", got, want)
	}
	if len(p.Exceptions) != 2 || p.Exceptions[1].ID != "RUSTSEC-2021-0003" || p.Exceptions[1].Line != 30 || p.Exceptions[1].File != name {
		t.Errorf("exceptions = %+v", p.Exceptions)
	}
	if got := p.ThresholdFor(finding.KindRBAC, Threshold{}); got != FailAt(finding.SeverityHigh) {
		t.Errorf("ThresholdFor(rbac) = %v, want the default high", got)
	}
}

func TestLoadPolicyErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"bad-cel-type.yaml", []string{
			`testdata/bad-cel-type.yaml:5: rules[0] wrong-type: CEL: found no matching overload for '_>=_' applied to '(int, string)' (expression line 1, column 12)`,
			`testdata/bad-cel-type.yaml:10: rules[1] typo: CEL: undefined field 'rule_idd' (expression line 2, column 2)`,
			`testdata/bad-cel-type.yaml:13: rules[2] not-bool: CEL: expression must be a bool, not int (expression line 1, column 1)`,
		}},
		{"bad-cel-syntax.yaml", []string{
			`testdata/bad-cel-syntax.yaml:5: rules[0] unbalanced: CEL: Syntax error: missing ')' at '<EOF>' (expression line 1, column 20)`,
		}},
		{"bad-structure.yaml", []string{
			`testdata/bad-structure.yaml:1: apiVersion "redline.dev/v2" is not supported (want redline.dev/v1)`,
			`testdata/bad-structure.yaml:3: thresholds: unknown finding kind "vulnerabilty" (want default, vulnerability, secret, misconfiguration, rbac, design, runtime, supply-chain)`,
			`testdata/bad-structure.yaml:4: thresholds: secret: fail-on threshold: unknown severity "severe" (want critical, high, medium, low or unknown)`,
			`testdata/bad-structure.yaml:6: rules[0]: action "deny": want block or warn`,
			`testdata/bad-structure.yaml:13: rules[2]: a red line always blocks; remove action: warn`,
			`testdata/bad-structure.yaml:20: rules[3]: unknown key "colour" (want id, description, expression, action, redline)`,
			`testdata/bad-structure.yaml:18: rules[3]: missing id`,
			`testdata/bad-structure.yaml:22: exceptions[0]: missing expires`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := LoadPolicy(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParsePolicySmall(t *testing.T) {
	tests := []struct {
		name, src, err string
	}{
		{"empty", "", "p.yaml: empty policy file (want apiVersion: redline.dev/v1)"},
		{"no version", "rules: []\n", "p.yaml:1: missing apiVersion (want redline.dev/v1)"},
		{"two docs", "apiVersion: redline.dev/v1\n---\na: 1\n", "p.yaml:2: a policy file holds one YAML document"},
		{"duplicate rule", "apiVersion: redline.dev/v1\nrules:\n- {id: a, description: d, expression: 'true'}\n- {id: a, description: d, expression: 'false'}\n",
			`p.yaml:4: rules[1]: duplicate rule id "a" (first at line 3)`},
		{"undeclared", "apiVersion: redline.dev/v1\nrules:\n- {id: a, description: d, expression: 'f.severity >= HIHG'}\n",
			"p.yaml:3: rules[0] a: CEL: undeclared reference to 'HIHG' (in container '') (expression line 1, column 15)"},
		{"too long", "apiVersion: redline.dev/v1\nrules:\n- {id: a, description: d, expression: '" + strings.Repeat("true && ", MaxExpressionLen/8) + "true'}\n",
			"p.yaml:3: rules[0] a: expression is longer than 4096 bytes"},
		{"ok", "apiVersion: redline.dev/v1\nrules:\n- {id: a, description: d, expression: 'has(f.package) && f.package.purl.startsWith(\"pkg:golang/\")'}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy("p.yaml", []byte(tt.src))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.err {
				t.Errorf("error:\n got %q\nwant %q", got, tt.err)
			}
		})
	}
}

func TestRuleMatch(t *testing.T) {
	f := vuln("GO-2022-0969", []string{"CVE-2022-27664"}, "Go", "golang.org/x/net", "v0.0.1", "go.mod", finding.SeverityHigh)
	f.Package.PURL = "pkg:golang/golang.org/x/net@v0.0.1"
	f.CVSS = []finding.CVSS{{Version: "3.1", Score: 7.5}, {Version: "4.0", Score: 8.7}}
	f.Mappings = map[string][]string{"cwe": {"CWE-400"}}
	fixed := f
	fixed.Fix = &finding.Fix{FixedVersions: []string{"0.0.2"}, Upgrade: "v0.0.2"}
	secret := finding.Finding{Kind: finding.KindSecret, RuleID: "aws-access-key", Severity: finding.SeverityHigh,
		Fix: &finding.Fix{Remediation: "rotate it"}, Location: finding.Location{Path: "./a/.env", Line: 2}}
	tests := []struct {
		expr string
		f    *finding.Finding
		want bool
		err  string
	}{
		{`f.kind == "vulnerability" && f.severity >= HIGH && has(f.fix)`, &fixed, true, ""},
		{`f.kind == "vulnerability" && f.severity >= HIGH && has(f.fix)`, &f, false, ""},
		{`has(f.fix)`, &secret, false, ""}, // remediation text alone is no fix
		{`f.severity == CRITICAL`, &f, false, ""},
		{`f.cvss > 8.0`, &f, true, ""},
		{`f.aliases.exists(a, a.startsWith("CVE-2022"))`, &f, true, ""},
		{`f.package.purl.startsWith("pkg:golang/golang.org/x/")`, &f, true, ""},
		{`has(f.package)`, &secret, false, ""},
		{`f.location.path == "a/.env" && f.location.line == 2`, &secret, true, ""},
		{`"CWE-400" in f.mappings["cwe"]`, &f, true, ""},
		{`"CWE-400" in f.mappings["cwe"]`, &secret, false, "rule r: no such key: cwe"},
		{`f.fix.upgrade == "v0.0.2"`, &fixed, true, ""},
		{`f.target.kind == "filesystem" && f.target.name == "repo"`, &f, true, ""},
	}
	env, err := newCELEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		prg, errs := compileRule(env, tt.expr)
		if errs != nil {
			t.Fatalf("%s: %v", tt.expr, errs)
		}
		r := Rule{ID: "r", prg: prg}
		got, err := r.Match(tt.f)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("%s on %s = %v, %q; want %v, %q", tt.expr, tt.f.RuleID, got, gotErr, tt.want, tt.err)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, name := range []string{"example-policy.yaml", "bad-cel-type.yaml", "bad-cel-syntax.yaml", "bad-structure.yaml"} {
		data, err := readLimited(filepath.Join("testdata", name), MaxPolicyFileSize, "policy")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: redline.dev/v1\nrules:\n- {id: a, description: d, expression: '[1,2].map(x, x*x).size() > 1'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil policy without error")
		}
		fs := testFindings()
		for i := range p.Rules {
			if p.Rules[i].prg == nil {
				t.Fatalf("rule %s not compiled", p.Rules[i].ID)
			}
			for j := range fs {
				_, _ = p.Rules[i].Match(&fs[j]) // must not panic
			}
		}
		d := (&Gate{Policy: p}).Evaluate(fs)
		if len(d.Findings)+len(d.Suppressed)+len(d.VEXSuppressed) != len(fs) || len(d.Blocking) != len(d.Blockers) {
			t.Fatalf("findings lost: %d kept, %d suppressed of %d", len(d.Findings), len(d.Suppressed), len(fs))
		}
	})
}
