package threagile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
)

// parityEntry is one risk Threagile raises on the example model and what
// Redline raises for it (testdata/parity.yaml).
type parityEntry struct {
	Threagile  string   `yaml:"threagile"`
	Why        string   `yaml:"why"`
	Redline    []string `yaml:"redline"`
	Difference string   `yaml:"difference"`
	Absent     []string `yaml:"absent"`
}

// TestThreagileParity imports the shipped Threagile example, checks it
// under the default standard, and holds the result against the risks
// Threagile raises for the same architecture: each must have a
// corresponding Redline risk, unless it is a documented deliberate
// difference, whose Redline counterparts must then indeed be absent.
func TestThreagileParity(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "parity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Risks []parityEntry `yaml:"risks"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("parity.yaml: %v", err)
	}
	if len(doc.Risks) < 20 {
		t.Fatalf("parity.yaml lists %d risks; it was not read right", len(doc.Risks))
	}

	std, err := standard.Resolve(standard.DefaultRef)
	if err != nil {
		t.Fatal(err)
	}
	rules := std.ThreatRules()
	mapping := make(map[string][]string)
	for _, r := range rules {
		if r.Threagile != "" {
			mapping[r.Threagile] = append(mapping[r.Threagile], r.ID)
		}
	}
	ctx := context.Background()
	res, err := Import(ctx, os.DirFS(filepath.Join("..", "..", "..", "examples", "design", "threagile")), "threagile.yaml",
		Options{Standard: std.Ref(), ExceptionExpiry: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), Rules: mapping})
	if err != nil {
		t.Fatal(err)
	}
	check, err := threat.Check(ctx, res.Model, threat.Options{Rules: rules, Params: std.Params, Standard: std.Ref(),
		Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	// Raised are the open risks and those an imported exception accepts:
	// Threagile lists tracked risks too.
	raised := make(map[string]bool)
	for _, f := range check.Findings {
		raised[f.RuleID+" "+f.Location.Object] = true
	}
	for _, s := range check.Excepted {
		raised[s.Finding.RuleID+" "+s.Finding.Location.Object] = true
	}

	for _, e := range doc.Risks {
		t.Run(e.Threagile, func(t *testing.T) {
			category, _, _ := strings.Cut(e.Threagile, "@")
			category, _, _ = strings.Cut(category, " ")
			if e.Why == "" {
				t.Error("no reasoning for the expected Threagile risk")
			}
			switch {
			case len(e.Redline) > 0 && e.Difference == "":
				found := false
				for _, want := range e.Redline {
					rule, _, _ := strings.Cut(want, " ")
					if _, ok := threat.Lookup(rule); !ok {
						t.Errorf("%s: no such Redline rule", rule)
					}
					found = found || raised[want]
				}
				if !found {
					t.Errorf("Threagile raises %s; Redline raises none of %v", e.Threagile, e.Redline)
				}
			case e.Difference != "" && len(e.Absent) > 0 && len(e.Redline) == 0:
				if len(mapping[category]) == 0 {
					t.Errorf("%s is a documented difference, but no Redline rule maps to Threagile's %s", e.Threagile, category)
				}
				for _, a := range e.Absent {
					if raised[a] {
						t.Errorf("Redline now raises %s: %s is no longer a difference; move it to the matched risks and update docs/threagile.md", a, e.Threagile)
					}
				}
			default:
				t.Error("an entry needs either redline (matched) or difference and absent")
			}
		})
	}
}
