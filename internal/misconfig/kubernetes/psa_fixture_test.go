package kubernetes

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

// psaChecks maps a Pod Security Admission check id (the fixture file name
// without its number) to the rules that may fire for its failing fixtures.
// Controls the standard layers on each other fire together: a hostPath
// volume fails baseline hostPath and restricted volume types. Some fixtures
// also fail a second control by construction: a HostProcess pod must use
// hostNetwork; the privileged fixtures leave allowPrivilegeEscalation unset;
// allowprivilegeescalation3 gives container1 no securityContext at all (so
// no drop ALL); a seccomp type Unconfined fails baseline as well.
var psaChecks = map[string][]string{
	"allowprivilegeescalation":   {RulePrivilegeEscalation, RuleCapabilitiesRestr},
	"apparmorprofile":            {RuleAppArmor},
	"capabilities_baseline":      {RuleCapabilitiesBase, RuleCapabilitiesRestr},
	"capabilities_restricted":    {RuleCapabilitiesRestr},
	"hostnamespaces":             {RuleHostNamespaces},
	"hostpathvolumes":            {RuleHostPathVolumes, RuleVolumeTypes},
	"hostports":                  {RuleHostPorts},
	"hostprobesandhostlifecycle": {RuleHostProbes},
	"privileged":                 {RulePrivileged, RulePrivilegeEscalation},
	"procmount":                  {RuleProcMountBase, RuleProcMountRestricted},
	"procmount_restricted":       {RuleProcMountRestricted},
	"restrictedvolumes":          {RuleVolumeTypes, RuleHostPathVolumes},
	"runasnonroot":               {RuleRunAsNonRoot},
	"runasuser":                  {RuleRunAsUser},
	"seccompprofile_baseline":    {RuleSeccompBase, RuleSeccompRestricted},
	"seccompprofile_restricted":  {RuleSeccompRestricted, RuleSeccompBase},
	"selinuxoptions":             {RuleSELinux},
	"sysctls":                    {RuleSysctls},
	"windowshostprocess":         {RuleHostProcess, RuleHostNamespaces},
}

var trailingDigits = regexp.MustCompile(`[0-9]+$`)

// pssRulesFired returns the PSS rules of level (baseline includes only
// baseline rules; restricted includes both) that fire on the file.
func pssRulesFired(t *testing.T, path, level string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := analyze(walk.BytesFile(path, data), data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var ids []string
	for _, f := range fs {
		if strings.HasPrefix(f.RuleID, "PSS-baseline-") || (level == "restricted" && strings.HasPrefix(f.RuleID, "PSS-restricted-")) {
			if !slices.Contains(ids, f.RuleID) {
				ids = append(ids, f.RuleID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// TestPSAFixtures runs the Kubernetes v1.35 Pod Security Admission test
// fixtures: every passing pod must raise no finding of its level, every
// failing pod must raise the rule of the check it fails and nothing else.
func TestPSAFixtures(t *testing.T) {
	n := 0
	for _, level := range []string{"baseline", "restricted"} {
		for _, outcome := range []string{"pass", "fail"} {
			files, err := filepath.Glob(filepath.Join("testdata", "psa", KubernetesVersion, level, outcome, "*.yaml"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no fixtures for %s/%s: %v", level, outcome, err)
			}
			for _, file := range files {
				n++
				fired := pssRulesFired(t, file, level)
				if outcome == "pass" {
					if len(fired) > 0 {
						t.Errorf("%s: passing pod raised %v", file, fired)
					}
					continue
				}
				check := trailingDigits.ReplaceAllString(strings.TrimSuffix(filepath.Base(file), ".yaml"), "")
				want, ok := psaChecks[check]
				if !ok {
					t.Errorf("%s: unknown check %q", file, check)
					continue
				}
				if !slices.Contains(fired, want[0]) && !(check == "procmount" && slices.Contains(fired, RuleProcMountRestricted)) {
					t.Errorf("%s: raised %v, want %s", file, fired, want[0])
				}
				for _, id := range fired {
					if !slices.Contains(want, id) {
						t.Errorf("%s: raised %s, want only %v", file, id, want)
					}
				}
			}
		}
	}
	if n != 148 {
		t.Errorf("ran %d fixtures, want 148", n)
	}
}
