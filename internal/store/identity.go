package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Identity keeps the people who sign in (with OIDC), the roles they hold
// per product, and their server-side sessions.
type Identity interface {
	// SignIn records a successful OIDC sign-in in one transaction: the user
	// of the issuer and subject is found, or the user an admin pre-created
	// for that email is claimed (only with a verified email), or a new user
	// is made; name and email are refreshed, the last login stamped, and the
	// roles from the ID token's claims (source RoleSourceOIDC) replaced by
	// in.Roles. A disabled user, or an email held by another account,
	// returns an error wrapping ErrUnauthorized.
	SignIn(ctx context.Context, in SignIn) (SignInResult, error)
	// User returns one user with its roles, or an error wrapping ErrNotFound.
	User(ctx context.Context, id int64) (User, error)
	// Users lists every user with its roles, sorted by email.
	Users(ctx context.Context) ([]User, error)
	// GrantRole gives the user with g.Email a role on g.Product (AllProducts
	// for every product), creating a user that has not signed in yet when
	// none has the email. It reports whether anything changed.
	GrantRole(ctx context.Context, g Grant) (User, bool, error)
	// RevokeRole takes a granted role away and reports whether the user
	// held it; an unknown email returns an error wrapping ErrNotFound.
	RevokeRole(ctx context.Context, g Grant) (User, bool, error)
	// SetUserDisabled disables a user (ending every session) or enables it
	// again.
	SetUserDisabled(ctx context.Context, id int64, disabled bool) error

	// CreateSession starts a session of the user lasting at most ttl and
	// returns its secret (the cookie value); only its SHA-256 is stored.
	CreateSession(ctx context.Context, userID int64, ttl time.Duration, remote string) (string, Session, error)
	// SessionUser returns the live session of a secret and its user. A
	// session past its expiry, idle longer than idle, or of a disabled user
	// returns an error wrapping ErrUnauthorized (and is deleted).
	SessionUser(ctx context.Context, secret string, idle time.Duration) (Session, User, error)
	// EndSession deletes the session of a secret; an unknown one is not an
	// error.
	EndSession(ctx context.Context, secret string) error
	// PruneSessions deletes the sessions that have expired or been idle
	// longer than idle, and returns how many.
	PruneSessions(ctx context.Context, idle time.Duration) (int, error)
}

// Role is what a user may do on a product.
type Role string

// The roles, from least to most privileged.
const (
	RoleViewer    Role = "viewer"
	RoleDeveloper Role = "developer"
	RoleSecurity  Role = "security"
	RoleAdmin     Role = "admin"
)

// AllProducts is the product of a global role binding.
const AllProducts = "*"

// Sources of a role binding.
const (
	RoleSourceGrant = "grant"
	RoleSourceOIDC  = "oidc"
)

// Roles lists the roles from least to most privileged.
func Roles() []Role { return []Role{RoleViewer, RoleDeveloper, RoleSecurity, RoleAdmin} }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles(), Role(s)) {
		return Role(s), nil
	}
	return "", fmt.Errorf("%w: unknown role %q (want viewer, developer, security or admin)", ErrInvalid, s)
}

// Rank orders the roles: viewer 1 to admin 4, 0 for an unknown role.
func (r Role) Rank() int { return slices.Index(Roles(), r) + 1 }

// RoleBinding is one role a user holds on a product (AllProducts for all).
type RoleBinding struct {
	Product   string    `json:"product"`
	Role      Role      `json:"role"`
	Source    string    `json:"source"`
	GrantedBy string    `json:"granted_by"`
	GrantedAt time.Time `json:"granted_at"`
}

func (b RoleBinding) String() string { return string(b.Role) + "@" + b.Product }

// User is a person who signs in (or was granted a role before doing so).
type User struct {
	ID int64 `json:"id"`
	// Issuer and Subject identify the user at the OIDC provider; both are
	// empty until the first sign-in.
	Issuer      string        `json:"issuer,omitempty"`
	Subject     string        `json:"subject,omitempty"`
	Email       string        `json:"email"`
	Name        string        `json:"name"`
	CreatedAt   time.Time     `json:"created_at"`
	LastLoginAt *time.Time    `json:"last_login_at,omitempty"`
	DisabledAt  *time.Time    `json:"disabled_at,omitempty"`
	Roles       []RoleBinding `json:"roles"`
}

