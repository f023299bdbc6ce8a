package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ReviewEvent is a decision on a security architecture review, for the
// security operations hand-off: a model submitted, a review approved,
// rejected or superseded.
type ReviewEvent struct {
	// Action is submit, approve, reject or supersede.
	Action    string    `json:"action"`
	Review    int64     `json:"review"`
	Product   string    `json:"product"`
	Release   string    `json:"release"`
	ModelHash string    `json:"model_hash"`
	Standard  string    `json:"standard"`
	State     string    `json:"state"`
	Actor     string    `json:"actor"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
	// OpenRisks, RedLines and AcceptedRisks count the reviewed model's
	// risks.
	OpenRisks     int `json:"open_risks"`
	RedLines      int `json:"red_lines"`
	AcceptedRisks int `json:"accepted_risks"`
}

// Summary is the event's one-line headline.
func (e *ReviewEvent) Summary() string {
	return fmt.Sprintf("Redline: review %d of %s %s: %s by %s (now %s)", e.Review, e.Product, e.Release, e.Action, e.Actor, e.State)
}

// reviewPayload is the body NotifyReview sends.
type reviewPayload struct {
	Event   string      `json:"event"`
	Summary string      `json:"summary"`
	Review  ReviewEvent `json:"review"`
}

// NotifyReview POSTs a review event as JSON to the webhook, with the same
// retries as Notify:
//
//	{"event": "redline.review", "summary": "…", "review": {…ReviewEvent…}}
func (w *Webhook) NotifyReview(ctx context.Context, e ReviewEvent) error {
	body, err := json.Marshal(reviewPayload{Event: "redline.review", Summary: e.Summary(), Review: e})
	if err != nil {
		return fmt.Errorf("webhook review event: %w", err)
	}
	return post(ctx, w.Client, "webhook", w.URL, Redact(w.URL), body, w.Retry, nil)
}
