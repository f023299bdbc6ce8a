package npm

import (
	"encoding/json"

	"github.com/redline-sec/redline/internal/inventory"
)

// manifestLicenses returns the licenses that a package.json, or a
// package-lock.json entry copied from it, states: "license" as an SPDX
// expression string (kept as written, "SEE LICENSE IN …" and "UNLICENSED"
// included), or the legacy forms {"type": "MIT", "url": …} in "license" and
// [{"type": …}, …] or ["MIT", …] in "licenses". Values of any other shape
// are ignored rather than failing the package.
func manifestLicenses(license, legacy json.RawMessage) []string {
	var out []string
	add := func(raw json.RawMessage) {
		if s := rawString(raw); s != "" {
			out = append(out, s)
			return
		}
		var obj struct {
			Type json.RawMessage `json:"type"`
		}
		if json.Unmarshal(raw, &obj) == nil {
			if s := rawString(obj.Type); s != "" {
				out = append(out, s)
			}
		}
	}
	if len(license) > 0 {
		add(license)
	}
	var list []json.RawMessage
	if len(legacy) > 0 && json.Unmarshal(legacy, &list) == nil {
		for i, raw := range list {
			if i == inventory.MaxLicenses {
				break
			}
			add(raw)
		}
	}
	return inventory.CleanLicenses(out)
}
