package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReviewWebhook(t *testing.T) {
	var got map[string]any
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
	}))
	defer ok.Close()
	ev := ReviewEvent{Action: "approve", Review: 7, Product: "shop", Release: "2026.12", ModelHash: "sha256:ab", Standard: "s@1",
		State: "approved", Actor: "alice@example.com", At: time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC), AcceptedRisks: 2}
	if err := (&Webhook{URL: ok.URL, Retry: fast}).NotifyReview(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	rv, _ := got["review"].(map[string]any)
	if got["event"] != "redline.review" || got["summary"] != "Redline: review 7 of shop 2026.12: approve by alice@example.com (now approved)" ||
		rv["model_hash"] != "sha256:ab" || rv["accepted_risks"] != 2.0 || rv["at"] != "2026-11-29T01:00:00Z" {
		t.Fatalf("payload = %v", got)
	}
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer failing.Close()
	err := (&Webhook{URL: failing.URL + "/hooks/s3cr3t", Retry: fast}).NotifyReview(context.Background(), ev)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("failed delivery error = %v", err)
	}
}
