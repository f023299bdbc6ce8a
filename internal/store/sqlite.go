package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// SQLiteFile is the database file name inside a data directory.
const SQLiteFile = "redline.db"

// OpenSQLite opens (creating when needed) the SQLite store in dataDir and
// migrates it. The file runs in WAL mode with a busy timeout; all writes go
// through one connection, reads through a small pool.
func OpenSQLite(ctx context.Context, dataDir string, o Options) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, SQLiteFile)
	dsn := func(extra string) string {
		return "file:" + (&url.URL{Path: path}).EscapedPath() +
			"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" + extra
	}
	write, err := sql.Open("sqlite", dsn("&_pragma=journal_mode(WAL)&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Readers get a larger page cache and memory-mapped I/O: KPI queries
	// walk large index ranges.
	read, err := sql.Open("sqlite", dsn("&_pragma=query_only(1)&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	d := newDB(engineSQLite, write, read, o)
	d.path = path
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return d, nil
}

// Backup writes a consistent copy of a SQLite store to out (which must not
// exist) while the store stays online, with VACUUM INTO. Writers wait
// while the copy is made; readers do not.
func (d *DB) Backup(ctx context.Context, out string) error {
	if d.engine != engineSQLite {
		return errors.New("backup: only the SQLite store can be backed up by redline; use pg_dump for PostgreSQL")
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("backup: %s already exists", out)
	}
	if _, err := d.write.ExecContext(ctx, "VACUUM INTO ?", out); err != nil {
		return fmt.Errorf("backup to %s: %w", out, err)
	}
	return nil
}
