package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// TokenPrefix starts every API token secret, so secret scanners (Redline's
// own included) can recognise one.
const TokenPrefix = "rl_"

// BootstrapTokenName is the name of the admin token made on first start.
const BootstrapTokenName = "bootstrap-admin"

// hashToken is how a secret is stored: SHA-256, hex. Secrets are 256 random
// bits, so a plain hash is enough (no salt or stretching needed).
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func checkScopes(scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("%w: a token needs at least one scope (upload, read, admin)", ErrInvalid)
	}
	out := slices.Clone(scopes)
	for _, s := range out {
		switch s {
		case ScopeUpload, ScopeRead, ScopeAdmin:
		default:
			return nil, fmt.Errorf("%w: unknown scope %q (want upload, read or admin)", ErrInvalid, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateToken makes a token; see Store.
func (d *DB) CreateToken(ctx context.Context, nt NewToken) (string, Token, error) {
	scopes, err := checkScopes(nt.Scopes)
	if err != nil {
		return "", Token{}, err
	}
	if nt.Name == "" || len(nt.Name) > 128 {
		return "", Token{}, fmt.Errorf("%w: a token name must be 1 to 128 characters", ErrInvalid)
	}
	if strings.Contains(nt.Name, "@") {
		// Names with @ are people's (their email) in the audit log.
		return "", Token{}, fmt.Errorf("%w: a token name may not contain @ (the audit log names people by email)", ErrInvalid)
	}
	secret, err := newSecret()
	if err != nil {
		return "", Token{}, err
	}
	now := d.now().UTC()
	if len(nt.Product) > 256 {
		return "", Token{}, fmt.Errorf("%w: a product name is at most 256 bytes", ErrInvalid)
	}
	tok := Token{Name: nt.Name, Scopes: scopes, Product: nt.Product, CreatedBy: nt.CreatedBy, CreatedAt: fromUnix(unix(now))}
	err = d.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM api_tokens WHERE name = ?", nt.Name).Scan(&n); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: a token named %q exists", ErrInvalid, nt.Name)
		}
		return t.queryRow(ctx, `INSERT INTO api_tokens (name, hash, scopes, product, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			nt.Name, hashToken(secret), strings.Join(scopes, ","), nt.Product, nt.CreatedBy, unix(now)).Scan(&tok.ID)
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", nt.Name, err)
	}
	return secret, tok, nil
}

// BootstrapToken creates the first admin token; see Store.
func (d *DB) BootstrapToken(ctx context.Context) (string, error) {
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	var made bool
	err = d.inTx(ctx, func(t *tx) error {
		// The unique name makes a race between replicas end with one token.
		r, err := t.exec(ctx, `INSERT INTO api_tokens (name, hash, scopes, created_by, created_at)
			SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM api_tokens) ON CONFLICT (name) DO NOTHING`,
			BootstrapTokenName, hashToken(secret), ScopeAdmin, SystemActor, unix(d.now()))
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		made = n == 1
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("bootstrap token: %w", err)
	}
	if !made {
		return "", nil
	}
	return secret, nil
}

const tokenColumns = "id, name, scopes, product, created_by, created_at, last_used_at, revoked_at"

func scanToken(sc scanner) (Token, error) {
	var t Token
	var scopes string
	var created int64
	var used, revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Name, &scopes, &t.Product, &t.CreatedBy, &created, &used, &revoked); err != nil {
		return Token{}, err
	}
	t.Scopes = strings.Split(scopes, ",")
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromUnix(created), fromNullUnix(used), fromNullUnix(revoked)
	return t, nil
}

// Authenticate finds the live token of a secret; see Store.
func (d *DB) Authenticate(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Token{}, fmt.Errorf("%w: not a Redline token", ErrUnauthorized)
	}
	tok, err := scanToken(d.queryRow(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE hash = ?", hashToken(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	if err != nil {
		return Token{}, fmt.Errorf("authenticate: %w", err)
	}
	if tok.RevokedAt != nil {
		return Token{}, fmt.Errorf("%w: token %q was revoked", ErrUnauthorized, tok.Name)
	}
	// Record use at most once a minute, so reads do not become writes.
	now := unix(d.now())
	if tok.LastUsedAt == nil || now-tok.LastUsedAt.Unix() >= 60 {
		if _, err := d.write.ExecContext(ctx, d.q("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), now, tok.ID); err != nil {
			return Token{}, fmt.Errorf("authenticate: %w", err)
		}
	}
	return tok, nil
}

// Tokens lists the tokens; see Store.
func (d *DB) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := d.query(ctx, "SELECT "+tokenColumns+" FROM api_tokens ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token; see Store.
func (d *DB) RevokeToken(ctx context.Context, id int64, by string) error {
	return d.inTx(ctx, func(t *tx) error {
		var n int
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM api_tokens WHERE id = ?", id).Scan(&n); err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("token %d: %w", id, ErrNotFound)
		}
		if _, err := t.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", unix(d.now()), id); err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		return nil
	})
}

// AppendAudit adds an audit entry; see Store.
func (d *DB) AppendAudit(ctx context.Context, e AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = d.now()
	}
	_, err := d.write.ExecContext(ctx, d.q("INSERT INTO audit_log (at, actor, action, object, remote, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		cleanArgs([]any{unix(at), e.Actor, e.Action, e.Object, e.Remote, e.Status, e.Detail})...)
	if err != nil {
		return fmt.Errorf("append audit log: %w", err)
	}
	return nil
}

// Audit pages the audit log; see Store.
func (d *DB) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	limit := q.Limit
	if limit <= 0 || limit > 10*MaxPageSize {
		limit = MaxPageSize
	}
	rows, err := d.query(ctx, "SELECT id, at, actor, action, object, remote, status, detail FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", q.After, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.Remote, &e.Status, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
