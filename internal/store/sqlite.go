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
// migrates it. The file runs in WAL mode with a busy timeout (the log is
// cut back to 64 MiB after checkpoints); all writes go through one
// connection, reads through a small pool.
func OpenSQLite(ctx context.Context, dataDir string, o Options) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, SQLiteFile)
	dsn := func(extra string) string {
		return "file:" + (&url.URL{Path: path}).EscapedPath() +
			"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" + extra
	}
	write, err := sql.Open("sqlite", dsn("&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(67108864)&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Readers use SQLite's own page cache and no memory-mapped I/O: each
	// connection would map the file separately, and the mapped pages count
	// towards the server's resident memory once per mapping. The KPI
	// queries read covering indexes, so the operating system's page cache
	// serves them well enough.
	read, err := sql.Open("sqlite", dsn("&_pragma=query_only(1)&_pragma=cache_size(-16384)"))
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
	if err := d.Optimize(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return d, nil
}

// Optimize refreshes the query planner's statistics where they are
// missing or stale. SQLite gathers none on its own, and without them it
// may pick a poor index for a KPI query; a bounded sample per index keeps
// this to milliseconds on a large store. PostgreSQL's autovacuum keeps its
// own statistics, so there it does nothing. Long-running servers call it
// now and then.
func (d *DB) Optimize(ctx context.Context) error {
	if d.engine != engineSQLite {
		return nil
	}
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	defer conn.Close()
	for _, q := range []string{"PRAGMA analysis_limit=400", "PRAGMA optimize=0x10002"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("optimize: %s: %w", q, err)
		}
	}
	return nil
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
