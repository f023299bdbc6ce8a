package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"slices"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/finding"
)

// Diagram geometry, in SVG user units.
const (
	boxW     = 170 // component box
	boxH     = 40
	boxGap   = 18
	colW     = 220 // zone column
	colGap   = 70
	zoneHead = 42 // zone title band
	margin   = 20
	maxLabel = 24 // characters of a label before it is cut
)

// severityFill colours a component by the worst risk on it.
var severityFill = map[finding.Severity]string{
	finding.SeverityCritical: "#f8b4b4",
	finding.SeverityHigh:     "#fcd9a8",
	finding.SeverityMedium:   "#fdf1b0",
	finding.SeverityLow:      "#d6e6fb",
	finding.SeverityUnknown:  "#ffffff",
}

type box struct {
	x, y int
	c    *model.Component
}

// Diagram draws the model's data-flow diagram as SVG with a deterministic
// layout: one column per zone, ordered by trust (internet on the left),
// components stacked in each zone in model order and coloured by the worst
// risk found on them, and one arrow per interface, red when a risk is
// reported on the interface. Components without a known zone go in a last
// column; zones without components are left out. worst maps a component or interface id to its worst severity.
func Diagram(g *model.Graph, worst map[string]finding.Severity) []byte {
	m := g.Model
	zones := make([]*model.Zone, 0, len(m.Zones))
	for i := range m.Zones {
		zones = append(zones, &m.Zones[i])
	}
	slices.SortStableFunc(zones, func(a, b *model.Zone) int {
		if c := cmp.Compare(a.TrustLevel(), b.TrustLevel()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	type column struct {
		title string
		kind  string
		comps []*model.Component
	}
	var cols []column
	for _, z := range zones {
		if len(g.ZoneComponents(z.ID)) == 0 {
			continue // a parent zone drawn through its children, or an unused one
		}
		title := z.ID
		if z.Parent != "" {
			title = z.Parent + " / " + z.ID
		}
		cols = append(cols, column{title: title, kind: string(z.Kind), comps: g.ZoneComponents(z.ID)})
	}
	var lost []*model.Component
	for i := range m.Components {
		if g.Zone(m.Components[i].Zone) == nil {
			lost = append(lost, &m.Components[i])
		}
	}
	if len(lost) > 0 {
		cols = append(cols, column{title: "(no zone)", comps: lost})
	}

	boxes := make(map[string]box)
	rows := 1
	for ci, col := range cols {
		rows = max(rows, len(col.comps))
		for ri, c := range col.comps {
			boxes[c.ID] = box{
				x: margin + ci*(colW+colGap) + (colW-boxW)/2,
				y: margin + zoneHead + ri*(boxH+boxGap),
				c: c,
			}
		}
	}
	width := margin*2 + max(1, len(cols))*(colW+colGap) - colGap
	height := margin*2 + zoneHead + rows*(boxH+boxGap) + boxGap

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>` +
		`<marker id="arrow-risk" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<title>Data-flow diagram of %s</title>`+"\n", esc(m.Metadata.Product))
	for ci, col := range cols {
		x := margin + ci*(colW+colGap)
		fmt.Fprintf(&b, `<g class="zone"><rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="#f4f6f8" stroke="#8a99a8" stroke-dasharray="6 3"/>`,
			x, margin, colW, height-2*margin)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text><text x="%d" y="%d" fill="#666">%s</text></g>`+"\n",
			x+10, margin+18, esc(cut(col.title)), x+10, margin+33, esc(col.kind))
	}
	for i := range m.Interfaces {
		f := &m.Interfaces[i]
		from, okF := boxes[f.From]
		to, okT := boxes[f.To]
		if !okF || !okT {
			continue
		}
		stroke, marker := "#555", "arrow"
		if _, risky := worst[f.ID]; risky {
			stroke, marker = "#c0392b", "arrow-risk"
		}
		x1, y1 := from.x+boxW, from.y+boxH/2
		x2, y2 := to.x, to.y+boxH/2
		var path string
		switch {
		case from.x == to.x: // same zone: loop out to the right
			x1, x2 = from.x+boxW, to.x+boxW
			path = fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, x1+45, y1, x2+45, y2, x2, y2)
		case to.x < from.x: // leftwards
			x1, x2 = from.x, to.x+boxW
			path = fmt.Sprintf("M%d,%d L%d,%d", x1, y1, x2, y2)
		default:
			path = fmt.Sprintf("M%d,%d L%d,%d", x1, y1, x2, y2)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.4" marker-end="url(#%s)"><title>%s: %s → %s (%s)</title></path>`+"\n",
			path, stroke, marker, esc(f.ID), esc(f.From), esc(f.To), esc(string(f.Protocol)))
	}
	for ci := range cols {
		for _, c := range cols[ci].comps {
			bx := boxes[c.ID]
			fill := severityFill[worst[c.ID]]
			stroke := "#34495e"
			if c.OutOfScope {
				stroke = "#aaaaaa"
			}
			fmt.Fprintf(&b, `<g class="component"><rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="%s"/>`,
				bx.x, bx.y, boxW, boxH, fill, stroke)
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" fill="#555" font-size="10">%s</text><title>%s</title></g>`+"\n",
				bx.x+8, bx.y+17, esc(cut(c.ID)), bx.x+8, bx.y+31, esc(string(c.Type)), esc(c.ID))
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func esc(s string) string { return html.EscapeString(s) }

func cut(s string) string {
	r := []rune(s)
	if len(r) <= maxLabel {
		return s
	}
	return string(r[:maxLabel-1]) + "…"
}
