package sbom

import (
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// maxLicenseLen bounds the license strings handed to the expression
// parser; longer ones are kept as free text.
const maxLicenseLen = 512

// licenseKind says what a license string a package states is.
type licenseKind int

const (
	licenseText       licenseKind = iota // free text, not SPDX
	licenseID                            // one identifier of the SPDX License List
	licenseExpression                    // any other valid SPDX license expression
)

// classifyLicense tells what s is and returns it in canonical form: an
// identifier in the list's case, a normalized expression, or s trimmed.
func classifyLicense(s string) (licenseKind, string) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxLicenseLen {
		return licenseText, s
	}
	if ok, id := spdxlicenses.IsActiveLicense(s); ok {
		return licenseID, id
	}
	if ok, id := spdxlicenses.IsDeprecatedLicense(s); ok {
		return licenseID, id
	}
	norm, invalid := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{})
	if len(invalid) == 0 && len(norm) == 1 {
		return licenseExpression, norm[0]
	}
	return licenseText, s
}

// joinExpressions combines expressions with AND, parenthesizing compound
// ones.
func joinExpressions(exprs []string) string {
	if len(exprs) == 1 {
		return exprs[0]
	}
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		if strings.ContainsAny(e, " ") {
			e = "(" + e + ")"
		}
		parts[i] = e
	}
	return strings.Join(parts, " AND ")
}

// licenseRef returns the SPDX LicenseRef identifier Redline gives free
// license text: the text reduced to the characters an idstring allows,
// and a hash of the text that keeps different texts apart.
func licenseRef(text string) string {
	var b strings.Builder
	b.WriteString("LicenseRef-")
	n := 0
	dash := false
	for _, r := range text {
		if n >= 40 {
			break
		}
		ok := r < 128 && (r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		if !ok {
			if !dash && n > 0 {
				b.WriteByte('-')
				n++
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		n++
		dash = false
	}
	if !dash && n > 0 {
		b.WriteByte('-')
	}
	b.WriteString(hashHex(8, text))
	return b.String()
}
