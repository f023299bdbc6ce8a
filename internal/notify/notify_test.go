package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

var fast = Retry{Attempts: 3, Initial: time.Millisecond, Max: 4 * time.Millisecond, Total: 5 * time.Second}

func testAlert() Alert {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: "GO-2022-0969", Title: "HTTP/2 server DoS", Severity: finding.SeverityHigh,
		Location: finding.Location{Path: "go.mod"},
		Package:  &finding.Package{Name: "golang.org/x/net", Version: "v0.1.0", Ecosystem: "Go"},
	}
	s := finding.Finding{Kind: finding.KindSecret, RuleID: "aws-access-key", Severity: finding.SeverityHigh,
		Location: finding.Location{Path: ".env", Line: 3}, Evidence: "AKIA************MPLE"}
	d := &policy.Decision{
		Blocked: true, Policy: "redline-policy.yaml",
		Findings: []finding.Finding{f, s},
		Reasons:  []string{"red line no-aws-keys (AWS keys never ship) blocked 1 finding: aws-access-key"},
		Blockers: []policy.Match{
			{Finding: f, Action: policy.ActionBlock},
			{Finding: s, RuleID: "no-aws-keys", Description: "AWS keys never ship", RedLine: true, Action: policy.ActionBlock},
		},
	}
	return NewAlert(finding.Target{Kind: "image", Name: "registry.example.com/app:1.0", Digest: "sha256:abcd"}, d)
}

// server records request bodies and answers with the statuses given, then 200.
type server struct {
	*httptest.Server
	calls    atomic.Int32
	statuses []int
	reply    string
	bodies   chan []byte
	queries  chan string
}

