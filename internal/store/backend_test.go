package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL every test of this package shares: REDLINE_TEST_POSTGRES_DSN
// when set (a role allowed to create databases), else a throwaway cluster
// started from Debian's postgresql binaries the first time a test asks for
// one, and stopped when the tests end. Each test gets a database of its own.
var (
	pgOnce                   sync.Once
	pgAdminDSN, pgSkipReason string
	pgStop                   func()
	pgCounter                atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgStop != nil {
		pgStop()
	}
	os.Exit(code)
}

// postgresDSN returns the admin DSN, starting the cluster on first use.
func postgresDSN() (string, string) {
	pgOnce.Do(func() {
		if dsn := os.Getenv("REDLINE_TEST_POSTGRES_DSN"); dsn != "" {
			pgAdminDSN = dsn
			return
		}
		stop, dsn, err := startPostgres()
		if err != nil {
			pgSkipReason = err.Error()
			return
		}
		pgStop, pgAdminDSN = stop, dsn
	})
	return pgAdminDSN, pgSkipReason
}

// postgresBin finds the directory of Debian's PostgreSQL server binaries.
func postgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "postgres")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return verOf(dirs[i]) > verOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries not found (install Debian's postgresql: apt-get install -y postgresql, or set REDLINE_TEST_POSTGRES_DSN)")
}

func verOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// startPostgres runs initdb and postgres in a temporary directory, listening
// only on a unix socket there. As root it runs them as the postgres user.
func startPostgres() (stop func(), dsn string, err error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "redline-pg-")
	if err != nil {
		return nil, "", err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, "", errors.New("running as root and there is no postgres user to run PostgreSQL as (apt-get install -y postgresql creates it)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, "", err
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...)
		c.Dir = dir
		if cred != nil {
			c.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return c
	}
	data := filepath.Join(dir, "data")
	if out, err := command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	srv := command("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=", "-p", "5432",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300")
	logf, _ := os.Create(filepath.Join(os.TempDir(), filepath.Base(dir)+".log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("start postgres: %w", err)
	}
	stop = func() {
		_ = srv.Process.Signal(syscall.SIGINT) // fast shutdown
		_ = srv.Wait()
		logf.Close()
		os.Remove(logf.Name())
		os.RemoveAll(dir)
	}
	dsn = fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable", dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			return stop, dsn, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, "", fmt.Errorf("postgres did not start: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// backend opens fresh stores of one engine.
type backend struct {
	name string
	// open returns a new, empty store and the way to open it again.
	open func(t testing.TB, o Options) (*DB, func(Options) (*DB, error))
}

func sqliteBackend() backend {
	return backend{name: "sqlite", open: func(t testing.TB, o Options) (*DB, func(Options) (*DB, error)) {
		dir := t.TempDir()
		reopen := func(o Options) (*DB, error) { return OpenSQLite(context.Background(), dir, o) }
		d, err := reopen(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d, reopen
	}}
}

func postgresBackend() backend {
	return backend{name: "postgres", open: func(t testing.TB, o Options) (*DB, func(Options) (*DB, error)) {
		adminDSN, why := postgresDSN()
		if adminDSN == "" {
			t.Skip("PostgreSQL not available: " + why)
		}
		admin, err := sql.Open("pgx", adminDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		name := fmt.Sprintf("redline_test_%d_%d", os.Getpid(), pgCounter.Add(1))
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatalf("create test database: %v", err)
		}
		dsn := withDBName(adminDSN, name)
		reopen := func(o Options) (*DB, error) { return OpenPostgres(context.Background(), dsn, o) }
		d, err := reopen(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			d.Close()
			if a, err := sql.Open("pgx", adminDSN); err == nil {
				_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
				a.Close()
			}
		})
		return d, reopen
	}}
}

// withDBName points a DSN (URL or key=value form) at another database.
func withDBName(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

// eachBackend runs fn against a fresh store on every engine.
func eachBackend(t *testing.T, fn func(t *testing.T, d *DB, clk *clock)) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) {
			clk := newClock()
			d, _ := b.open(t, Options{Now: clk.Now})
			fn(t, d, clk)
		})
	}
}
