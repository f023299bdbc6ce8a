package python

import (
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
)

const (
	// maxLicenseFieldLen is the longest legacy License header taken as a
	// license name; longer values are license texts and are skipped.
	maxLicenseFieldLen = 100
)

// classifierSPDX maps the last segment of the trove classifiers that name
// exactly one SPDX license, version and all, to its identifier. Classifiers
// that leave the version or variant open ("Apache Software License", "BSD
// License", "GNU General Public License v2 (GPLv2)": only or or-later?) are
// kept as written.
var classifierSPDX = map[string]string{
	"MIT License":                                             "MIT",
	"MIT No Attribution License (MIT-0)":                      "MIT-0",
	"ISC License (ISCL)":                                      "ISC",
	"The Unlicense (Unlicense)":                               "Unlicense",
	"Boost Software License 1.0 (BSL-1.0)":                    "BSL-1.0",
	"Eclipse Public License 2.0 (EPL-2.0)":                    "EPL-2.0",
	"GNU General Public License v3 or later (GPLv3+)":         "GPL-3.0-or-later",
	"GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
	"GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
}

// metadataLicense collects the license headers of a core metadata file.
type metadataLicense struct {
	expression  string   // License-Expression (PEP 639), an SPDX expression
	license     string   // License, free text
	folded      bool     // License continues on further lines: a license text
	classifiers []string // last segments of "License :: …" classifiers
}

// addClassifier notes a "Classifier: License :: …" value. The bare
// "License :: OSI Approved" names no license and is skipped.
func (m *metadataLicense) addClassifier(value string) {
	if !strings.HasPrefix(value, "License ::") || len(m.classifiers) == inventory.MaxLicenses {
		return
	}
	last := strings.TrimSpace(value[strings.LastIndex(value, "::")+2:])
	if last == "" || last == "OSI Approved" {
		return
	}
	if id, ok := classifierSPDX[last]; ok {
		last = id
	}
	m.classifiers = append(m.classifiers, last)
}

// licenses returns what the metadata states, by precedence:
// License-Expression; else License, when it is a short single line and not
// "UNKNOWN"; else the license classifiers.
func (m *metadataLicense) licenses() []string {
	if ls := inventory.CleanLicenses([]string{m.expression}); ls != nil {
		return ls
	}
	if !m.folded && len(m.license) <= maxLicenseFieldLen && !strings.EqualFold(m.license, "UNKNOWN") {
		if ls := inventory.CleanLicenses([]string{m.license}); ls != nil {
			return ls
		}
	}
	return inventory.CleanLicenses(m.classifiers)
}
