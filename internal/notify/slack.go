package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Slack posts the alert to a Slack incoming webhook
// (https://hooks.slack.com/services/…) as a message with a text fallback
// and blocks.
type Slack struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient
	Retry  Retry
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// Notify sends the alert.
func (s *Slack) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(slackPayload(&a))
	if err != nil {
		return fmt.Errorf("slack alert: %w", err)
	}
	return post(ctx, s.Client, "slack", s.URL, Redact(s.URL), body, s.Retry, nil)
}

func slackPayload(a *Alert) slackMessage {
	var b strings.Builder
	for _, r := range a.Reasons {
		fmt.Fprintf(&b, "• %s\n", slackEscape(r))
	}
	msg := slackMessage{
		Text: a.Summary(),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: a.Summary()}},
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "*Why*\n" + b.String()}},
		},
	}
	if len(a.Blockers) > 0 {
		b.Reset()
		b.WriteString("*Blocking findings*\n")
		for _, f := range a.Blockers {
			fmt.Fprintf(&b, "• `%s` %s %s", slackEscape(f.FindingID), f.Severity, slackEscape(where(&f)))
			if f.Rule != "" {
				fmt.Fprintf(&b, " (rule `%s`)", slackEscape(f.Rule))
			}
			b.WriteByte('\n')
		}
		if a.More > 0 {
			fmt.Fprintf(&b, "… and %d more\n", a.More)
		}
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: b.String()}})
	}
	return msg
}

// where names a blocker's package and location.
func where(f *Blocker) string {
	parts := make([]string, 0, 2)
	if f.Package != "" {
		parts = append(parts, f.Package)
	}
	if f.Location != "" {
		parts = append(parts, f.Location)
	}
	return strings.Join(parts, " at ")
}

// slackEscape escapes the three characters Slack's mrkdwn treats specially.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
