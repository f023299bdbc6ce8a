package inventory

import (
	"strings"
	"unicode/utf8"
)

// Limits on the licenses kept for one package: package metadata is hostile
// input, and a license is a short name or expression, never a text.
const (
	MaxLicenses   = 32
	MaxLicenseLen = 256
)

// CleanLicenses trims each license and drops the empty ones, those longer
// than MaxLicenseLen bytes and those with control characters or invalid
// UTF-8. It returns the rest sorted and deduplicated, at most MaxLicenses of
// them, or nil when none remain.
func CleanLicenses(ls []string) []string {
	var out []string
	for _, l := range ls {
		l = strings.TrimSpace(l)
		if l == "" || len(l) > MaxLicenseLen || !utf8.ValidString(l) || strings.ContainsFunc(l, isControl) {
			continue
		}
		out = append(out, l)
	}
	out = uniqStrings(out)
	if len(out) == 0 {
		return nil
	}
	if len(out) > MaxLicenses {
		out = out[:MaxLicenses]
	}
	return out
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
