package vulndb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ImportOptions configure Import.
type ImportOptions struct {
	// Logger receives warnings and per-record debug messages; nil discards.
	Logger *slog.Logger
	// Progress, if set, is called from one goroutine as records are read:
	// ecosystem is "" while reading inputs (a record's ecosystem is only
	// known once parsed), done and total count records.
	Progress func(ecosystem string, done, total int)
	// Limits against hostile input; zero fields take the defaults.
	Limits Limits
}

// Summary reports what an Import or Update did.
type Summary struct {
	// Ecosystems, sorted by name.
	Ecosystems []EcosystemSummary
	// Malformed counts records skipped because they broke the OSV schema or
	// a limit; MalformedFiles names the first MaxMalformedNames of them,
	// each as "file: reason".
	Malformed      int
	MalformedFiles []string
}

// MaxMalformedNames caps Summary.MalformedFiles.
const MaxMalformedNames = 100

// EcosystemSummary is what one run did to one ecosystem.
type EcosystemSummary struct {
	Name   string
	Source string
	// Stored counts records written; Withdrawn records left out (and
	// removed if stored before); Malformed records skipped (Update only:
	// Import cannot tell a broken record's ecosystem); Unindexed records
	// stored that name no package of this ecosystem.
	Stored    int
	Withdrawn int
	Malformed int
	Unindexed int
	// Unchanged is set when the source said the data had not changed (HTTP
	// 304, or the same file): the stored data was kept.
	Unchanged bool
	// Err is set when the ecosystem could not be updated; its previous data
	// was kept.
	Err error
}

// Failed returns the ecosystems that could not be updated.
func (s *Summary) Failed() []EcosystemSummary {
	var out []EcosystemSummary
	for _, e := range s.Ecosystems {
		if e.Err != nil {
			out = append(out, e)
		}
	}
	return out
}

// tally collects a Summary during a run.
type tally struct {
	malformed      int
	malformedFiles []string
	ecosystems     map[string]*EcosystemSummary
}

func newTally() *tally { return &tally{ecosystems: map[string]*EcosystemSummary{}} }

// ecosystem returns the summary of one ecosystem, adding it if needed.
func (t *tally) ecosystem(name string) *EcosystemSummary {
	e := t.ecosystems[name]
	if e == nil {
		e = &EcosystemSummary{Name: name}
		t.ecosystems[name] = e
	}
	return e
}

func (t *tally) skip(name string, err error) {
	t.malformed++
	if len(t.malformedFiles) < MaxMalformedNames {
		t.malformedFiles = append(t.malformedFiles, name+": "+err.Error())
	}
}

// summary returns what was tallied, ecosystems sorted by name.
func (t *tally) summary() *Summary {
	s := &Summary{Malformed: t.malformed, MalformedFiles: t.malformedFiles}
	for _, name := range sortedKeys(t.ecosystems) {
		s.Ecosystems = append(s.Ecosystems, *t.ecosystems[name])
	}
	return s
}

// Import reads OSV records from paths (directories walked for *.json and
// *.zip files, single .json files, zip files of records such as the public
// bucket's <Ecosystem>/all.zip) into the database at dbPath, adding to what
// it holds. Each record is stored under every ecosystem it names; a record
// replaces a stored one with the same id; a withdrawn record is left out
// and removes a stored copy; records that name no package go under BaseGit.
// Malformed records are skipped and counted. The database file is replaced
// only when everything succeeded: on error or cancellation the previous
// database is left as it was.
func Import(ctx context.Context, dbPath string, paths []string, opts ImportOptions) (*Summary, error) {
	return importPaths(ctx, dbPath, paths, opts, batchSize)
}

