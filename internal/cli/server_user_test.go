package cli

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

func TestServerUserGrant(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "server", "user", "grant", "--data-dir", dir, "--email", "Alice@Example.com", "--role", "admin")
	if code != ExitOK || !strings.Contains(stderr, "granted: alice@example.com admin@*") {
		t.Fatalf("grant: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "server", "user", "grant", "--data-dir", dir, "--email", "bob@example.com", "--role", "developer", "--product", "shop"); code != ExitOK {
		t.Fatalf("grant on a product: %d %s", code, stderr)
	}
	for _, bad := range [][]string{
		{"--email", "bob@example.com", "--role", "root"},
		{"--email", "not-an-email", "--role", "viewer"},
		{"--role", "viewer"},
	} {
		if code, _, _ := run(t, append([]string{"server", "user", "grant", "--data-dir", dir}, bad...)...); code != ExitError {
			t.Errorf("grant %v: exit %d", bad, code)
		}
	}
	code, out, _ := run(t, "server", "user", "list", "--data-dir", dir)
	if code != ExitOK || !strings.Contains(out, "alice@example.com\tadmin@*(grant)\tnever signed in") || !strings.Contains(out, "developer@shop(grant)") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, stderr := run(t, "server", "user", "revoke", "--data-dir", dir, "--email", "bob@example.com", "--role", "developer", "--product", "shop"); code != ExitOK {
		t.Fatalf("revoke: %d %s", code, stderr)
	}
	if code, _, _ := run(t, "server", "user", "revoke", "--data-dir", dir, "--email", "nobody@example.com", "--role", "viewer"); code != ExitError {
		t.Fatalf("revoke unknown: %d", code)
	}
	st, err := store.OpenSQLite(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.Audit(context.Background(), store.AuditQuery{})
	if err != nil || len(es) != 3 || es[0].Action != "grant role" || es[2].Action != "revoke role" || es[0].Detail != "alice@example.com admin@*" {
		t.Fatalf("audit %+v %v", es, err)
	}
}

func TestSignInFlags(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := []struct {
		name    string
		o       signInOptions
		listen  string
		wantErr bool
		dev     bool
	}{
		{name: "no oidc", listen: "0.0.0.0:8080"},
		{name: "https", o: signInOptions{issuer: "https://idp", clientID: "c", redirectURL: "https://redline/auth/callback"}, listen: "0.0.0.0:8080"},
		{name: "http on loopback is dev", o: signInOptions{issuer: "https://idp", clientID: "c", redirectURL: "http://localhost:8080/auth/callback"}, listen: "127.0.0.1:8080", dev: true},
		{name: "http elsewhere", o: signInOptions{issuer: "https://idp", clientID: "c", redirectURL: "http://redline/auth/callback"}, listen: "0.0.0.0:8080", wantErr: true},
		{name: "no client id", o: signInOptions{issuer: "https://idp", redirectURL: "https://redline/auth/callback"}, listen: "0.0.0.0:8080", wantErr: true},
		{name: "client id without issuer", o: signInOptions{clientID: "c"}, listen: "0.0.0.0:8080", wantErr: true},
		{name: "bad role map", o: signInOptions{issuer: "https://idp", clientID: "c", redirectURL: "https://r/auth/callback", roleMap: "x=root"}, listen: "[::1]:80", wantErr: true},
	}
	for _, tc := range cases {
		var cfg server.Config
		err := tc.o.apply(&cfg, tc.listen, log)
		if (err != nil) != tc.wantErr || cfg.DevCookies != tc.dev {
			t.Errorf("%s: err %v, dev %v", tc.name, err, cfg.DevCookies)
		}
	}
	t.Setenv("REDLINE_OIDC_CLIENT_SECRET", "from-env")
	var cfg server.Config
	o := signInOptions{issuer: "https://idp", clientID: "c", redirectURL: "https://r/auth/callback"}
	if err := o.apply(&cfg, "0.0.0.0:1", log); err != nil || cfg.OIDC.ClientSecret != "from-env" {
		t.Fatalf("secret from env: %v", err)
	}
}
