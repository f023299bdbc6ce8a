package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version of the database file. Open refuses
// files of any other version; Import and Update rebuild them.
const SchemaVersion = 1

// The file layout. Top level:
//
//	meta/schema            decimal SchemaVersion
//	meta/built             RFC 3339 time of the last write
//	ecosystems/<base>/     one bucket per base ecosystem ("Go", "Alpine")
//	staging/<base>/        an ecosystem being replaced by Update; never read
//
// In each ecosystem bucket:
//
//	status                 JSON EcosystemStatus
//	index/<eco>\0<name>\0<id>  binary []Affected of that record for that package
//	vulns/<id>             JSON Vuln
//	keys/<id>              binary list of the record's index keys (absent when none)
//
// <eco> is the full ecosystem ("Alpine:v3.19") and <name> the normalized
// package name, so Affected is one cursor seek over a key prefix and returns
// records already sorted by id.
const (
	bucketMeta       = "meta"
	bucketEcosystems = "ecosystems"
	bucketStaging    = "staging"
	bucketIndex      = "index"
	bucketVulns      = "vulns"
	bucketKeys       = "keys"
	keySchema        = "schema"
	keyBuilt         = "built"
	keyStatus        = "status"
)

// openTimeout bounds the wait for another process's lock on the file.
const openTimeout = 2 * time.Second

// Errors Open returns, usable with errors.Is.
var (
	// ErrNoDatabase means there is no database file at the path.
	ErrNoDatabase = errors.New("no vulnerability database")
	// ErrCorrupt means the file is not a readable Redline database of this
	// schema version: damaged, foreign, or written by another version.
	ErrCorrupt = errors.New("unusable vulnerability database")
	// ErrNotFound means Vuln has no record with that id.
	ErrNotFound = errors.New("vulnerability not found")
)

// openError explains a database that cannot be used and what to do about it.
type openError struct {
	path   string
	reason string
	err    error // ErrNoDatabase or ErrCorrupt
}

func (e *openError) Error() string {
	return fmt.Sprintf("%v %s: %s; run `redline db update` (online) or `redline db import PATH` (offline) to build it",
		e.err, e.path, e.reason)
}

func (e *openError) Unwrap() error { return e.err }

// DefaultPath returns where the database lives unless told otherwise:
// $REDLINE_DB if set, else redline/vuln.db under $XDG_CACHE_HOME or the
// user cache directory, else redline-vuln.db in the working directory.
func DefaultPath() string {
	if p := os.Getenv("REDLINE_DB"); p != "" {
		return p
	}
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "redline-vuln.db"
		}
		dir = d
	}
	return filepath.Join(dir, "redline", "vuln.db")
}

// DB is an open vulnerability database, read-only. It is safe for
// concurrent use.
type DB struct {
	path string
	bolt *bolt.DB
}

// Open opens the database at path read-only. A missing file gives an error
// matching ErrNoDatabase; a damaged or foreign file, or one of another
// schema version, an error matching ErrCorrupt. Both tell the user how to
// build a database.
func Open(path string) (*DB, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &openError{path: path, reason: "file does not exist", err: ErrNoDatabase}
	}
	if err != nil {
		return nil, fmt.Errorf("open vulnerability database: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, &openError{path: path, reason: "not a regular file", err: ErrCorrupt}
	}
	if info.Size() == 0 {
		return nil, &openError{path: path, reason: "file is empty", err: ErrCorrupt}
	}
	bdb, err := openBolt(path)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open vulnerability database %s: locked by another process", path)
		}
		return nil, &openError{path: path, reason: err.Error(), err: ErrCorrupt}
	}
	db := &DB{path: path, bolt: bdb}
	if err := db.view(checkSchema); err != nil {
		bdb.Close()
		return nil, &openError{path: path, reason: err.Error(), err: ErrCorrupt}
	}
	return db, nil
}

// openBolt opens a bbolt file read-only, turning a panic on a damaged file
// into an error.
func openBolt(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("damaged file: %v", r)
		}
	}()
	return bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: openTimeout})
}