// importPaths is Import with the number of records written per flush.
func importPaths(ctx context.Context, dbPath string, paths []string, opts ImportOptions, batch int) (*Summary, error) {
	if len(paths) == 0 {
		return nil, errors.New("import: no files or directories given")
	}
	log := loggerOrDiscard(opts.Logger)
	lim := opts.Limits.withDefaults()
	srcs, err := listSources(paths)
	if err != nil {
		return nil, err
	}
	total, err := countRecords(srcs, lim)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	b, err := newBuilder(dbPath, log)
	if err != nil {
		return nil, err
	}
	defer b.abort()

	im := &importer{b: b, log: log, sum: newTally(), sources: map[string]map[string]bool{}, now: time.Now().UTC(), batchSize: batch}
	progress := func(done int) {
		if opts.Progress != nil {
			opts.Progress("", done, total)
		}
	}
	if err := readRecords(ctx, srcs, "", lim, progress, im.add); err != nil {
		return nil, err
	}
	if err := im.flush(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.commit(); err != nil {
		return nil, err
	}
	log.Info("imported vulnerability data", "path", dbPath, "records", total, "malformed", im.sum.malformed)
	return im.sum.summary(), nil
}

// batchSize is how many records are written per flush: the public Go, PyPI
// and crates.io data each fit in one transaction; bigger ecosystems are
// written in several, keeping memory bounded.
const batchSize = 25_000

type importer struct {
	batchSize int
	b         *builder
	log       *slog.Logger
	sum       *tally
	batch     []*parsed
	sources   map[string]map[string]bool // ecosystem -> input labels
	now       time.Time
}

func (im *importer) add(p *parsed) error {
	if p.err != nil {
		im.log.Debug("skipping malformed OSV record", "file", p.name, "err", p.err)
		im.sum.skip(p.name, p.err)
		return nil
	}
	im.batch = append(im.batch, p)
	if len(im.batch) >= im.batchSize {
		return im.flush()
	}
	return nil
}

// flush writes the batch, one transaction per ecosystem. A record replaces
// every stored copy of its id, in whatever ecosystem.
func (im *importer) flush() error {
	if len(im.batch) == 0 {
		return nil
	}
	ids, last := latestByID(im.batch)
	clear(im.batch)
	im.batch = im.batch[:0]
	perBase := map[string][]*parsed{}
	for _, id := range ids {
		p := last[id]
		for _, base := range p.bases {
			es := im.sum.ecosystem(base)
			if p.withdrawn {
				es.Withdrawn++
				continue
			}
			es.Stored++
			if len(p.index[base]) == 0 {
				es.Unindexed++
			}
			perBase[base] = append(perBase[base], p)
			if im.sources[base] == nil {
				im.sources[base] = map[string]bool{}
			}
			im.sources[base][p.source] = true
		}
	}
	stored, err := im.b.ecosystems()
	if err != nil {
		return err
	}
	bases := append(stored, sortedKeys(perBase)...)
	slices.Sort(bases)
	bases = slices.Compact(bases)
	for _, base := range bases {
		err := im.b.db.Update(func(tx *bolt.Tx) error {
			root := tx.Bucket([]byte(bucketEcosystems))
			recs := perBase[base]
			eb := ecosystemIn(root, base)
			if eb == nil {
				if len(recs) == 0 {
					return nil
				}
				var err error
				if eb, err = createEcosystem(root, base); err != nil {
					return err
				}
			}
			for _, id := range ids {
				if err := deleteRecord(eb, id); err != nil {
					return err
				}
			}
			if err := writeRecords(eb, base, recs); err != nil {
				return err
			}
			st := eb.status(base)
			if es := im.sum.ecosystems[base]; es != nil && es.Stored+es.Withdrawn > 0 {
				st.Source = strings.Join(sortedKeys(im.sources[base]), ", ")
				st.Updated = im.now
				st.Withdrawn = es.Withdrawn
				st.Skipped = 0
				// Imported data no longer matches what a download's
				// validators describe: the next update fetches in full.
				st.ETag, st.LastModified = "", ""
				es.Source = st.Source
			}
			return putStatus(eb, st)
		})
		if err != nil {
			return fmt.Errorf("write %s records: %w", base, err)
		}
	}
	return nil
}

// loggerOrDiscard returns log, or a logger that discards when it is nil.
func loggerOrDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
