package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres connects to PostgreSQL (a postgres:// URL or key=value DSN)
// and migrates the schema. Several replicas may open one database at once:
// migrations take an advisory lock.
func OpenPostgres(ctx context.Context, dsn string, o Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: never echo it.
		return nil, fmt.Errorf("parse PostgreSQL connection string: %w", redactErr(err))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxLifetime(30 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	d := newDB(enginePostgres, db, db, o)
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// redactErr drops the text of a DSN parse error, which may quote the DSN.
func redactErr(err error) error {
	return fmt.Errorf("invalid connection string (%T)", err)
}
