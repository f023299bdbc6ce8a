package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/server/oidctest"
	"github.com/redline-sec/redline/internal/store"
)

var shopTarget = finding.Target{Kind: "image", Name: "registry.example/shop/web:1.0"}

// vulnFinding is a vulnerability finding on shopTarget with a known fix.
func vulnFinding(id, pkg string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: id, Aliases: []string{"CVE-" + id}, Title: id + " in " + pkg, Severity: sev, Target: shopTarget,
		Location: finding.Location{Path: "app/go.mod"},
		Package:  &finding.Package{Name: pkg, Version: "1.0.0", Ecosystem: "Go"},
		Fix:      &finding.Fix{FixedVersions: []string{"1.0.1"}, Upgrade: "1.0.1", Remediation: "Upgrade " + pkg + " to 1.0.1."},
	}
	f.SetFingerprint()
	return f
}

// gatedReport writes the JSON report of a scan the gate judged at failOn,
// as redline scan writes it.
func gatedReport(t *testing.T, failOn string, fs ...finding.Finding) []byte {
	t.Helper()
	r := &report.Report{Tool: report.Tool{Name: "redline", Version: "test"}, Target: shopTarget}
	th, err := policy.ParseThreshold(failOn)
	if err != nil {
		t.Fatal(err)
	}
	r.SetDecision((&policy.Gate{FailOn: th}).Evaluate(fs))
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatJSON, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chromiumPath finds a Chromium to drive: $REDLINE_CHROMIUM, else chromium
// (Debian's package) or chromium-browser on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REDLINE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed: apt-get install -y chromium (or set REDLINE_CHROMIUM to a Chromium binary)")
	return ""
}

