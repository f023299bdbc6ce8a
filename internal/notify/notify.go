// Package notify sends alerts about blocked builds to a generic JSON
// webhook, a Slack incoming webhook or a DingTalk robot. Delivery retries
// with exponential backoff; a failure is returned for the caller to log as
// a warning and never changes a scan's result.
package notify

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

// maxAlertFindings is how many blocking findings an alert lists.
const maxAlertFindings = 20

// Notifier delivers an alert.
type Notifier interface {
	// Notify sends a. It returns an error when the alert could not be
	// delivered after its retries; the error never contains a secret part
	// of the destination URL.
	Notify(ctx context.Context, a Alert) error
}

// Alert is what a notifier says about a gate decision. It never carries
// secret evidence.
type Alert struct {
	Target   finding.Target `json:"target"`
	Blocked  bool           `json:"blocked"`
	Policy   string         `json:"policy,omitempty"`
	Reasons  []string       `json:"reasons"`
	Blockers []Blocker      `json:"blockers"`
	// More is how many blocking findings were left out of Blockers.
	More       int `json:"more,omitempty"`
	Findings   int `json:"findings"`
	Suppressed int `json:"suppressed"`
}

// Blocker is one blocking finding in an alert.
type Blocker struct {
	Rule        string `json:"rule,omitempty"` // policy rule id; "" for a threshold
	RedLine     bool   `json:"redline,omitempty"`
	Description string `json:"description,omitempty"`
	FindingID   string `json:"finding"` // the finding's rule id (CVE, secret rule …)
	Kind        string `json:"kind"`
	Severity    string `json:"severity"`
	Title       string `json:"title,omitempty"`
	Package     string `json:"package,omitempty"` // name@version
	Location    string `json:"location,omitempty"`
}

// NewAlert builds the alert of a decision about target.
func NewAlert(target finding.Target, d *policy.Decision) Alert {
	a := Alert{
		Target:     target,
		Blocked:    d.Blocked,
		Policy:     d.Policy,
		Reasons:    append([]string{}, d.Reasons...),
		Blockers:   []Blocker{},
		Findings:   len(d.Findings),
		Suppressed: len(d.Suppressed) + len(d.VEXSuppressed),
	}
	for i := range d.Blockers {
		if len(a.Blockers) == maxAlertFindings {
			a.More = len(d.Blockers) - maxAlertFindings
			break
		}
		m := &d.Blockers[i]
		f := &m.Finding
		b := Blocker{
			Rule: m.RuleID, RedLine: m.RedLine, Description: m.Description,
			FindingID: f.RuleID, Kind: string(f.Kind), Severity: f.Severity.String(),
			Title: f.Title, Location: f.Location.String(),
		}
		if f.Package != nil {
			b.Package = f.Package.Name
			if f.Package.Version != "" {
				b.Package += "@" + f.Package.Version
			}
		}
		a.Blockers = append(a.Blockers, b)
	}
	return a
}

// Summary is the alert's one-line headline.
func (a *Alert) Summary() string {
	verdict := "passed"
	if a.Blocked {
		verdict = "BLOCKED"
	}
	name := a.Target.Name
	if a.Target.Digest != "" {
		name += "@" + a.Target.Digest
	}
	return fmt.Sprintf("Redline: build %s for %s %s", verdict, a.Target.Kind, name)
}

// Redact returns u with everything that may be a secret replaced: the
// user info, the path (Slack and many webhooks carry their token there)
// and every query value (DingTalk's access_token). Only the scheme, host and
// query keys stay, so that a log says where an alert went but not how to
// send one.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "[redacted URL]"
	}
	out := p.Scheme + "://" + p.Host
	if p.Path != "" && p.Path != "/" {
		out += "/***"
	}
	if p.RawQuery != "" {
		q := p.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k+"=***")
		}
		slices.Sort(keys)
		out += "?" + strings.Join(keys, "&")
	}
	return out
}
