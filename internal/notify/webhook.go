package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Webhook POSTs the alert as JSON to a URL:
//
//	{"event": "redline.gate", "summary": "…", "alert": {…Alert…}}
type Webhook struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient
	Retry  Retry
}

// webhookPayload is the body a Webhook sends.
type webhookPayload struct {
	Event   string `json:"event"`
	Summary string `json:"summary"`
	Alert   Alert  `json:"alert"`
}

// Notify sends the alert.
func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(webhookPayload{Event: "redline.gate", Summary: a.Summary(), Alert: a})
	if err != nil {
		return fmt.Errorf("webhook alert: %w", err)
	}
	return post(ctx, w.Client, "webhook", w.URL, Redact(w.URL), body, w.Retry, nil)
}
