package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/store"
)

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720
	chartHeight = 180
	chartLeft   = 40
	chartRight  = 8
	chartTop    = 10
	chartBottom = 24
)

// barChart draws per-day counts from since to until (one bar per UTC day,
// days without a count drawn as zero) as an inline SVG. The output depends
// only on its arguments. The title is the chart's accessible name; each
// bar carries its day and count as a tooltip.
func barChart(title string, since, until time.Time, byDay []store.DayCount) template.HTML {
	first, last := since.UTC().Unix()/86400, (until.UTC().Unix()-1)/86400
	if last < first {
		last = first
	}
	n := int(last-first) + 1
	counts := make([]int, n)
	for _, dc := range byDay {
		t, err := time.Parse(time.DateOnly, dc.Day)
		if err != nil {
			continue
		}
		if i := int(t.Unix()/86400 - first); i >= 0 && i < n {
			counts[i] += dc.Count
		}
	}
	peak := 0
	total := 0
	for _, c := range counts {
		peak = max(peak, c)
		total += c
	}
	top := niceCeil(peak)
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	barW := plotW / float64(n)
	day := func(i int) string { return time.Unix((first+int64(i))*86400, 0).UTC().Format(time.DateOnly) }
	esc := template.HTMLEscapeString

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s: %d in total from %s to %s, at most %d on one day" xmlns="http://www.w3.org/2000/svg">`,
		chartWidth, chartHeight, esc(title), total, day(0), day(n-1), peak)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	// Grid lines and their labels: zero, half and the top of the scale.
	for _, v := range []int{0, top / 2, top} {
		y := float64(chartTop) + plotH - plotH*float64(v)/float64(top)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, chartLeft, y, chartWidth-chartRight, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>`, chartLeft-6, y+4, v)
	}
	for i, c := range counts {
		if c == 0 {
			continue
		}
		h := plotH * float64(c) / float64(top)
		x := float64(chartLeft) + barW*float64(i)
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			x+barW*0.1, float64(chartTop)+plotH-h, barW*0.8, h, day(i), c)
	}
	// The first, middle and last days label the time axis.
	y := chartHeight - 6
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="start">%s</text>`, chartLeft, y, day(0))
	fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, float64(chartLeft)+plotW/2, y, day(n/2))
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, chartWidth-chartRight, y, day(n-1))
	b.WriteString(`</svg>`)
	// Every value written above is a number, a formatted date or escaped text.
	return template.HTML(b.String())
}

// niceCeil rounds a chart's peak up to 2, 4 or 10 times a power of ten (at
// least 2), so the half-way grid line is a whole number.
func niceCeil(v int) int {
	if v <= 2 {
		return 2
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{2, 4, 10} {
			if m*p >= v {
				return m * p
			}
		}
	}
}
