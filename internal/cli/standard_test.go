package cli

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

// TestStandardServer publishes a standard on a real server and lists the
// server's standards.
func TestStandardServer(t *testing.T) {
	ctx := context.Background()
	st, admin := serverStore(t)
	reader, _, err := st.CreateToken(ctx, store.NewToken{Name: "reader", Scopes: []string{store.ScopeRead}, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	// REDLINE_SERVER alone must not send a publish to the server.
	t.Setenv("REDLINE_SERVER", hs.URL)
	t.Setenv("REDLINE_TOKEN", admin)

	dir := t.TempDir()
	src, err := os.ReadFile("../design/standard/testdata/corp-checklist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "corp.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	must := func(want int, args ...string) string { t.Helper(); return runWant(t, want, args...) }
	if out := must(ExitOK, "standard", "publish", file, "--server", hs.URL); !strings.Contains(out, "published corp-checklist@2026H2 sha256:") {
		t.Fatalf("publish: %s", out)
	}
	if out := must(ExitOK, "standard", "publish", file, "--server", hs.URL); !strings.Contains(out, "already published with this content") {
		t.Fatalf("republish: %s", out)
	}
	changed := strings.Replace(string(src), "Every exception has a ticket", "Every exception has an owner", 1)
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := must(ExitBlocked, "standard", "publish", file, "--server", hs.URL); !strings.Contains(out, "publish a new version") {
		t.Fatalf("changed content: %s", out)
	}
	must(2, "standard", "publish", file, "--server", hs.URL, "--lock", filepath.Join(dir, "x.lock"))
	// Without --server, publish writes the lock file as before.
	lock := filepath.Join(dir, "standards.lock")
	must(ExitOK, "standard", "publish", file, "--lock", lock)
	if b, err := os.ReadFile(lock); err != nil || !strings.Contains(string(b), "corp-checklist@2026H2: sha256:") {
		t.Fatalf("lock: %s %v", b, err)
	}

	t.Setenv("REDLINE_TOKEN", reader)
	if out := must(2, "standard", "publish", file, "--server", hs.URL); !strings.Contains(out, `token "reader" lacks the admin scope`) {
		t.Fatalf("reader publishes: %s", out)
	}
	out := must(ExitOK, "standard", "list", "--server", hs.URL)
	for _, want := range []string{"redline-baseline@2026H2  built-in", "corp-checklist@2026H2    published  2026-07-01..…           bootstrap-admin  "} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if out := must(ExitOK, "standard", "list", "--server", hs.URL, "--json"); !strings.Contains(out, `"builtin": true`) ||
		!strings.Contains(out, `"ref": "corp-checklist@2026H2"`) {
		t.Errorf("list --json:\n%s", out)
	}
	// Without --server, list shows the built-in standards only.
	if out := must(ExitOK, "standard", "list"); strings.Contains(out, "corp-checklist") || !strings.Contains(out, "redline-baseline@2026H2") {
		t.Errorf("local list:\n%s", out)
	}
	t.Setenv("REDLINE_TOKEN", "")
	if out := must(2, "standard", "list", "--server", hs.URL); !strings.Contains(out, "no token") {
		t.Errorf("no token: %s", out)
	}
}

func TestStandardShowChecklist(t *testing.T) {
	code, out, errOut := run(t, "standard", "show", "../design/standard/testdata/corp-checklist.yaml")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Checklist (4 generic items, declared by the standard):",
		`CORP-TENANT   model.tenancy.model == "multi" && interfaces.exists(i, !i.propagation.tenant)`,
		"CORP-DFD      always",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "standard", "show", "redline-baseline@2026H2", "--json")
	if code != ExitOK || !strings.Contains(out, `"default_checklist": true`) || !strings.Contains(out, `"id": "GEN-PENTEST"`) {
		t.Errorf("show --json: %d\n%s", code, out)
	}
}