// SignIn is a verified OIDC identity.
type SignIn struct {
	Issuer, Subject string
	Email           string
	// EmailVerified must be true to claim a user an admin pre-created.
	EmailVerified bool
	Name          string
	// Roles are the bindings mapped from the ID token's claims; Source and
	// the grant fields are filled in.
	Roles []RoleBinding
}

// SignInResult is the signed-in user and what the sign-in changed.
type SignInResult struct {
	User User
	// Created is true for a user first seen now (also a claimed one).
	Created bool
	// Granted and Revoked are the claim-mapped roles added and removed.
	Granted, Revoked []RoleBinding
}

// Grant names a role binding to add or remove.
type Grant struct {
	Email   string
	Product string
	Role    Role
	// By is who grants it, for the record.
	By string
}

// Session is a signed-in browser's server-side session.
type Session struct {
	UserID     int64     `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Remote     string    `json:"remote"`
}

// SessionPrefix starts every session secret.
const SessionPrefix = "rls_"

// Limits of identity fields.
const (
	maxEmail   = 320
	maxName    = 256
	maxSubject = 1024
)

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func checkBinding(product string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if product == "" || len(product) > 256 {
		return fmt.Errorf("%w: a role needs a product of 1 to 256 bytes (%q for every product)", ErrInvalid, AllProducts)
	}
	return nil
}

// rowQuerier reads in or outside a transaction.
type rowQuerier interface {
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const userColumns = "id, issuer, subject, email, name, created_at, last_login_at, disabled_at"

func scanUser(sc scanner) (User, error) {
	var u User
	var iss, sub sql.NullString
	var created int64
	var login, disabled sql.NullInt64
	if err := sc.Scan(&u.ID, &iss, &sub, &u.Email, &u.Name, &created, &login, &disabled); err != nil {
		return User{}, err
	}
	u.Issuer, u.Subject = iss.String, sub.String
	u.CreatedAt, u.LastLoginAt, u.DisabledAt = fromUnix(created), fromNullUnix(login), fromNullUnix(disabled)
	return u, nil
}

// loadRoles reads the bindings of the users in us, sorted by product, role
// and source.
func loadRoles(ctx context.Context, q rowQuerier, us []User) error {
	if len(us) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(us))
	for i := range us {
		idx[us[i].ID] = i
		us[i].Roles = []RoleBinding{}
	}
	query := "SELECT user_id, product, role, source, granted_by, granted_at FROM role_bindings ORDER BY user_id, product, role, source"
	var args []any
	if len(us) == 1 {
		query = "SELECT user_id, product, role, source, granted_by, granted_at FROM role_bindings WHERE user_id = ? ORDER BY product, role, source"
		args = []any{us[0].ID}
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var b RoleBinding
		if err := rows.Scan(&id, &b.Product, &b.Role, &b.Source, &b.GrantedBy, &at); err != nil {
			return err
		}
		b.GrantedAt = fromUnix(at)
		if i, ok := idx[id]; ok {
			us[i].Roles = append(us[i].Roles, b)
		}
	}
	return rows.Err()
}

func loadUser(ctx context.Context, q rowQuerier, where string, args ...any) (User, error) {
	u, err := scanUser(q.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, args...))
	if err != nil {
		return User{}, err
	}
	us := []User{u}
	if err := loadRoles(ctx, q, us); err != nil {
		return User{}, err
	}
	return us[0], nil
}

// SignIn records a sign-in; see Identity.
func (d *DB) SignIn(ctx context.Context, in SignIn) (SignInResult, error) {
	email := normEmail(in.Email)
	switch {
	case in.Issuer == "" || in.Subject == "" || len(in.Issuer) > maxSubject || len(in.Subject) > maxSubject:
		return SignInResult{}, fmt.Errorf("%w: sign-in needs an issuer and a subject of at most %d bytes", ErrInvalid, maxSubject)
	case email == "" || len(email) > maxEmail || !strings.Contains(email, "@"):
		return SignInResult{}, fmt.Errorf("%w: sign-in needs an email address (the ID token has no usable email claim)", ErrInvalid)
	case len(in.Name) > maxName:
		return SignInResult{}, fmt.Errorf("%w: name longer than %d bytes", ErrInvalid, maxName)
	}
	want := make([]RoleBinding, 0, len(in.Roles))
	for _, b := range in.Roles {
		if err := checkBinding(b.Product, b.Role); err != nil {
			return SignInResult{}, err
		}
		want = append(want, RoleBinding{Product: b.Product, Role: b.Role, Source: RoleSourceOIDC})
	}
	res, err := d.signIn(ctx, in, email, want)
	if err != nil && !errors.Is(err, ErrUnauthorized) && ctx.Err() == nil {
		// Two first sign-ins of one person at once: one inserted the
		// user, the other hit the unique key; again, it finds the user.
		res, err = d.signIn(ctx, in, email, want)
	}
	if err != nil {
		return SignInResult{}, fmt.Errorf("sign in %s: %w", email, err)
	}
	return res, nil
}

func (d *DB) signIn(ctx context.Context, in SignIn, email string, want []RoleBinding) (SignInResult, error) {
	now := unix(d.now())
	var res SignInResult
	err := d.inTx(ctx, func(t *tx) error {
		u, err := loadUser(ctx, t, "issuer = ? AND subject = ?", in.Issuer, in.Subject)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			u, err = loadUser(ctx, t, "email = ?", email)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.Created = true
				err = t.queryRow(ctx, "INSERT INTO users (issuer, subject, email, name, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
					in.Issuer, in.Subject, email, in.Name, now).Scan(&u.ID)
				if err != nil {
					return err
				}
			case err != nil:
				return err
			case u.Issuer == in.Issuer && u.Subject == in.Subject:
				// A concurrent first sign-in of this person committed
				// between the two reads: it is this user.
			case u.Subject != "":
				return fmt.Errorf("%w: the email %s belongs to another account", ErrUnauthorized, email)
			case !in.EmailVerified:
				return fmt.Errorf("%w: the provider does not say the email %s is verified, so the account prepared for it cannot be claimed", ErrUnauthorized, email)
			default:
				res.Created = true
				if _, err := t.exec(ctx, "UPDATE users SET issuer = ?, subject = ? WHERE id = ?", in.Issuer, in.Subject, u.ID); err != nil {
					return err
				}
			}
		case err != nil:
			return err
		case u.DisabledAt != nil:
			return fmt.Errorf("%w: user %s is disabled", ErrUnauthorized, u.Email)
		case u.Email != email:
			var n int
			if err := t.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE email = ? AND id <> ?", email, u.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: the email %s belongs to another account", ErrUnauthorized, email)
			}
		}
		if u.DisabledAt != nil {
			return fmt.Errorf("%w: user %s is disabled", ErrUnauthorized, u.Email)
		}
		if _, err := t.exec(ctx, "UPDATE users SET email = ?, name = ?, last_login_at = ? WHERE id = ?", email, in.Name, now, u.ID); err != nil {
			return err
		}
		var have []RoleBinding
		for _, b := range u.Roles {
			if b.Source == RoleSourceOIDC {
				have = append(have, b)
			}
		}
		same := func(a, b RoleBinding) bool { return a.Product == b.Product && a.Role == b.Role }
		for _, b := range have {
			if !slices.ContainsFunc(want, func(w RoleBinding) bool { return same(w, b) }) {
				if _, err := t.exec(ctx, "DELETE FROM role_bindings WHERE user_id = ? AND product = ? AND role = ? AND source = ?",
					u.ID, b.Product, b.Role, RoleSourceOIDC); err != nil {
					return err
				}
				res.Revoked = append(res.Revoked, b)
			}
		}
		for _, b := range want {
			if slices.ContainsFunc(have, func(h RoleBinding) bool { return same(h, b) }) ||
				slices.ContainsFunc(res.Granted, func(g RoleBinding) bool { return same(g, b) }) {
				continue
			}
			r, err := t.exec(ctx, `INSERT INTO role_bindings (user_id, product, role, source, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (user_id, product, role, source) DO NOTHING`, u.ID, b.Product, b.Role, RoleSourceOIDC, "oidc "+in.Issuer, now)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				continue // a concurrent sign-in added it
			}
			b.GrantedBy, b.GrantedAt = "oidc "+in.Issuer, fromUnix(now)
			res.Granted = append(res.Granted, b)
		}
		res.User, err = loadUser(ctx, t, "id = ?", u.ID)
		return err
	})
	return res, err
}

// User returns one user; see Identity.
func (d *DB) User(ctx context.Context, id int64) (User, error) {
	u, err := loadUser(ctx, d, "id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// Users lists the users; see Identity.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := d.query(ctx, "SELECT "+userColumns+" FROM users ORDER BY email")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	us := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list users: %w", err)
		}
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if err := loadRoles(ctx, d, us); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

func checkGrant(g Grant) (string, error) {
	email := normEmail(g.Email)
	if email == "" || len(email) > maxEmail || !strings.Contains(email, "@") {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalid, g.Email)
	}
	return email, checkBinding(g.Product, g.Role)
}

// GrantRole adds a role binding; see Identity.
func (d *DB) GrantRole(ctx context.Context, g Grant) (User, bool, error) {
	email, err := checkGrant(g)
	if err != nil {
		return User{}, false, err
	}
	now := unix(d.now())
	var u User
	var changed bool
	err = d.inTx(ctx, func(t *tx) error {
		var id int64
		err := t.queryRow(ctx, "SELECT id FROM users WHERE email = ?", email).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = t.queryRow(ctx, "INSERT INTO users (email, name, created_at) VALUES (?, '', ?) RETURNING id", email, now).Scan(&id)
		}
		if err != nil {
			return err
		}
		r, err := t.exec(ctx, `INSERT INTO role_bindings (user_id, product, role, source, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, product, role, source) DO NOTHING`, id, g.Product, g.Role, RoleSourceGrant, g.By, now)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		changed = n == 1
		u, err = loadUser(ctx, t, "id = ?", id)
		return err
	})
	if err != nil {
		return User{}, false, fmt.Errorf("grant %s@%s to %s: %w", g.Role, g.Product, email, err)
	}
	return u, changed, nil
}

// RevokeRole removes a granted role binding; see Identity.
func (d *DB) RevokeRole(ctx context.Context, g Grant) (User, bool, error) {
	email, err := checkGrant(g)
	if err != nil {
		return User{}, false, err
	}
	var u User
	var changed bool
	err = d.inTx(ctx, func(t *tx) error {
		var id int64
		err := t.queryRow(ctx, "SELECT id FROM users WHERE email = ?", email).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %s: %w", email, ErrNotFound)
		}
		if err != nil {
			return err
		}
		r, err := t.exec(ctx, "DELETE FROM role_bindings WHERE user_id = ? AND product = ? AND role = ? AND source = ?", id, g.Product, g.Role, RoleSourceGrant)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		changed = n == 1
		u, err = loadUser(ctx, t, "id = ?", id)
		return err
	})
	if err != nil {
		return User{}, false, fmt.Errorf("revoke %s@%s from %s: %w", g.Role, g.Product, email, err)
	}
	return u, changed, nil
}

// SetUserDisabled disables or enables a user; see Identity.
func (d *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	err := d.inTx(ctx, func(t *tx) error {
		var at any
		if disabled {
			at = unix(d.now())
		}
		r, err := t.exec(ctx, "UPDATE users SET disabled_at = ? WHERE id = ?", at, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		if disabled {
			_, err = t.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("disable user %d: %w", id, err)
	}
	return nil
}

// CreateSession starts a session; see Identity.
func (d *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration, remote string) (string, Session, error) {
	if ttl <= 0 {
		return "", Session{}, fmt.Errorf("%w: a session needs a positive lifetime", ErrInvalid)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Session{}, fmt.Errorf("generate session id: %w", err)
	}
	secret := SessionPrefix + base64.RawURLEncoding.EncodeToString(b)
	if len(remote) > 256 {
		remote = remote[:256]
	}
	now := d.now()
	s := Session{UserID: userID, CreatedAt: fromUnix(unix(now)), LastSeenAt: fromUnix(unix(now)), ExpiresAt: fromUnix(unix(now.Add(ttl))), Remote: remote}
	_, err := d.write.ExecContext(ctx, d.q("INSERT INTO sessions (hash, user_id, created_at, last_seen_at, expires_at, remote) VALUES (?, ?, ?, ?, ?, ?)"),
		cleanArgs([]any{hashToken(secret), userID, unix(now), unix(now), unix(now.Add(ttl)), remote})...)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return secret, s, nil
}

// SessionUser checks a session; see Identity.
func (d *DB) SessionUser(ctx context.Context, secret string, idle time.Duration) (Session, User, error) {
	if !strings.HasPrefix(secret, SessionPrefix) || len(secret) > 128 {
		return Session{}, User{}, fmt.Errorf("%w: not a session", ErrUnauthorized)
	}
	h := hashToken(secret)
	var s Session
	var created, seen, expires int64
	var u User
	var iss, sub sql.NullString
	var uCreated int64
	var login, disabled sql.NullInt64
	// One query reads the session and its user; a second the user's roles.
	err := d.queryRow(ctx, `SELECT s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.remote,
		u.id, u.issuer, u.subject, u.email, u.name, u.created_at, u.last_login_at, u.disabled_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`, h).
		Scan(&s.UserID, &created, &seen, &expires, &s.Remote, &u.ID, &iss, &sub, &u.Email, &u.Name, &uCreated, &login, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, fmt.Errorf("%w: unknown or ended session", ErrUnauthorized)
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromUnix(created), fromUnix(seen), fromUnix(expires)
	now := unix(d.now())
	if now >= expires || (idle > 0 && now-seen > int64(idle/time.Second)) {
		if _, err := d.write.ExecContext(ctx, d.q("DELETE FROM sessions WHERE hash = ?"), h); err != nil {
			return Session{}, User{}, fmt.Errorf("end stale session: %w", err)
		}
		return Session{}, User{}, fmt.Errorf("%w: the session has expired", ErrUnauthorized)
	}
	u.Issuer, u.Subject = iss.String, sub.String
	u.CreatedAt, u.LastLoginAt, u.DisabledAt = fromUnix(uCreated), fromNullUnix(login), fromNullUnix(disabled)
	if u.DisabledAt != nil {
		return Session{}, User{}, fmt.Errorf("%w: user %s is disabled", ErrUnauthorized, u.Email)
	}
	us := []User{u}
	if err := loadRoles(ctx, d, us); err != nil {
		return Session{}, User{}, fmt.Errorf("read session user's roles: %w", err)
	}
	u = us[0]
	// Record activity at most once a minute, so reads do not become writes.
	if now-seen >= 60 {
		if _, err := d.write.ExecContext(ctx, d.q("UPDATE sessions SET last_seen_at = ? WHERE hash = ?"), now, h); err != nil {
			return Session{}, User{}, fmt.Errorf("touch session: %w", err)
		}
		s.LastSeenAt = fromUnix(now)
	}
	return s, u, nil
}

// EndSession deletes a session; see Identity.
func (d *DB) EndSession(ctx context.Context, secret string) error {
	if _, err := d.write.ExecContext(ctx, d.q("DELETE FROM sessions WHERE hash = ?"), hashToken(secret)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// PruneSessions deletes stale sessions; see Identity.
func (d *DB) PruneSessions(ctx context.Context, idle time.Duration) (int, error) {
	now := unix(d.now())
	cutoff := int64(-1) << 62
	if idle > 0 {
		cutoff = now - int64(idle/time.Second)
	}
	r, err := d.write.ExecContext(ctx, d.q("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?"), now, cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}
