package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// FindingNotifier delivers the server's alerts about stored findings: new
// critical findings and SLA breaches. Webhook, Slack and DingTalk are
// FindingNotifiers.
type FindingNotifier interface {
	// NotifyFindings sends a; like Notify, an error never holds a secret
	// part of the destination URL.
	NotifyFindings(ctx context.Context, a FindingAlert) error
}

// Kinds of FindingAlert.
const (
	FindingAlertNewCritical = "new_critical"
	FindingAlertSLABreach   = "sla_breach"
)

// FindingAlert tells about findings the server stores: Kind is
// new_critical (critical findings first seen in an upload) or sla_breach
// (open findings past their SLA). It lists at most a few of them; Total
// counts them all.
type FindingAlert struct {
	Kind     string         `json:"kind"`
	Total    int            `json:"total"`
	Findings []AlertFinding `json:"findings"`
}

// AlertFinding is one stored finding in a FindingAlert.
type AlertFinding struct {
	ID        int64     `json:"id"`
	Product   string    `json:"product"`
	Target    string    `json:"target"`
	FindingID string    `json:"finding"` // the rule id: CVE, secret rule …
	Kind      string    `json:"kind"`
	Severity  string    `json:"severity"`
	Title     string    `json:"title,omitempty"`
	Package   string    `json:"package,omitempty"` // name@version
	State     string    `json:"state"`
	FirstSeen time.Time `json:"first_seen"`
}

// Summary is the alert's one-line headline.
func (a *FindingAlert) Summary() string {
	what := "findings"
	if a.Total == 1 {
		what = "finding"
	}
	if a.Kind == FindingAlertSLABreach {
		return fmt.Sprintf("Redline: %d %s breached the SLA", a.Total, what)
	}
	return fmt.Sprintf("Redline: %d new critical %s", a.Total, what)
}

func (a *FindingAlert) more() int { return a.Total - len(a.Findings) }

// line describes one finding in a message.
func (f *AlertFinding) line() string {
	s := fmt.Sprintf("%s %s in %s/%s", f.FindingID, f.Severity, f.Product, f.Target)
	if f.Package != "" {
		s += " (" + f.Package + ")"
	}
	return s + fmt.Sprintf(", first seen %s, #%d", f.FirstSeen.UTC().Format(time.DateOnly), f.ID)
}

// findingsPayload is the body a Webhook sends for a FindingAlert.
type findingsPayload struct {
	Event   string       `json:"event"`
	Summary string       `json:"summary"`
	Alert   FindingAlert `json:"alert"`
}

// NotifyFindings POSTs the alert as JSON:
//
//	{"event": "redline.findings", "summary": "…", "alert": {…FindingAlert…}}
func (w *Webhook) NotifyFindings(ctx context.Context, a FindingAlert) error {
	body, err := json.Marshal(findingsPayload{Event: "redline.findings", Summary: a.Summary(), Alert: a})
	if err != nil {
		return fmt.Errorf("webhook alert: %w", err)
	}
	return post(ctx, w.Client, "webhook", w.URL, Redact(w.URL), body, w.Retry, nil)
}

// NotifyFindings posts the alert as a Slack message.
func (s *Slack) NotifyFindings(ctx context.Context, a FindingAlert) error {
	var b strings.Builder
	for _, f := range a.Findings {
		fmt.Fprintf(&b, "• %s\n", slackEscape(f.line()))
	}
	if n := a.more(); n > 0 {
		fmt.Fprintf(&b, "… and %d more\n", n)
	}
	msg := slackMessage{Text: a.Summary(), Blocks: []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: a.Summary()}},
	}}
	if b.Len() > 0 {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: b.String()}})
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("slack alert: %w", err)
	}
	return post(ctx, s.Client, "slack", s.URL, Redact(s.URL), body, s.Retry, nil)
}

// NotifyFindings posts the alert as a DingTalk markdown message, signed
// when Secret is set.
func (d *DingTalk) NotifyFindings(ctx context.Context, a FindingAlert) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", a.Summary())
	for _, f := range a.Findings {
		fmt.Fprintf(&b, "- %s\n", f.line())
	}
	if n := a.more(); n > 0 {
		fmt.Fprintf(&b, "- … and %d more\n", n)
	}
	body, err := json.Marshal(dingTalkMessage{MsgType: "markdown", Markdown: dingTalkMarkdown{Title: a.Summary(), Text: b.String()}})
	if err != nil {
		return fmt.Errorf("dingtalk alert: %w", err)
	}
	return d.send(ctx, body)
}
