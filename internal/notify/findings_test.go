package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func testFindingAlert() FindingAlert {
	return FindingAlert{Kind: FindingAlertNewCritical, Total: 3, Findings: []AlertFinding{{
		ID: 7, Product: "shop", Target: "registry.example.com/app", FindingID: "CVE-2026-0001", Kind: "vulnerability",
		Severity: "critical", Title: "RCE <in> parser", Package: "libfoo@1.2", State: "open",
		FirstSeen: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC),
	}}}
}

func TestFindingAlertPayloads(t *testing.T) {
	const line = "CVE-2026-0001 critical in shop/registry.example.com/app (libfoo@1.2), first seen 2026-01-10, #7"
	tests := []struct {
		name  string
		reply string
		send  func(url string, a FindingAlert) error
		check func(t *testing.T, body []byte)
	}{
		{"webhook", "ok", func(u string, a FindingAlert) error {
			return (&Webhook{URL: u, Retry: fast}).NotifyFindings(context.Background(), a)
		}, func(t *testing.T, body []byte) {
			var p struct {
				Event, Summary string
				Alert          FindingAlert
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Event != "redline.findings" || p.Summary != "Redline: 3 new critical findings" || p.Alert.Total != 3 ||
				len(p.Alert.Findings) != 1 || p.Alert.Findings[0].FindingID != "CVE-2026-0001" {
				t.Errorf("payload %s", body)
			}
		}},
		{"slack", "ok", func(u string, a FindingAlert) error {
			return (&Slack{URL: u, Retry: fast}).NotifyFindings(context.Background(), a)
		}, func(t *testing.T, body []byte) {
			want := `{"text":"Redline: 3 new critical findings","blocks":[{"type":"header","text":{"type":"plain_text","text":"Redline: 3 new critical findings"}},` +
				`{"type":"section","text":{"type":"mrkdwn","text":"• ` + line + `\n… and 2 more\n"}}]}`
			if string(body) != want {
				t.Errorf("payload:\n got %s\nwant %s", body, want)
			}
		}},
		{"dingtalk", `{"errcode":0,"errmsg":"ok"}`, func(u string, a FindingAlert) error {
			return (&DingTalk{URL: u + "?access_token=t", Secret: "SEC1", Retry: fast}).NotifyFindings(context.Background(), a)
		}, func(t *testing.T, body []byte) {
			var m dingTalkMessage
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			if m.Markdown.Title != "Redline: 3 new critical findings" || !strings.Contains(m.Markdown.Text, "- "+line+"\n- … and 2 more\n") {
				t.Errorf("message %+v", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.reply)
			if err := tt.send(s.URL+"/hook/secret", testFindingAlert()); err != nil {
				t.Fatal(err)
			}
			tt.check(t, <-s.bodies)
			if tt.name == "dingtalk" {
				if q := <-s.queries; !strings.Contains(q, "sign=") || !strings.Contains(q, "timestamp=") {
					t.Errorf("unsigned request %q", q)
				}
			}
		})
	}
}

func TestFindingAlertSummary(t *testing.T) {
	for _, tt := range []struct {
		a    FindingAlert
		want string
	}{
		{FindingAlert{Kind: FindingAlertNewCritical, Total: 1}, "Redline: 1 new critical finding"},
		{FindingAlert{Kind: FindingAlertSLABreach, Total: 1}, "Redline: 1 finding breached the SLA"},
		{FindingAlert{Kind: FindingAlertSLABreach, Total: 4}, "Redline: 4 findings breached the SLA"},
	} {
		if got := tt.a.Summary(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.a, got, tt.want)
		}
	}
}