// e2eArtifacts is where the end-to-end test leaves its screenshots:
// $REDLINE_E2E_ARTIFACTS, else a temporary directory.
func e2eArtifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("REDLINE_E2E_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// e2eServer starts a real server on a loopback listener with a SQLite
// store, signing people in through the in-process OIDC provider as user
// (group "appsec" maps to the security role), and returns the store, the
// base URL and a token with scopes. Everything stops when the test ends.
func e2eServer(t *testing.T, user oidctest.User, scopes ...string) (*store.DB, string, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	token, _, err := st.CreateToken(ctx, store.NewToken{Name: "ci", Scopes: scopes, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	issuer := oidctest.New(t)
	issuer.SetUser(user)
	roles, err := server.ParseRoleMap("appsec=security")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	srv, err := server.New(server.Config{Store: st, DevCookies: true, OIDC: &server.OIDCConfig{Issuer: issuer.URL, ClientID: issuer.ClientID,
		ClientSecret: issuer.ClientSecret, RedirectURL: base + "/auth/callback", RoleClaim: "groups", RoleMap: roles}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(runCtx, l) }()
	t.Cleanup(func() {
		stop()
		if err := <-runErr; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return st, base, token
}

// e2eBrowser starts a headless Chromium whose whole session is bounded to
// three minutes and ends with the test. do runs actions and fails the test
// on an error, naming the step; text returns the trimmed text of the first
// element matching a CSS selector.
func e2eBrowser(t *testing.T, chromium string) (context.Context, func(step string, actions ...chromedp.Action[chromedp.Void]), func(sel string) string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1600))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	limited, cancelLimit := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancelLimit)
	actx, cancelAlloc := chromedp.NewExecAllocator(limited, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	return bctx, do, text
}

// TestDashboardEndToEnd drives the dashboard in a real headless Chromium
// against a real server on a loopback listener with a SQLite store: sign in
// through the OIDC provider, see an empty overview, upload a scan through
// the API with a token, see the numbers change, open the critical finding,
// accept its risk with a reason and an expiry, and see its state change.
func TestDashboardEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	chromium := chromiumPath(t)
	ctx := context.Background()

	st, base, upload := e2eServer(t, oidctest.User{Subject: "alice-1", Email: "alice@example.com", Name: "Alice",
		EmailVerified: true, Groups: []string{"appsec"}}, store.ScopeUpload)
	bctx, do, text := e2eBrowser(t, chromium)
	// unlabeled fails the test when a form control of the page has no
	// label or an image no accessible name.
	unlabeled := func() {
		t.Helper()
		counts, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`(() => {
			const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
			const images = [...document.querySelectorAll('svg, img')];
			return [controls.length + images.length,
				controls.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).length +
				images.filter(e => !e.getAttribute('aria-label') && !e.getAttribute('alt')).length];
		})()`))
		if err != nil || len(counts) != 2 || counts[0] == 0 || counts[1] != 0 {
			loc, _ := chromedp.Run(bctx, chromedp.Location())
			t.Errorf("%s: [controls and images, unlabeled] = %v (%v)", loc, counts, err)
		}
	}
	overview := func(step string) {
		t.Helper()
		do(step, chromedp.Navigate(base+"/ui/"), chromedp.WaitVisible(chromedp.CSS("#open-total")))
	}

	// Sign in: the dashboard sends the browser to the provider and back.
	overview("sign in")
	if who := text(".user strong"); who != "alice@example.com" {
		t.Fatalf("signed in as %q", who)
	}
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || loc != base+"/ui/" {
		t.Fatalf("after sign-in the browser is at %s (%v)", loc, err)
	}
	if n := text("#open-total"); n != "0" {
		t.Fatalf("open findings before any scan: %s", n)
	}
	// The skip link is the keyboard's first stop.
	do("tab", chromedp.KeyEvent("\t"))
	if focused, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.activeElement.className`)); err != nil || focused != "skip" {
		t.Errorf("the first Tab focuses %q (%v), want the skip link", focused, err)
	}

	// CI uploads a blocked scan with a token.
	crit := vulnFinding("GO-2026-0001", "golang.org/x/net", finding.SeverityCritical)
	med := vulnFinding("GO-2026-0002", "golang.org/x/text", finding.SeverityMedium)
	ci := &server.Client{BaseURL: base, Token: upload}
	if res, err := ci.Upload(ctx, gatedReport(t, "high", crit, med), server.UploadOptions{Product: "shop", ScanID: "build-1"}); err != nil || !res.Blocked {
		t.Fatalf("upload: %+v %v", res, err)
	}

	overview("overview after upload")
	for sel, want := range map[string]string{"#open-total": "2", "#open-critical": "1", "#open-medium": "1", "#builds-blocked": "1", "#cves-blocked": "1"} {
		if got := text(sel); got != want {
			t.Errorf("%s = %s after the upload, want %s", sel, got, want)
		}
	}
	unlabeled()
	artifacts := e2eArtifacts(t)
	screenshot := func(name string) {
		t.Helper()
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		png := filepath.Join(artifacts, name)
		if err := os.WriteFile(png, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", png)
	}
	screenshot("dashboard-overview.png")

	// Open the critical finding from the overview's tile and accept it.
	do("open finding",
		chromedp.Click(chromedp.CSS(".tile.sev-critical a")),
		chromedp.WaitVisible(chromedp.CSS("#findings")))
	unlabeled()
	do("open finding",
		chromedp.Click(chromedp.CSS("#findings tbody a")),
		chromedp.WaitVisible(chromedp.CSS("#accept-form")))
	unlabeled()
	if s := text("#finding-state"); s != "Open" {
		t.Fatalf("state before accepting: %q", s)
	}
	if s := text("#fix-upgrade"); s != "1.0.1" {
		t.Errorf("fix advice: %q", s)
	}
	until := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	do("accept",
		chromedp.SendKeys(chromedp.CSS("#a-reason"), "Behind WAF rule 942100 until the upgrade ships"),
		chromedp.SetValue(chromedp.CSS("#a-owner"), "shop-team@example.com"),
		chromedp.SetValue(chromedp.CSS("#a-until"), until),
		chromedp.Click(chromedp.CSS("#accept-form button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if s := text("#finding-state"); s != "Accepted" {
		t.Fatalf("state after accepting: %q", s)
	}
	if s := text("#accepted-until"); !strings.HasPrefix(s, time.Now().UTC().AddDate(0, 0, 31).Format(time.DateOnly)) {
		t.Errorf("accepted until %q, want the end of %s", s, until)
	}
	screenshot("dashboard-finding-accepted.png")
	if h := text("#history"); !strings.Contains(h, "alice@example.com") || !strings.Contains(h, "Behind WAF rule 942100") {
		t.Errorf("history lacks the acceptance: %s", h)
	}

	// The store agrees, and the overview counts one open finding less.
	page, err := st.Findings(ctx, store.FindingQuery{States: []store.State{store.StateAccepted}})
	if err != nil || len(page.Findings) != 1 || page.Findings[0].RuleID != crit.RuleID {
		t.Fatalf("accepted findings: %+v %v", page.Findings, err)
	}
	det, err := st.Finding(ctx, page.Findings[0].ID)
	if err != nil || len(det.Exceptions) != 1 || det.Exceptions[0].Owner != "shop-team@example.com" || det.Exceptions[0].CreatedBy != "alice@example.com" {
		t.Fatalf("exception: %+v %v", det.Exceptions, err)
	}
	overview("overview after accepting")
	if n := text("#open-total"); n != "1" {
		t.Errorf("open findings after accepting one: %s", n)
	}
	do("expiring", chromedp.Navigate(base+"/ui/exceptions?within=90"), chromedp.WaitVisible(chromedp.CSS("#expiring")))
	if s := text("#expiring"); !strings.Contains(s, crit.RuleID) {
		t.Errorf("expiring acceptances: %s", s)
	}
	if _, log := auditLog(ctx, t, st); !strings.Contains(log, "alice@example.com POST /ui/findings/{id}/state 303") {
		t.Errorf("audit log lacks the acceptance:\n%s", log)
	}
}

// auditLog returns the audit entries and one line per entry: actor,
// action and status.
func auditLog(ctx context.Context, t *testing.T, st store.Store) ([]store.AuditEntry, string) {
	t.Helper()
	entries, err := st.Audit(ctx, store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		lines = append(lines, fmt.Sprintf("%s %s %d", e.Actor, e.Action, e.Status))
	}
	return entries, strings.Join(lines, "\n")
}
