package vulndb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultBaseURL is the public OSV bucket: <base>/<Ecosystem>/all.zip.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultEcosystems returns the ecosystems Update fetches unless told
// otherwise: the language ecosystems Redline catalogs.
func DefaultEcosystems() []string {
	return []string{"Go", "npm", "PyPI", "crates.io", "Packagist", "RubyGems", "Maven", "NuGet"}
}

// UpdateOptions configure Update.
type UpdateOptions struct {
	// Logger receives progress and warnings; nil discards.
	Logger *slog.Logger
	// Progress, if set, is called from one goroutine as records of an
	// ecosystem are read; done and total count records.
	Progress func(ecosystem string, done, total int)
	// BaseURL is where <Ecosystem>/all.zip files are: http://, https://,
	// file:// or a plain directory path. Default DefaultBaseURL.
	BaseURL string
	// Ecosystems to fetch; default DefaultEcosystems().
	Ecosystems []string
	// Client for http(s) downloads; default a plain http.Client. Use ctx
	// for deadlines.
	Client *http.Client
	// Limits against hostile input; zero fields take the defaults.
	Limits Limits
}

// Update downloads <BaseURL>/<Ecosystem>/all.zip for each ecosystem and
// replaces that ecosystem's data with it, keeping the other ecosystems of
// the database at dbPath. Requests carry the validators of the last
// download (If-None-Match, If-Modified-Since); a 304 keeps the ecosystem as
// it is. An ecosystem that fails (missing, network, damaged zip) keeps its
// previous data and is reported in the Summary while the others update.
// Update returns an error when it could not write the database, when ctx
// was cancelled (the previous database is then left as it was), or when
// every ecosystem failed.
func Update(ctx context.Context, dbPath string, opts UpdateOptions) (*Summary, error) {
	u := &updater{
		log:  loggerOrDiscard(opts.Logger),
		lim:  opts.Limits.withDefaults(),
		base: strings.TrimRight(opts.BaseURL, "/"),
		http: opts.Client,
		sum:  newTally(),
		prog: opts.Progress,
	}
	if u.base == "" {
		u.base = DefaultBaseURL
	}
	if u.http == nil {
		u.http = &http.Client{}
	}
	ecosystems := opts.Ecosystems
	if len(ecosystems) == 0 {
		ecosystems = DefaultEcosystems()
	}
	var err error
	if u.b, err = newBuilder(dbPath, u.log); err != nil {
		return nil, err
	}
	defer u.b.abort()

	var failures []error
	for _, eco := range ecosystems {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := u.update(ctx, eco); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			u.log.Warn("ecosystem not updated; keeping its previous data", "ecosystem", eco, "err", err)
			u.sum.ecosystem(eco).Err = err
			failures = append(failures, fmt.Errorf("%s: %w", eco, err))
		}
	}
	if len(failures) == len(ecosystems) {
		return u.sum.summary(), fmt.Errorf("update vulnerability database: %w", errors.Join(failures...))
	}
	if err := u.b.commit(); err != nil {
		return nil, err
	}
	return u.sum.summary(), nil
}

type updater struct {
	b    *builder
	log  *slog.Logger
	lim  Limits
	base string
	http *http.Client
	sum  *tally
	prog func(ecosystem string, done, total int)
}

// download is an all.zip ready to import.
type download struct {
	path         string // local file
	source       string // URL it came from
	etag         string
	lastModified string
	notModified  bool
	cleanup      func()
}

// update fetches and stores one ecosystem.
func (u *updater) update(ctx context.Context, eco string) error {
	if err := checkText("ecosystem", eco, maxEcosystemBytes); err != nil || strings.Contains(eco, ":") {
		return fmt.Errorf("invalid ecosystem name %q", eco)
	}
	prev, _ := u.b.status(eco)
	dl, err := u.fetch(ctx, eco, prev)
	if err != nil {
		return err
	}
	defer dl.cleanup()
	es := u.sum.ecosystem(eco)
	es.Source = dl.source
	if dl.notModified {
		es.Unchanged = true
		u.log.Info("ecosystem unchanged", "ecosystem", eco, "source", dl.source)
		return u.touch(eco)
	}
	u.log.Info("importing ecosystem", "ecosystem", eco, "source", dl.source)
	return u.replace(ctx, eco, dl, es)
}

// touch records that the source confirmed the stored data is current.
func (u *updater) touch(eco string) error {
	return u.b.db.Update(func(tx *bolt.Tx) error {
		eb := readEcosystem(tx, eco)
		if eb == nil {
			return fmt.Errorf("%s: source says unchanged but nothing is stored", eco)
		}
		st := eb.status(eco)
		st.Updated = time.Now().UTC()
		return putStatus(eb, st)
	})
}

