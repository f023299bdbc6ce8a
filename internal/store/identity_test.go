package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func roleNames(u User) []string {
	var out []string
	for _, b := range u.Roles {
		out = append(out, b.Source+":"+b.String())
	}
	return out
}

func TestSignInAndRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		const iss = "https://idp.example"
		// An admin prepares a role before the first sign-in.
		pre, changed, err := d.GrantRole(ctx, Grant{Email: "Alice@Example.com", Product: "shop", Role: RoleSecurity, By: "cli"})
		if err != nil || !changed || pre.Subject != "" || pre.Email != "alice@example.com" {
			t.Fatalf("grant: %+v %v %v", pre, changed, err)
		}
		if _, changed, err := d.GrantRole(ctx, Grant{Email: "alice@example.com", Product: "shop", Role: RoleSecurity, By: "cli"}); err != nil || changed {
			t.Fatalf("second grant: %v %v", changed, err)
		}
		// An unverified email cannot claim the prepared account.
		_, err = d.SignIn(ctx, SignIn{Issuer: iss, Subject: "a1", Email: "alice@example.com", Name: "Alice"})
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("unverified claim: %v", err)
		}
		res, err := d.SignIn(ctx, SignIn{Issuer: iss, Subject: "a1", Email: "alice@example.com", EmailVerified: true, Name: "Alice",
			Roles: []RoleBinding{{Product: AllProducts, Role: RoleViewer}}})
		if err != nil || !res.Created || res.User.ID != pre.ID || len(res.Granted) != 1 || res.User.LastLoginAt == nil {
			t.Fatalf("first sign-in: %+v %v", res, err)
		}
		if got := roleNames(res.User); !slices.Equal(got, []string{"oidc:viewer@*", "grant:security@shop"}) {
			t.Fatalf("roles %v", got)
		}
		// The next sign-in replaces claim roles but keeps grants.
		clk.Advance(time.Hour)
		res, err = d.SignIn(ctx, SignIn{Issuer: iss, Subject: "a1", Email: "alice@example.com", Name: "Alice B",
			Roles: []RoleBinding{{Product: AllProducts, Role: RoleAdmin}}})
		if err != nil || res.Created || len(res.Granted) != 1 || len(res.Revoked) != 1 || res.User.Name != "Alice B" {
			t.Fatalf("second sign-in: %+v %v", res, err)
		}
		if got := roleNames(res.User); !slices.Equal(got, []string{"oidc:admin@*", "grant:security@shop"}) {
			t.Fatalf("roles %v", got)
		}
		// Another subject cannot take Alice's email.
		if _, err := d.SignIn(ctx, SignIn{Issuer: iss, Subject: "m1", Email: "alice@example.com", EmailVerified: true}); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("email takeover: %v", err)
		}
		bob, err := d.SignIn(ctx, SignIn{Issuer: iss, Subject: "b1", Email: "bob@example.com"})
		if err != nil || !bob.Created || len(bob.User.Roles) != 0 {
			t.Fatalf("bob: %+v %v", bob, err)
		}
		for _, bad := range []SignIn{{Issuer: iss, Email: "x@example.com"}, {Issuer: iss, Subject: "x"},
			{Issuer: iss, Subject: "x", Email: "x@example.com", Roles: []RoleBinding{{Product: "*", Role: "root"}}}} {
			if _, err := d.SignIn(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Fatalf("sign-in %+v: %v", bad, err)
			}
		}
		if _, _, err := d.GrantRole(ctx, Grant{Email: "x@example.com", Product: "", Role: RoleViewer}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("grant without product: %v", err)
		}
		u, changed, err := d.RevokeRole(ctx, Grant{Email: "alice@example.com", Product: "shop", Role: RoleSecurity})
		if err != nil || !changed || len(u.Roles) != 1 {
			t.Fatalf("revoke: %+v %v %v", u, changed, err)
		}
		if _, _, err := d.RevokeRole(ctx, Grant{Email: "nobody@example.com", Product: "shop", Role: RoleSecurity}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
		us, err := d.Users(ctx)
		if err != nil || len(us) != 2 || us[0].Email != "alice@example.com" || len(us[0].Roles) != 1 || us[1].Roles == nil {
			t.Fatalf("users %+v %v", us, err)
		}
		if err := d.SetUserDisabled(ctx, bob.User.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SignIn(ctx, SignIn{Issuer: iss, Subject: "b1", Email: "bob@example.com"}); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("disabled sign-in: %v", err)
		}
		if err := d.SetUserDisabled(ctx, 999, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("disable unknown: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		res, err := d.SignIn(ctx, SignIn{Issuer: "https://idp.example", Subject: "s", Email: "s@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		uid := res.User.ID
		secret, s, err := d.CreateSession(ctx, uid, 4*time.Hour, "192.0.2.1")
		if err != nil || s.UserID != uid {
			t.Fatal(err)
		}
		var hash string
		if err := d.queryRow(ctx, "SELECT hash FROM sessions").Scan(&hash); err != nil || hash != hashToken(secret) {
			t.Fatalf("stored %q %v", hash, err)
		}
		idle := time.Hour
		if _, u, err := d.SessionUser(ctx, secret, idle); err != nil || u.ID != uid {
			t.Fatalf("session: %v", err)
		}
		for _, bad := range []string{"", "rls_nope", secret + "x", "rl_" + secret[4:]} {
			if _, _, err := d.SessionUser(ctx, bad, idle); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("session %q: %v", bad, err)
			}
		}
		// Activity within the idle timeout keeps it alive up to the expiry.
		for range 4 {
			clk.Advance(50 * time.Minute)
			if _, _, err := d.SessionUser(ctx, secret, idle); err != nil {
				t.Fatalf("active session: %v", err)
			}
		}
		clk.Advance(50 * time.Minute) // past the absolute expiry
		if _, _, err := d.SessionUser(ctx, secret, 0); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("expired session: %v", err)
		}
		// Idle timeout.
		secret, _, _ = d.CreateSession(ctx, uid, 8*time.Hour, "192.0.2.1")
		clk.Advance(61 * time.Minute)
		if _, _, err := d.SessionUser(ctx, secret, idle); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("idle session: %v", err)
		}
		// Sign-out and disabling end sessions.
		secret, _, _ = d.CreateSession(ctx, uid, 8*time.Hour, "192.0.2.1")
		if err := d.EndSession(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.SessionUser(ctx, secret, idle); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("ended session: %v", err)
		}
		secret, _, _ = d.CreateSession(ctx, uid, 8*time.Hour, "192.0.2.1")
		if err := d.SetUserDisabled(ctx, uid, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.SessionUser(ctx, secret, idle); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("disabled user's session: %v", err)
		}
		if err := d.SetUserDisabled(ctx, uid, false); err != nil {
			t.Fatal(err)
		}
		_, _, _ = d.CreateSession(ctx, uid, time.Minute, "192.0.2.1")
		_, _, _ = d.CreateSession(ctx, uid, 8*time.Hour, "192.0.2.1")
		clk.Advance(2 * time.Minute)
		if n, err := d.PruneSessions(ctx, idle); err != nil || n != 1 {
			t.Fatalf("prune: %d %v", n, err)
		}
		if _, _, err := d.CreateSession(ctx, uid, 0, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("zero ttl: %v", err)
		}
	})
}

func TestTokenProduct(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		secret, tok, err := d.CreateToken(ctx, NewToken{Name: "shop-ci", Scopes: []string{ScopeUpload}, Product: "shop"})
		if err != nil || tok.Product != "shop" {
			t.Fatalf("create: %+v %v", tok, err)
		}
		got, err := d.Authenticate(ctx, secret)
		if err != nil || got.Product != "shop" {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
	})
}

func TestConcurrentFirstSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := d.SignIn(ctx, SignIn{Issuer: "https://idp.example", Subject: "same", Email: "same@example.com",
					Roles: []RoleBinding{{Product: AllProducts, Role: RoleViewer}}})
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		us, err := d.Users(ctx)
		if err != nil || len(us) != 1 || len(us[0].Roles) != 1 {
			t.Fatalf("users %+v %v", us, err)
		}
	})
}
