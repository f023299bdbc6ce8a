package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/threat"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

var update = flag.Bool("update", false, "rewrite golden files")

func input(t *testing.T, mutate func(*model.Model)) *Input {
	t.Helper()
	m, err := model.Load(context.Background(), "testdata/shop.yaml", model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(m)
	}
	rules := threat.Builtin()
	for i := range rules {
		if rules[i].ID == "RL-NET-002" {
			rules[i].RedLine = true
		}
	}
	g := model.NewGraph(m)
	res, err := threat.CheckGraph(context.Background(), g, threat.Options{
		Rules: rules, Standard: "test@1",
		Now: func() time.Time { return time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Decide(&policy.Gate{FailOn: policy.FailAt(finding.SeverityHigh)})
	return &Input{Graph: g, Result: res, Decision: d, Warnings: []string{"a note"}}
}

func TestGolden(t *testing.T) {
	for _, format := range []string{FormatMarkdown, FormatHTML} {
		t.Run(format, func(t *testing.T) {
			in := input(t, nil)
			if format == FormatMarkdown {
				in.DiagramHref = "shop.svg"
			}
			var b bytes.Buffer
			if err := Write(&b, format, in); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "shop."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s report differs from %s (run with -update and review the diff)", format, golden)
			}
			var again bytes.Buffer
			if err := Write(&again, format, input(t, nil)); err != nil {
				t.Fatal(err)
			}
			if format == FormatHTML && !bytes.Equal(again.Bytes(), b.Bytes()) {
				t.Error("two runs differ")
			}
		})
	}
}

func TestContent(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, FormatMarkdown, input(t, nil)); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## Verdict: **BLOCKED**", "## Red lines", "RL-NET-002", "## Excepted risks", "RL-HOST-005",
		"- [ ] RL-NET-002", "- [x] RL-APP-002", "data:image/svg+xml;base64,", "| network |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestDiagramIsValidXML(t *testing.T) {
	in := input(t, func(m *model.Model) { m.Metadata.Product = `a<b&"c"` })
	svg := Diagram(in.Graph, map[string]finding.Severity{"db": finding.SeverityCritical, "db-admin": finding.SeverityCritical})
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("diagram is not well-formed XML: %v", err)
		}
	}
	for _, want := range []string{`fill="#f8b4b4"`, `marker-end="url(#arrow-risk)"`, ">internet<", ">db<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("diagram lacks %s", want)
		}
	}
}

func TestEscaping(t *testing.T) {
	evil := `<script>alert(1)</script>|x`
	in := input(t, func(m *model.Model) { m.Metadata.Name = evil; m.Metadata.Owner = evil })
	for _, format := range []string{FormatMarkdown, FormatHTML} {
		var b bytes.Buffer
		if err := Write(&b, format, in); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "<script>") {
			t.Errorf("%s report carries raw markup from the model", format)
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", in); err == nil {
		t.Error("unknown format accepted")
	}
	if err := Write(&bytes.Buffer{}, FormatHTML, &Input{}); err == nil {
		t.Error("incomplete input accepted")
	}
}