func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil || tx.Bucket([]byte(bucketEcosystems)) == nil {
		return errors.New("not a Redline vulnerability database")
	}
	v, err := strconv.Atoi(string(meta.Get([]byte(keySchema))))
	if err != nil {
		return errors.New("no schema version")
	}
	if v != SchemaVersion {
		return fmt.Errorf("schema version %d, this redline reads version %d", v, SchemaVersion)
	}
	return nil
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Close releases the file.
func (db *DB) Close() error { return db.bolt.Close() }

// view runs fn in a read transaction. bbolt trusts the file it maps; a
// panic while reading a damaged one becomes ErrCorrupt.
func (db *DB) view(fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w %s: %v", ErrCorrupt, db.path, r)
		}
	}()
	return db.bolt.View(fn)
}

// Affected returns every Affected entry stored for the package, sorted by
// vulnerability id (entries of one record keep their record order).
// ecosystem must match the records exactly, release suffix included
// ("Alpine:v3.19"); PyPI names are PEP 503 normalized and Packagist names
// lower-cased on both sides, other names must match exactly.
func (db *DB) Affected(ctx context.Context, ecosystem, name string) ([]Affected, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	base := baseEcosystem(ecosystem)
	norm := normalizeName(base, name)
	if base == "" || norm == "" || strings.ContainsRune(ecosystem, 0) || strings.ContainsRune(norm, 0) {
		return nil, nil // no such key can exist
	}
	prefix := indexPrefix(ecosystem, norm)
	var out []Affected
	err := db.view(func(tx *bolt.Tx) error {
		eb := readEcosystem(tx, base)
		if eb == nil {
			return nil
		}
		c := eb.index.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			entries, err := decodeAffected(v)
			if err != nil {
				return fmt.Errorf("%w %s: index key %q: %v", ErrCorrupt, db.path, k, err)
			}
			id := string(k[len(prefix):])
			for i := range entries {
				entries[i].ID = id
				entries[i].Ecosystem = ecosystem
			}
			out = append(out, entries...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Vuln returns the record with the given id, or an error matching
// ErrNotFound.
func (db *DB) Vuln(ctx context.Context, id string) (*Vuln, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var v *Vuln
	err := db.view(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte(bucketEcosystems))
		return root.ForEachBucket(func(name []byte) error {
			if v != nil {
				return nil
			}
			eb := readEcosystem(tx, string(name))
			if eb == nil {
				return nil
			}
			data := eb.vulns.Get([]byte(id))
			if data == nil {
				return nil
			}
			v = new(Vuln)
			if err := json.Unmarshal(data, v); err != nil {
				return fmt.Errorf("%w %s: record %s: %v", ErrCorrupt, db.path, id, err)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return v, nil
}

// indexPrefix is the index key prefix of one package.
func indexPrefix(ecosystem, normName string) []byte {
	k := make([]byte, 0, len(ecosystem)+len(normName)+2)
	k = append(k, ecosystem...)
	k = append(k, 0)
	k = append(k, normName...)
	return append(k, 0)
}

// ecosystemBuckets are the buckets of one base ecosystem.
type ecosystemBuckets struct {
	root  *bolt.Bucket
	index *bolt.Bucket
	vulns *bolt.Bucket
	keys  *bolt.Bucket
}

// readEcosystem returns the buckets of base, or nil if it has none or they
// are incomplete.
func readEcosystem(tx *bolt.Tx, base string) *ecosystemBuckets {
	root := tx.Bucket([]byte(bucketEcosystems))
	if root == nil {
		return nil
	}
	return ecosystemIn(root, base)
}

func ecosystemIn(parent *bolt.Bucket, base string) *ecosystemBuckets {
	b := parent.Bucket([]byte(base))
	if b == nil {
		return nil
	}
	eb := &ecosystemBuckets{
		root:  b,
		index: b.Bucket([]byte(bucketIndex)),
		vulns: b.Bucket([]byte(bucketVulns)),
		keys:  b.Bucket([]byte(bucketKeys)),
	}
	if eb.index == nil || eb.vulns == nil || eb.keys == nil {
		return nil
	}
	return eb
}

// status reads the ecosystem's status; a missing or unreadable one is zero
// apart from the name.
func (eb *ecosystemBuckets) status(base string) EcosystemStatus {
	st := EcosystemStatus{Name: base}
	if data := eb.root.Get([]byte(keyStatus)); data != nil {
		_ = json.Unmarshal(data, &st)
		st.Name = base
	}
	return st
}
