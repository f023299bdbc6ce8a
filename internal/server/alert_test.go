package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/store"
)

// alertReceiver is a real HTTP endpoint that records the webhook alerts it
// gets; while fail is set it answers 500.
type alertReceiver struct {
	*httptest.Server
	fail   atomic.Bool
	mu     sync.Mutex
	alerts []notify.FindingAlert
	got    chan struct{}
}

func newAlertReceiver(t *testing.T) *alertReceiver {
	r := &alertReceiver{got: make(chan struct{}, 16)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		var p struct {
			Event string
			Alert notify.FindingAlert
		}
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &p); err != nil || p.Event != "redline.findings" {
			t.Errorf("alert body %s: %v", b, err)
		}
		r.mu.Lock()
		r.alerts = append(r.alerts, p.Alert)
		r.mu.Unlock()
		r.got <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

// syncBuffer is a log buffer safe to read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (r *alertReceiver) received() []notify.FindingAlert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.FindingAlert(nil), r.alerts...)
}

func TestAlerts(t *testing.T) {
	ctx := context.Background()
	recv := newAlertReceiver(t)
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.BootstrapToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := Config{Store: st, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Alerts:        []notify.FindingNotifier{&notify.Webhook{URL: recv.URL + "/hook", Retry: notify.Retry{Attempts: 1}}},
		AlertInterval: time.Hour}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx, l) }()
	c := &Client{BaseURL: "http://" + l.Addr().String(), Token: admin}

	// An upload with two new criticals alerts once, promptly.
	a, b := testFinding("CVE-A", "a", finding.SeverityCritical), testFinding("CVE-B", "b", finding.SeverityCritical)
	h := testFinding("CVE-H", "h", finding.SeverityHigh)
	if _, err := c.Upload(ctx, jsonReport(t, "none", a, b, h), UploadOptions{Product: "shop", ScanID: "s1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-recv.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert after the upload")
	}
	got := recv.received()
	if len(got) != 1 || got[0].Kind != "new_critical" || got[0].Total != 2 || len(got[0].Findings) != 2 ||
		got[0].Findings[0].Product != "shop" || got[0].Findings[0].Severity != "critical" {
		t.Fatalf("alerts %+v", got)
	}

	// The receiver is down: the upload still succeeds, the failure is
	// logged, and the next sweep delivers.
	recv.fail.Store(true)
	c2 := testFinding("CVE-C", "c", finding.SeverityCritical)
	if _, err := c.Upload(ctx, jsonReport(t, "none", a, b, h, c2), UploadOptions{ScanID: "s2"}); err != nil {
		t.Fatalf("upload while alerts fail: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "alert not delivered") {
		if time.Now().After(deadline) {
			t.Fatalf("failure not logged: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), recv.URL+"/hook") {
		t.Error("the alert URL is in the log")
	}
	recv.fail.Store(false)
	// A restarted server (a new one over the same store) delivers the
	// pending alert, and never the delivered ones again.
	srv2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv2.sweepAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recv.received(); len(got) != 2 || got[1].Total != 1 || got[1].Findings[0].FindingID != "CVE-C" {
		t.Fatalf("alerts %+v", got)
	}
	if err := srv2.sweepAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recv.received(); len(got) != 2 {
		t.Fatalf("alerted again: %+v", got[2:])
	}
}

func TestAlertSLABreach(t *testing.T) {
	ctx := context.Background()
	recv := newAlertReceiver(t)
	now := time.Now()
	clock := func() time.Time { return now }
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{Now: func() time.Time { return clock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := New(Config{Store: st, SLA: store.SLA{Critical: 1, High: 2, Medium: 3, Low: 4},
		Alerts: []notify.FindingNotifier{&notify.Webhook{URL: recv.URL, Retry: notify.Retry{Attempts: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	scan := &store.Scan{ID: "s1", Product: "shop", Actor: "ci", Target: webTarget, FailOn: "none",
		Findings: []finding.Finding{testFinding("CVE-H", "h", finding.SeverityHigh), testFinding("CVE-L", "l", finding.SeverityLow)}}
	if _, err := st.Ingest(ctx, scan); err != nil {
		t.Fatal(err)
	}
	if err := srv.sweepAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recv.received(); len(got) != 0 {
		t.Fatalf("alerted before any breach: %+v", got)
	}
	clock = func() time.Time { return now.Add(3 * 24 * time.Hour) }
	for range 2 {
		if err := srv.sweepAlerts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := recv.received()
	if len(got) != 1 || got[0].Kind != "sla_breach" || got[0].Total != 1 || got[0].Findings[0].FindingID != "CVE-H" {
		t.Fatalf("alerts %+v", got)
	}
}
