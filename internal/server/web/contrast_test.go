package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// TestContrast checks the stylesheet's colours against WCAG 2 AA: 4.5:1 for
// text on its background.
func TestContrast(t *testing.T) {
	css := styleCSS
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+):\s*(#[0-9a-f]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	pairs := [][2]string{
		{"fg", "bg"}, {"fg", "panel"}, {"muted", "bg"}, {"muted", "panel"}, {"link", "bg"}, {"link", "panel"},
		{"#ffffff", "critical"}, {"#ffffff", "high"}, {"#ffffff", "medium"}, {"#ffffff", "low"}, {"#ffffff", "unknown"},
		{"#ffffff", "#0b4fa8"},                     // buttons
		{"#ffffff", "#202833"},                     // the top bar
		{"#ff8a80", "#202833"},                     // the brand on the top bar
		{"critical", "#fdecea"}, {"fg", "#fdecea"}, // an alert tile and problem notes
	}
	color := func(name string) string {
		if name[0] == '#' {
			return name
		}
		c, ok := vars[name]
		if !ok {
			t.Fatalf("style.css defines no --%s", name)
		}
		return c
	}
	for _, p := range pairs {
		if r := contrast(color(p[0]), color(p[1])); r < 4.5 {
			t.Errorf("%s on %s: contrast %.2f, want at least 4.5", p[0], p[1], r)
		}
	}
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}
