package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Options tune a store. The zero value is the production setting.
type Options struct {
	// Now is the clock; time.Now when nil. Tests move it.
	Now func() time.Time
}

// engine is what differs between SQLite and PostgreSQL.
type engine int

const (
	engineSQLite engine = iota
	enginePostgres
)

func (e engine) String() string {
	if e == enginePostgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is the SQL implementation of Store. SQLite writes go through one
// connection (one writer, readers in parallel under WAL); PostgreSQL uses
// one pool for both.
type DB struct {
	engine engine
	write  *sql.DB
	read   *sql.DB
	now    func() time.Time
	path   string // SQLite file, for Backup
}

var _ Store = (*DB)(nil)

func newDB(e engine, write, read *sql.DB, o Options) *DB {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &DB{engine: e, write: write, read: read, now: now}
}

// Engine names the database engine: "sqlite" or "postgres".
func (d *DB) Engine() string { return d.engine.String() }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", d.engine, err)
	}
	return nil
}

// Close releases the database.
func (d *DB) Close() error {
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// q rewrites a query written with ? placeholders for the engine.
func (d *DB) q(query string) string {
	if d.engine != enginePostgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// tx is a write transaction with the engine's placeholder rewriting.
type tx struct {
	d  *DB
	tx *sql.Tx
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.q(query), cleanArgs(args)...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.q(query), cleanArgs(args)...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.q(query), cleanArgs(args)...)
}

// cleanArgs makes every string argument storable on both engines:
// PostgreSQL text holds neither NUL bytes nor invalid UTF-8, so both become
// U+FFFD (on SQLite too, so the engines store the same). It rewrites args in
// place.
func cleanArgs(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = cleanText(s)
		}
	}
	return args
}

func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// inTx runs fn in a write transaction and commits it when fn returns nil.
func (d *DB) inTx(ctx context.Context, fn func(*tx) error) error {
	stx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&tx{d: d, tx: stx}); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (d *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.read.QueryContext(ctx, d.q(query), cleanArgs(args)...)
}

func (d *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.read.QueryRowContext(ctx, d.q(query), cleanArgs(args)...)
}

// unix and fromUnix convert times to the stored Unix seconds.
func unix(t time.Time) int64 { return t.Unix() }

func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func fromNullUnix(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromUnix(n.Int64)
	return &t
}

// placeholders returns "(?,?,…),(?,?,…)…": rows groups of cols placeholders.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// chunkRows is how many rows one multi-row statement carries; it keeps the
// parameter count below both engines' limits.
const chunkRows = 400
