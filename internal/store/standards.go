package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrConflict is a write that contradicts what is stored, such as changed
// content under a standard version already published.
var ErrConflict = errors.New("conflict")

// MaxStandardSize bounds the content of a published standard, in bytes.
const MaxStandardSize = 1 << 20

// Standards keeps the standards published on the server: each version of
// a standard (name@version) with the file it was published as and its
// canonical content hash. A published version never changes. Parsing and
// hashing the content is package standard's job; the store keeps what it
// is given.
type Standards interface {
	// PublishStandard records a standard version. Publishing a version
	// already stored with the same hash changes nothing and returns the
	// stored record with created false; with another hash it returns an
	// error wrapping ErrConflict.
	PublishStandard(ctx context.Context, s StandardVersion) (rec StandardVersion, created bool, err error)
	// PublishedStandard returns a published version (ref is
	// name@version) with its content, or an error wrapping ErrNotFound.
	PublishedStandard(ctx context.Context, ref string) (StandardVersion, error)
	// PublishedStandards lists the published versions without their
	// content, sorted by name, then version.
	PublishedStandards(ctx context.Context) ([]StandardVersion, error)
}

// StandardVersion is one published version of a standard.
type StandardVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Title   string `json:"title"`
	// From and Until are the effective dates, YYYY-MM-DD; Until is empty
	// when open-ended.
	From  string `json:"from"`
	Until string `json:"until,omitempty"`
	// Hash is the canonical content hash, sha256:<hex>.
	Hash string `json:"hash"`
	// Content is the standard file as published.
	Content     []byte    `json:"-"`
	PublishedBy string    `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

// Ref returns "name@version".
func (s *StandardVersion) Ref() string { return s.Name + "@" + s.Version }

func (s *StandardVersion) check() error {
	switch {
	case s.Name == "" || s.Version == "" || strings.Contains(s.Name, "@") || strings.Contains(s.Version, "@"):
		return fmt.Errorf("%w: a standard needs a name and a version without @", ErrInvalid)
	case !strings.HasPrefix(s.Hash, "sha256:"):
		return fmt.Errorf("%w: standard %s: hash %q is not sha256:<hex>", ErrInvalid, s.Ref(), s.Hash)
	case len(s.Content) == 0 || len(s.Content) > MaxStandardSize:
		return fmt.Errorf("%w: standard %s: content must be 1 to %d bytes", ErrInvalid, s.Ref(), MaxStandardSize)
	case strings.TrimSpace(s.PublishedBy) == "":
		return fmt.Errorf("%w: standard %s: the publisher is required", ErrInvalid, s.Ref())
	}
	return nil
}

const standardColumns = `name, version, title, effective_from, effective_until, hash, published_by, published_at`

func scanStandard(sc scanner, content bool) (StandardVersion, error) {
	var s StandardVersion
	var at int64
	dest := []any{&s.Name, &s.Version, &s.Title, &s.From, &s.Until, &s.Hash, &s.PublishedBy, &at}
	if content {
		dest = append(dest, &s.Content)
	}
	if err := sc.Scan(dest...); err != nil {
		return StandardVersion{}, err
	}
	s.PublishedAt = fromUnix(at)
	return s, nil
}

// PublishStandard records a standard version; see Standards.
func (d *DB) PublishStandard(ctx context.Context, s StandardVersion) (StandardVersion, bool, error) {
	if err := s.check(); err != nil {
		return StandardVersion{}, false, err
	}
	var rec StandardVersion
	created := false
	err := d.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `INSERT INTO standards (`+standardColumns+`, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name, version) DO NOTHING`,
			s.Name, s.Version, s.Title, s.From, s.Until, s.Hash, s.PublishedBy, unix(d.now()), s.Content)
		if err != nil {
			return fmt.Errorf("publish standard %s: %w", s.Ref(), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("publish standard %s: %w", s.Ref(), err)
		}
		created = n == 1
		rec, err = scanStandard(t.queryRow(ctx, `SELECT `+standardColumns+`, content FROM standards WHERE name = ? AND version = ?`,
			s.Name, s.Version), true)
		if err != nil {
			return fmt.Errorf("read standard %s: %w", s.Ref(), err)
		}
		if rec.Hash != s.Hash {
			return fmt.Errorf("%w: %s was published as %s by %s on %s; this content hashes %s: published versions are immutable; publish a new version",
				ErrConflict, s.Ref(), rec.Hash, rec.PublishedBy, rec.PublishedAt.Format(time.DateOnly), s.Hash)
		}
		return nil
	})
	if err != nil {
		return StandardVersion{}, false, err
	}
	return rec, created, nil
}

// PublishedStandard returns a published version; see Standards.
func (d *DB) PublishedStandard(ctx context.Context, ref string) (StandardVersion, error) {
	name, version, ok := strings.Cut(ref, "@")
	if !ok {
		return StandardVersion{}, fmt.Errorf("standard %q: %w", ref, ErrNotFound)
	}
	s, err := scanStandard(d.queryRow(ctx, `SELECT `+standardColumns+`, content FROM standards WHERE name = ? AND version = ?`,
		name, version), true)
	if errors.Is(err, sql.ErrNoRows) {
		return StandardVersion{}, fmt.Errorf("standard %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return StandardVersion{}, fmt.Errorf("read standard %s: %w", ref, err)
	}
	return s, nil
}

// PublishedStandards lists the published versions; see Standards.
func (d *DB) PublishedStandards(ctx context.Context) ([]StandardVersion, error) {
	rows, err := d.query(ctx, `SELECT `+standardColumns+` FROM standards ORDER BY name, version`)
	if err != nil {
		return nil, fmt.Errorf("list standards: %w", err)
	}
	defer rows.Close()
	out := []StandardVersion{}
	for rows.Next() {
		s, err := scanStandard(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list standards: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list standards: %w", err)
	}
	// Sorted here by bytes: PostgreSQL's ORDER BY follows the database's
	// collation, which need not agree with SQLite's.
	slices.SortFunc(out, func(a, b StandardVersion) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version))
	})
	return out, nil
}