func newServer(t *testing.T, reply string, statuses ...int) *server {
	s := &server{statuses: statuses, reply: reply, bodies: make(chan []byte, 10), queries: make(chan string, 10)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.calls.Add(1))
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("request %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		s.bodies <- b
		s.queries <- r.URL.RawQuery
		if n <= len(s.statuses) {
			w.WriteHeader(s.statuses[n-1])
			io.WriteString(w, "nope")
			return
		}
		io.WriteString(w, s.reply)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestWebhookPayload(t *testing.T) {
	s := newServer(t, "ok")
	if err := (&Webhook{URL: s.URL + "/hook/secret-token", Retry: fast}).Notify(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(<-s.bodies, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"alert":{"blocked":true,"blockers":[{"finding":"GO-2022-0969","kind":"vulnerability","location":"go.mod","package":"golang.org/x/net@v0.1.0","severity":"high","title":"HTTP/2 server DoS"},{"description":"AWS keys never ship","finding":"aws-access-key","kind":"secret","location":".env:3","redline":true,"rule":"no-aws-keys","severity":"high"}],"findings":2,"policy":"redline-policy.yaml","reasons":["red line no-aws-keys (AWS keys never ship) blocked 1 finding: aws-access-key"],"suppressed":0,"target":{"digest":"sha256:abcd","kind":"image","name":"registry.example.com/app:1.0"}},"event":"redline.gate","summary":"Redline: build BLOCKED for image registry.example.com/app:1.0@sha256:abcd"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("payload:\n got %s\nwant %s", b, want)
	}
}

func TestSlackPayload(t *testing.T) {
	s := newServer(t, "ok")
	if err := (&Slack{URL: s.URL + "/services/T000/B000/XXXX", Retry: fast}).Notify(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	want := `{"text":"Redline: build BLOCKED for image registry.example.com/app:1.0@sha256:abcd","blocks":[` +
		`{"type":"header","text":{"type":"plain_text","text":"Redline: build BLOCKED for image registry.example.com/app:1.0@sha256:abcd"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*Why*\n• red line no-aws-keys (AWS keys never ship) blocked 1 finding: aws-access-key\n"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*Blocking findings*\n• ` + "`GO-2022-0969`" + ` high golang.org/x/net@v0.1.0 at go.mod\n• ` + "`aws-access-key`" + ` high .env:3 (rule ` + "`no-aws-keys`" + `)\n"}}]}`
	if got := string(<-s.bodies); got != want {
		t.Errorf("payload:\n got %s\nwant %s", got, want)
	}
}

func TestDingTalkSigned(t *testing.T) {
	s := newServer(t, `{"errcode":0,"errmsg":"ok"}`)
	clock := time.UnixMilli(1767225600123)
	const secret = "SEC0123456789abcdef"
	d := &DingTalk{URL: s.URL + "/robot/send?access_token=tok123", Secret: secret, Retry: fast, Now: func() time.Time { return clock }}
	if err := d.Notify(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	var msg struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(<-s.bodies, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.MsgType != "markdown" || msg.Markdown.Title != "Redline: build BLOCKED for image registry.example.com/app:1.0@sha256:abcd" ||
		!strings.Contains(msg.Markdown.Text, "- `aws-access-key` high .env:3 (rule `no-aws-keys`)\n") {
		t.Errorf("message %+v", msg)
	}
	// Recompute the signature as DingTalk's documentation does.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("1767225600123\n" + secret))
	sign := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	raw := <-s.queries
	want := "access_token=tok123&sign=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sign) + "&timestamp=1767225600123"
	if raw != want {
		t.Errorf("query:\n got %s\nwant %s", raw, want)
	}
}

func TestDingTalkErrcode(t *testing.T) {
	s := newServer(t, `{"errcode":310000,"errmsg":"sign not match"}`)
	err := (&DingTalk{URL: s.URL + "/robot/send?access_token=tok123", Retry: fast}).Notify(context.Background(), testAlert())
	if err == nil || s.calls.Load() != 1 {
		t.Fatalf("err %v after %d calls; want one failed call", err, s.calls.Load())
	}
	want := "dingtalk alert to " + s.URL + "/***?access_token=***: errcode 310000: sign not match"
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		calls    int32
		err      string // with URL replaced by URL
	}{
		{"500 then success", []int{500}, 2, ""},
		{"429 then success", []int{429}, 2, ""},
		{"give up after attempts", []int{502, 503, 500, 500}, 3, `slack alert to URL/***: HTTP 500: "nope"`},
		{"no retry on 400", []int{400}, 1, `slack alert to URL/***: HTTP 400: "nope"`},
		{"no retry on 404", []int{404}, 1, `slack alert to URL/***: HTTP 404: "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, "ok", tt.statuses...)
			err := (&Slack{URL: s.URL + "/services/T000/B000/XXXX", Retry: fast}).Notify(context.Background(), testAlert())
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), s.URL, "URL")
			}
			if got != tt.err || s.calls.Load() != tt.calls {
				t.Errorf("err %q after %d calls; want %q after %d", got, s.calls.Load(), tt.err, tt.calls)
			}
			if strings.Contains(got, "XXXX") {
				t.Errorf("error leaks the webhook path: %s", got)
			}
		})
	}
}

func TestNetworkErrorRedacted(t *testing.T) {
	s := newServer(t, "ok")
	u := s.URL + "/robot/send?access_token=tok123"
	s.Close() // connection refused: retried, then reported without the token
	err := (&DingTalk{URL: u, Secret: "s", Retry: fast}).Notify(context.Background(), testAlert())
	if err == nil || strings.Contains(err.Error(), "tok123") || strings.Contains(err.Error(), "sign=") {
		t.Fatalf("error %v", err)
	}
	if !strings.HasPrefix(err.Error(), "dingtalk alert to "+s.URL+"/***?access_token=***: ") {
		t.Errorf("error %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	s := newServer(t, "ok", 500, 500, 500, 500)
	ctx, cancel := context.WithCancel(context.Background())
	slow := Retry{Attempts: 5, Initial: time.Hour, Max: time.Hour, Total: time.Hour}
	done := make(chan error)
	go func() { done <- (&Webhook{URL: s.URL, Retry: slow}).Notify(ctx, testAlert()) }()
	for s.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || s.calls.Load() != 1 {
			t.Errorf("err %v after %d calls", err, s.calls.Load())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Notify did not return after cancel")
	}
}

func TestTotalBound(t *testing.T) {
	s := newServer(t, "ok", 500, 500, 500, 500, 500)
	r := Retry{Attempts: 5, Initial: time.Hour, Max: time.Hour, Total: 50 * time.Millisecond}
	start := time.Now()
	err := (&Webhook{URL: s.URL, Retry: r}).Notify(context.Background(), testAlert())
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/***"},
		{"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x", "https://oapi.dingtalk.com/***?access_token=***&sign=***&timestamp=***"},
		{"https://user:pass@example.com/", "https://example.com"},
		{"::not a url", "[redacted URL]"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDelayBounds(t *testing.T) {
	r := Retry{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond}.withDefaults()
	for n, max := range map[int]time.Duration{1: 100, 2: 200, 3: 400, 4: 400, 10: 400} {
		for range 50 {
			d := r.delay(n)
			if d < max*time.Millisecond/2 || d > max*time.Millisecond {
				t.Fatalf("delay(%d) = %v, want in [%v, %v]", n, d, max*time.Millisecond/2, max*time.Millisecond)
			}
		}
	}
	if got := DingTalkSign(1, "k"); got != DingTalkSign(1, "k") || strconv.Quote(got) == "" {
		t.Fatal("sign not deterministic")
	}
}

func TestNewAlertCapsBlockers(t *testing.T) {
	d := &policy.Decision{Blocked: true}
	for i := range maxAlertFindings + 3 {
		d.Blockers = append(d.Blockers, policy.Match{Finding: finding.Finding{RuleID: "R" + strconv.Itoa(i)}})
	}
	a := NewAlert(finding.Target{}, d)
	if len(a.Blockers) != maxAlertFindings || a.More != 3 {
		t.Errorf("%d blockers, %d more", len(a.Blockers), a.More)
	}
}