// replace imports the zip into a staging bucket and, when all of it was
// read, swaps it in for the ecosystem's bucket in one transaction.
func (u *updater) replace(ctx context.Context, eco string, dl *download, es *EcosystemSummary) (err error) {
	db := u.b.db
	err = db.Update(func(tx *bolt.Tx) error {
		staging := tx.Bucket([]byte(bucketStaging))
		if err := staging.DeleteBucket([]byte(eco)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		_, err := createEcosystem(staging, eco)
		return err
	})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte(bucketStaging)).DeleteBucket([]byte(eco))
			})
		}
	}()

	srcs := []source{{path: dl.path, label: dl.source, zip: true}}
	total, err := countRecords(srcs, u.lim)
	if err != nil {
		return err
	}
	st := &stager{db: db, eco: eco, log: u.log, sum: u.sum}
	progress := func(done int) {
		if u.prog != nil {
			u.prog(eco, done, total)
		}
	}
	if err := readRecords(ctx, srcs, eco, u.lim, progress, st.add); err != nil {
		return err
	}
	if err := st.flush(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if st.stored == 0 {
		u.log.Warn("source holds no records; the ecosystem is now empty", "ecosystem", eco, "source", dl.source)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte(bucketEcosystems))
		if err := root.DeleteBucket([]byte(eco)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		if err := tx.MoveBucket([]byte(eco), tx.Bucket([]byte(bucketStaging)), root); err != nil {
			return err
		}
		return putStatus(ecosystemIn(root, eco), EcosystemStatus{
			Name:         eco,
			Withdrawn:    st.withdrawn,
			Skipped:      st.malformed,
			Source:       dl.source,
			Updated:      time.Now().UTC(),
			ETag:         dl.etag,
			LastModified: dl.lastModified,
		})
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", eco, err)
	}
	es.Stored, es.Withdrawn, es.Malformed, es.Unindexed = st.stored, st.withdrawn, st.malformed, st.unindexed
	return nil
}

// stager writes the records of one ecosystem's zip into its staging bucket.
type stager struct {
	db    *bolt.DB
	eco   string
	log   *slog.Logger
	sum   *tally
	batch []*parsed

	stored, withdrawn, malformed, unindexed int
}

func (s *stager) add(p *parsed) error {
	switch {
	case p.err != nil:
		s.malformed++
		s.sum.skip(p.name, p.err)
		s.log.Debug("skipping malformed OSV record", "file", p.name, "err", p.err)
		return nil
	case p.withdrawn:
		s.withdrawn++
	default:
		s.stored++
		if len(p.index[s.eco]) == 0 {
			s.unindexed++
		}
	}
	// Withdrawn records go into the batch too: one may follow a live copy.
	s.batch = append(s.batch, p)
	if len(s.batch) >= batchSize {
		return s.flush()
	}
	return nil
}

func (s *stager) flush() error {
	ids, last := latestByID(s.batch)
	clear(s.batch)
	s.batch = s.batch[:0]
	return s.db.Update(func(tx *bolt.Tx) error {
		eb := ecosystemIn(tx.Bucket([]byte(bucketStaging)), s.eco)
		var recs []*parsed
		for _, id := range ids {
			// An id seen in an earlier batch: the later record wins.
			if err := deleteRecord(eb, id); err != nil {
				return err
			}
			if p := last[id]; !p.withdrawn {
				recs = append(recs, p)
			}
		}
		return writeRecords(eb, s.eco, recs)
	})
}

// fetch gets <base>/<eco>/all.zip, or learns that it has not changed
// since the download prev describes.
func (u *updater) fetch(ctx context.Context, eco string, prev EcosystemStatus) (*download, error) {
	base, err := url.Parse(u.base)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", u.base, err)
	}
	switch base.Scheme {
	case "http", "https":
		return u.fetchHTTP(ctx, u.base+"/"+url.PathEscape(eco)+"/all.zip", prev)
	case "file":
		return u.fetchFile(filepath.Join(filepath.FromSlash(base.Path), eco, "all.zip"), prev)
	case "":
		return u.fetchFile(filepath.Join(u.base, eco, "all.zip"), prev)
	}
	return nil, fmt.Errorf("source %q: unsupported scheme %q (want http, https or file)", u.base, base.Scheme)
}

// fetchFile uses a local all.zip in place. Its size and modification time
// stand in for an ETag.
func (u *updater) fetchFile(path string, prev EcosystemStatus) (*download, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if info.Size() > u.lim.MaxDownloadBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte download limit", path, info.Size(), u.lim.MaxDownloadBytes)
	}
	validator := fmt.Sprintf(`"file-%d-%d"`, info.Size(), info.ModTime().UnixNano())
	dl := &download{path: path, source: path, etag: validator, cleanup: func() {}}
	dl.notModified = prev.ETag == validator && prev.Source == path
	return dl, nil
}

// fetchHTTP downloads one all.zip into a temporary file beside the database.
func (u *updater) fetchHTTP(ctx context.Context, rawURL string, prev EcosystemStatus) (*download, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if prev.Source == rawURL {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := u.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	dl := &download{source: rawURL, cleanup: func() {}}
	if resp.StatusCode == http.StatusNotModified {
		dl.notModified = true
		return dl, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	if resp.ContentLength > u.lim.MaxDownloadBytes {
		return nil, fmt.Errorf("GET %s: %d bytes, over the %d-byte download limit", rawURL, resp.ContentLength, u.lim.MaxDownloadBytes)
	}
	f, err := os.CreateTemp(filepath.Dir(u.b.path), ".redline-download-*.zip")
	if err != nil {
		return nil, err
	}
	dl.path = f.Name()
	dl.cleanup = func() { _ = os.Remove(dl.path) }
	n, err := io.Copy(f, io.LimitReader(resp.Body, u.lim.MaxDownloadBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > u.lim.MaxDownloadBytes {
		err = fmt.Errorf("over the %d-byte download limit", u.lim.MaxDownloadBytes)
	}
	if err != nil {
		dl.cleanup()
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	dl.etag = resp.Header.Get("ETag")
	dl.lastModified = resp.Header.Get("Last-Modified")
	return dl, nil
}
