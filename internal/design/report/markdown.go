package report

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// mdCell makes text safe in a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	return s
}

func writeMarkdown(w io.Writer, d *document, href string) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("# Threat model: %s\n\n", mdCell(d.Title))
	p("| | |\n|---|---|\n")
	p("| Product | %s |\n| Release | %s |\n| Owner | %s |\n| Standard | %s |\n| Model hash | `%s` |\n\n",
		mdCell(d.Product), mdCell(d.Release), mdCell(d.Owner), mdCell(d.Standard), mdCell(d.Hash))
	verdict := "**PASS**"
	if d.Blocked {
		verdict = "**BLOCKED**"
	}
	p("## Verdict: %s\n\n", verdict)
	for _, r := range d.Reasons {
		p("- %s\n", mdCell(r))
	}
	p("\n%d open risks: %d critical, %d high, %d medium, %d low; %d red-line; %d excepted.\n\n",
		d.Total, d.Counts[0], d.Counts[1], d.Counts[2], d.Counts[3], len(d.RedLines), len(d.Excepted))

	p("## Data-flow diagram\n\n")
	if href != "" {
		p("![Data-flow diagram](%s)\n\n", href)
	} else {
		p("![Data-flow diagram](data:image/svg+xml;base64,%s)\n\n", base64.StdEncoding.EncodeToString(d.SVG))
	}
	p("Zones are columns ordered by trust; components are coloured by their worst open risk; red arrows are interfaces with an open risk.\n\n")

	p("## Risks by layer and severity\n\n| Layer | Critical | High | Medium | Low | Total |\n|---|---:|---:|---:|---:|---:|\n")
	for _, l := range d.Layers {
		p("| %s | %d | %d | %d | %d | %d |\n", l.Layer, l.Critical, l.High, l.Medium, l.Low, l.Total)
	}
	p("| **all** | %d | %d | %d | %d | %d |\n\n", d.Counts[0], d.Counts[1], d.Counts[2], d.Counts[3], d.Total)

	if len(d.RedLines) > 0 {
		p("## Red lines (block approval, cannot be excepted)\n\n| Rule | Element | Finding | Where |\n|---|---|---|---|\n")
		for _, it := range d.RedLines {
			p("| %s %s | %s | %s | %s |\n", it.Rule, mdCell(it.Title), mdCell(it.Element), mdCell(it.Description), mdCell(it.Where))
		}
		p("\n")
	}

	p("## Risks\n\n")
	for _, l := range d.Layers {
		if len(l.Items) == 0 {
			continue
		}
		p("### %s\n\n| Severity | Rule | STRIDE | CWE | Element | Finding | Mitigation | Where |\n|---|---|---|---|---|---|---|---|\n", l.Layer)
		for _, it := range l.Items {
			sev := it.Severity
			if it.RedLine {
				sev += " (red line)"
			}
			p("| %s | %s %s | %s | %s | %s | %s | %s | %s |\n", sev, it.Rule, mdCell(it.Title), it.STRIDE, it.CWE,
				mdCell(it.Element), mdCell(it.Description), mdCell(it.Mitigation), mdCell(it.Where))
		}
		p("\n")
	}

	if len(d.Excepted) > 0 {
		p("## Excepted risks\n\n| Rule | Element | Owner | Expires | Reason |\n|---|---|---|---|---|\n")
		for _, e := range d.Excepted {
			p("| %s %s | %s | %s | %s | %s |\n", e.Rule, mdCell(e.Title), mdCell(e.Element), mdCell(e.Owner), e.Expires, mdCell(e.Reason))
		}
		p("\n")
	}

	p("## Checklist\n\n%d rules: %d pass, %d open, %d excepted.\n\n", len(d.Checklist), d.Passed, d.Open, d.ExceptedRules)
	layer := ""
	for _, c := range d.Checklist {
		if string(c.Layer) != layer {
			layer = string(c.Layer)
			p("\n**%s**\n\n", layer)
		}
		box := "[x]"
		note := ""
		switch c.Status {
		case "open":
			box, note = "[ ]", fmt.Sprintf(" — %d open", c.Open)
		case "excepted":
			note = " — excepted"
		}
		rl := ""
		if c.RedLine {
			rl = " **red line**"
		}
		p("- %s %s %s (%s)%s%s\n", box, c.Rule, mdCell(c.Title), c.Severity, rl, note)
	}
	p("\n## Components\n\n| Component | Type | Zone | Runtime | Exposure | Highest data | Worst risk |\n|---|---|---|---|---|---|---|\n")
	for _, c := range d.Components {
		p("| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(c.ID), c.Type, mdCell(c.Zone), mdCell(c.Runtime), c.Exposure, c.Data, c.Worst)
	}
	p("\n## Interfaces\n\n| Interface | From | To | Protocol | TLS | Authentication | Authorization | Data | Zones crossed |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range d.Interfaces {
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(f.ID), mdCell(f.From), mdCell(f.To), f.Protocol, f.TLS, f.Authn, f.Authz, mdCell(f.Data), mdCell(f.Crosses))
	}
	if len(d.Warnings) > 0 {
		p("\n## Notes\n\n")
		for _, w := range d.Warnings {
			p("- %s\n", mdCell(w))
		}
	}
	return b.Flush()
}
