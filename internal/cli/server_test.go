package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

// TestServerWorkflow runs the CLI against a real server: scan with
// --upload (gate passing and blocking), list findings, accept one, and a
// failed upload's exit codes.
func TestServerWorkflow(t *testing.T) {
	db := mustDB(t)
	dataDir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), dataDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _ := st.BootstrapToken(context.Background())
	srv, err := server.New(server.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	// A CI token made with the CLI, straight in the store.
	code, out, stderr := run(t, "server", "token", "create", "--data-dir", dataDir, "--name", "ci", "--scope", "upload")
	if code != ExitOK || !strings.HasPrefix(out, store.TokenPrefix) {
		t.Fatalf("token create: %d %q %s", code, out, stderr)
	}
	t.Setenv("REDLINE_TOKEN", strings.TrimSpace(out))
	t.Setenv("REDLINE_SCAN_ID", "")

	code, _, stderr = run(t, "scan", "fs", "--db", db, "-f", "json", "--upload", hs.URL, "--product", "example", exampleApp)
	if code != ExitOK {
		t.Fatalf("scan --upload: exit %d: %s", code, stderr)
	}
	code, _, _ = run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "high", "--upload", hs.URL, exampleApp)
	if code != ExitBlocked {
		t.Fatalf("blocked scan --upload: exit %d", code)
	}
	bb, err := st.BlockedBuilds(context.Background(), store.BlockedQuery{})
	if err != nil || len(bb) != 1 || bb[0].Product != "example" || len(bb[0].Findings) != 2 {
		t.Fatalf("blocked builds %+v %v", bb, err)
	}

	// An upload that fails: exit 2 when the gate passed, 1 when it blocked.
	t.Setenv("REDLINE_TOKEN", "rl_wrong")
	code, _, stderr = run(t, "scan", "fs", "--db", db, "-f", "json", "--upload", hs.URL, exampleApp)
	if code != ExitError || !strings.Contains(stderr, "401") {
		t.Fatalf("failed upload: exit %d: %s", code, stderr)
	}
	code, _, stderr = run(t, "scan", "fs", "--db", db, "-f", "json", "--fail-on", "high", "--upload", hs.URL, exampleApp)
	if code != ExitBlocked || !strings.Contains(stderr, "upload") {
		t.Fatalf("failed upload of a blocked build: exit %d: %s", code, stderr)
	}

	t.Setenv("REDLINE_TOKEN", admin)
	t.Setenv("REDLINE_SERVER", hs.URL)
	code, out, stderr = run(t, "findings", "list", "--severity", "high,critical", "--format", "json")
	if code != ExitOK {
		t.Fatalf("findings list: %d %s", code, stderr)
	}
	var fs []store.Finding
	if err := json.Unmarshal([]byte(out), &fs); err != nil || len(fs) != 2 {
		t.Fatalf("findings list: %v %s", err, out)
	}
	code, out, _ = run(t, "findings", "list", "--product", "example")
	if code != ExitOK || !strings.Contains(out, "ID  ") || strings.Count(out, "\n") < 3 {
		t.Fatalf("findings table:\n%s", out)
	}
	id := fs[0].ID
	code, out, stderr = run(t, "findings", "accept", itoa(id), "--until", "2099-12-31", "--reason", "only trusted input", "--owner", "alice@example.com")
	if code != ExitOK || !strings.Contains(out, "is now accepted until 2100-01-01") {
		t.Fatalf("accept: %d %q %s", code, out, stderr)
	}
	code, out, _ = run(t, "findings", "show", itoa(id))
	if code != ExitOK || !strings.Contains(out, `"owner": "alice@example.com"`) {
		t.Fatalf("show: %d %s", code, out)
	}
	for _, args := range [][]string{
		{"findings", "accept", itoa(id), "--reason", "x"},
		{"findings", "accept", itoa(id), "--until", "someday", "--reason", "x"},
		{"findings", "triage", itoa(id)},
		{"findings", "reopen", "abc", "--reason", "x"},
		{"findings", "reopen", "99999", "--reason", "x"},
		{"findings", "list", "--state", "closed"},
	} {
		if code, _, stderr := run(t, args...); code != ExitError {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	if code, _, _ := run(t, "findings", "reopen", itoa(id), "--reason", "the WAF is gone"); code != ExitOK {
		t.Errorf("reopen: exit %d", code)
	}

	// A backup of the live store opens and holds the findings.
	out2 := filepath.Join(t.TempDir(), store.SQLiteFile)
	if code, _, stderr := run(t, "server", "backup", "--data-dir", dataDir, out2); code != ExitOK {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	copyStore, err := store.OpenSQLite(context.Background(), filepath.Dir(out2), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	page, err := copyStore.Findings(context.Background(), store.FindingQuery{})
	if err != nil || len(page.Findings) == 0 {
		t.Fatalf("backup holds %d findings, %v", len(page.Findings), err)
	}
	if code, _, _ := run(t, "server", "backup", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "x.db")); code != ExitError {
		t.Errorf("backup of a missing store: exit %d", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServerCommand starts 'redline server' twice on one data directory:
// the bootstrap token is printed on the first start only, the server
// answers, logs JSON, and stops when its context ends.
func TestServerCommand(t *testing.T) {
	dataDir := t.TempDir()
	start := func() (stderr string) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		errOut := &syncBuffer{}
		done := make(chan int, 1)
		go func() {
			done <- Execute(ctx, []string{"server", "--listen", addr, "--data-dir", dataDir}, nil, io.Discard, errOut)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("server did not come up: %v\n%s", err, errOut.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != ExitOK {
			t.Fatalf("server exited %d: %s", code, errOut.String())
		}
		return errOut.String()
	}
	first := start()
	if !strings.Contains(first, "Bootstrap admin token") || !strings.Contains(first, store.TokenPrefix) {
		t.Fatalf("first start printed no bootstrap token:\n%s", first)
	}
	if !strings.Contains(first, `"msg":"serving"`) {
		t.Fatalf("no JSON log line:\n%s", first)
	}
	second := start()
	if strings.Contains(second, "Bootstrap admin token") {
		t.Fatalf("second start printed a bootstrap token again:\n%s", second)
	}
	if code, _, _ := run(t, "server", "--listen", "127.0.0.1:0", "--sla", "urgent=1"); code != ExitError {
		t.Fatalf("bad --sla: exit %d", code)
	}
}
