package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// dingTalkRateLimited is the errcode DingTalk returns when a robot sends
// too fast; it is worth retrying.
const dingTalkRateLimited = 130101

// DingTalk posts the alert to a DingTalk custom robot
// (https://oapi.dingtalk.com/robot/send?access_token=…) as a markdown
// message. When Secret is set (the robot's "加签" security setting) each
// request carries timestamp and sign query parameters: sign is the
// URL-escaped base64 of HMAC-SHA256, keyed with the secret, over
// "timestamp\nsecret", with timestamp in milliseconds.
type DingTalk struct {
	URL    string
	Secret string
	Client *http.Client // nil: http.DefaultClient
	Retry  Retry
	Now    func() time.Time // nil: time.Now
}

type dingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

type dingTalkMessage struct {
	MsgType  string           `json:"msgtype"`
	Markdown dingTalkMarkdown `json:"markdown"`
}

type dingTalkResponse struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Notify sends the alert.
func (d *DingTalk) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(dingTalkPayload(&a))
	if err != nil {
		return fmt.Errorf("dingtalk alert: %w", err)
	}
	return d.send(ctx, body)
}

// send posts a message body to the robot, signing the URL when Secret is
// set.
func (d *DingTalk) send(ctx context.Context, body []byte) error {
	var err error
	target := d.URL
	if d.Secret != "" {
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		target, err = SignDingTalkURL(d.URL, d.Secret, now())
		if err != nil {
			return fmt.Errorf("dingtalk alert to %s: %w", Redact(d.URL), err)
		}
	}
	return post(ctx, d.Client, "dingtalk", target, Redact(d.URL), body, d.Retry, checkDingTalk)
}

// DingTalkSign returns the sign parameter for timestamp ms (before URL
// escaping): base64(HMAC-SHA256(secret, "ms\nsecret")).
func DingTalkSign(ms int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignDingTalkURL adds the timestamp and sign query parameters for time t
// to a robot URL.
func SignDingTalkURL(robot, secret string, t time.Time) (string, error) {
	u, err := url.Parse(robot)
	if err != nil {
		return "", fmt.Errorf("invalid robot URL")
	}
	ms := t.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ms, 10))
	q.Set("sign", DingTalkSign(ms, secret))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func checkDingTalk(body []byte) error {
	var r dingTalkResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return &permanentError{fmt.Errorf("unexpected response %s", snippet(body))}
	}
	switch r.ErrCode {
	case 0:
		return nil
	case dingTalkRateLimited:
		return fmt.Errorf("errcode %d: %s", r.ErrCode, r.ErrMsg)
	}
	return &permanentError{fmt.Errorf("errcode %d: %s", r.ErrCode, r.ErrMsg)}
}

func dingTalkPayload(a *Alert) dingTalkMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", a.Summary())
	for _, r := range a.Reasons {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	if len(a.Blockers) > 0 {
		b.WriteString("\n**Blocking findings**\n\n")
		for _, f := range a.Blockers {
			fmt.Fprintf(&b, "- `%s` %s %s", f.FindingID, f.Severity, where(&f))
			if f.Rule != "" {
				fmt.Fprintf(&b, " (rule `%s`)", f.Rule)
			}
			b.WriteByte('\n')
		}
		if a.More > 0 {
			fmt.Fprintf(&b, "- … and %d more\n", a.More)
		}
	}
	return dingTalkMessage{MsgType: "markdown", Markdown: dingTalkMarkdown{Title: a.Summary(), Text: b.String()}}
}
