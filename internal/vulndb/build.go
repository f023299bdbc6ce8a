package vulndb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// builder writes a new database into a temporary file beside the target and
// renames it over the target on commit, so that readers only ever see a
// complete file and a failed or cancelled run leaves the old one as it was.
// The new file starts as a copy of the old database, when there is a usable
// one, so that imports and updates add to it.
type builder struct {
	path string
	tmp  string
	db   *bolt.DB
	log  *slog.Logger
	done bool
}

func newBuilder(path string, log *slog.Logger) (*builder, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create temporary database: %w", err)
	}
	b := &builder{path: path, tmp: f.Name(), log: log}
	err = copyExisting(path, f, log)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.abort()
		return nil, err
	}
	// Durability comes from one fsync before the rename, not one per
	// transaction; the freelist is rebuilt on open instead of stored.
	b.db, err = bolt.Open(b.tmp, 0o644, &bolt.Options{
		Timeout:        openTimeout,
		NoSync:         true,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		b.abort()
		return nil, fmt.Errorf("open temporary database: %w", err)
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte(keySchema), []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists([]byte(bucketEcosystems)); err != nil {
			return err
		}
		// Leftovers of an update that died between batches.
		if err := tx.DeleteBucket([]byte(bucketStaging)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		_, err = tx.CreateBucket([]byte(bucketStaging))
		return err
	})
	if err != nil {
		b.abort()
		return nil, fmt.Errorf("initialise temporary database: %w", err)
	}
	return b, nil
}

// copyExisting writes a consistent copy of the database at path to w. A
// missing database is not an error, and neither is an unusable one: it is
// logged and replaced.
func copyExisting(path string, w *os.File, log *slog.Logger) error {
	old, err := Open(path)
	switch {
	case errors.Is(err, ErrNoDatabase):
		return nil
	case errors.Is(err, ErrCorrupt):
		log.Warn("existing vulnerability database is unusable; building a new one", "path", path, "err", err)
		return nil
	case err != nil:
		return err
	}
	defer old.Close()
	err = old.view(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("copy existing database %s: %w", path, err)
	}
	return nil
}

// commit stamps the build time, syncs the file and renames it over the
// target.
func (b *builder) commit() error {
	if b.done {
		return errors.New("database build already finished")
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		built := time.Now().UTC().Format(time.RFC3339Nano)
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keyBuilt), []byte(built))
	})
	if err == nil {
		err = b.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketStaging)) })
	}
	if cerr := b.db.Close(); err == nil {
		err = cerr
	}
	b.db = nil
	if err == nil {
		err = syncFile(b.tmp)
	}
	if err == nil {
		err = os.Chmod(b.tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(b.tmp, b.path)
	}
	if err != nil {
		b.abort()
		return fmt.Errorf("write vulnerability database %s: %w", b.path, err)
	}
	b.done = true
	// The rename is durable once the directory is synced; not every
	// platform can sync a directory, and the data itself is safe already.
	_ = syncFile(filepath.Dir(b.path))
	return nil
}

// abort discards the temporary file. It is a no-op after commit.
func (b *builder) abort() {
	if b.done {
		return
	}
	b.done = true
	if b.db != nil {
		_ = b.db.Close()
		b.db = nil
	}
	_ = os.Remove(b.tmp)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// status returns the stored status of one ecosystem.
func (b *builder) status(base string) (EcosystemStatus, bool) {
	var (
		st EcosystemStatus
		ok bool
	)
	_ = b.db.View(func(tx *bolt.Tx) error {
		if eb := readEcosystem(tx, base); eb != nil {
			st, ok = eb.status(base), true
		}
		return nil
	})
	return st, ok
}

// ecosystems returns the names of the stored ecosystems, sorted.
func (b *builder) ecosystems() ([]string, error) {
	var names []string
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketEcosystems)).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// createEcosystem returns the buckets of base under parent, creating them.
func createEcosystem(parent *bolt.Bucket, base string) (*ecosystemBuckets, error) {
	root, err := parent.CreateBucketIfNotExists([]byte(base))
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", base, err)
	}
	for _, name := range []string{bucketIndex, bucketVulns, bucketKeys} {
		if _, err := root.CreateBucketIfNotExists([]byte(name)); err != nil {
			return nil, fmt.Errorf("create bucket %s/%s: %w", base, name, err)
		}
	}
	return ecosystemIn(parent, base), nil
}

// deleteRecord removes a record and its index entries from an ecosystem.
func deleteRecord(eb *ecosystemBuckets, id string) error {
	key := []byte(id)
	if eb.vulns.Get(key) == nil {
		return nil
	}
	if data := eb.keys.Get(key); data != nil {
		keys, err := decodeStrings(data)
		if err != nil {
			return fmt.Errorf("index keys of %s: %w", id, err)
		}
		for _, k := range keys {
			if err := eb.index.Delete([]byte(k)); err != nil {
				return err
			}
		}
		if err := eb.keys.Delete(key); err != nil {
			return err
		}
	}
	return eb.vulns.Delete(key)
}

// writeRecords stores records (sorted by id, none of them present yet) in
// one ecosystem, writing every bucket in key order.
func writeRecords(eb *ecosystemBuckets, base string, recs []*parsed) error {
	// Keys arrive mostly in order: pack pages full instead of half.
	eb.vulns.FillPercent, eb.keys.FillPercent, eb.index.FillPercent = 0.9, 0.9, 0.9
	var index []indexEntry
	for _, p := range recs {
		id := []byte(p.id)
		if err := eb.vulns.Put(id, p.vuln); err != nil {
			return fmt.Errorf("store %s: %w", p.id, err)
		}
		entries := p.index[base]
		if len(entries) == 0 {
			continue
		}
		keys := make([]string, len(entries))
		for i, e := range entries {
			keys[i] = string(e.key)
		}
		if err := eb.keys.Put(id, encodeStrings(keys)); err != nil {
			return fmt.Errorf("store %s: %w", p.id, err)
		}
		index = append(index, entries...)
	}
	slices.SortFunc(index, func(a, b indexEntry) int { return bytes.Compare(a.key, b.key) })
	for _, e := range index {
		if err := eb.index.Put(e.key, e.value); err != nil {
			return fmt.Errorf("store index key %q: %w", e.key, err)
		}
	}
	return nil
}

// putStatus stores st after counting what the ecosystem holds.
func putStatus(eb *ecosystemBuckets, st EcosystemStatus) error {
	st.Records = countKeys(eb.vulns)
	st.Unindexed = st.Records - countKeys(eb.keys)
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return eb.root.Put([]byte(keyStatus), data)
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// latestByID returns the ids in batch, sorted, with the last record of each:
// a later record replaces an earlier one with the same id.
func latestByID(batch []*parsed) ([]string, map[string]*parsed) {
	last := make(map[string]*parsed, len(batch))
	for _, p := range batch {
		last[p.id] = p
	}
	ids := make([]string, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, last
}

// parsed is one input record, ready to store.
type parsed struct {
	seq    int    // position in the input
	name   string // file or zip member it came from
	source string // input label (path or URL)
	err    error  // set when malformed: nothing else is

	id        string
	withdrawn bool
	bases     []string                // ecosystems it is stored in, sorted
	vuln      []byte                  // JSON Vuln
	index     map[string][]indexEntry // per ecosystem, sorted by key
}

type indexEntry struct {
	key, value []byte
}

// prepare turns a parsed record into what the store writes. With an empty
// scope the record goes to every ecosystem it names (BaseGit if none); with
// a scope it goes to that ecosystem alone, indexed by its entries there.
func prepare(rec *record, scope string) (*parsed, error) {
	v := rec.vuln
	p := &parsed{id: v.ID, withdrawn: rec.withdrawn, index: map[string][]indexEntry{}}
	if rec.withdrawn {
		p.bases = v.Ecosystems
		if scope != "" {
			p.bases = []string{scope}
		} else if len(p.bases) == 0 {
			p.bases = []string{BaseGit}
		}
		return p, nil
	}
	var err error
	if p.vuln, err = json.Marshal(v); err != nil {
		return nil, fmt.Errorf("encode %s: %w", v.ID, err)
	}
	// Group the entries by index key, keeping record order within a key.
	type group struct {
		base    string
		key     []byte
		entries []Affected
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, a := range rec.affected {
		base := baseEcosystem(a.Ecosystem)
		if scope != "" && base != scope {
			continue
		}
		key := append(indexPrefix(a.Ecosystem, normalizeName(base, a.Package)), v.ID...)
		g := byKey[string(key)]
		if g == nil {
			g = &group{base: base, key: key}
			byKey[string(key)] = g
			groups = append(groups, g)
		}
		g.entries = append(g.entries, a)
	}
	for _, g := range groups {
		p.index[g.base] = append(p.index[g.base], indexEntry{key: g.key, value: encodeAffected(nil, g.entries)})
	}
	for base, entries := range p.index {
		slices.SortFunc(entries, func(a, b indexEntry) int { return bytes.Compare(a.key, b.key) })
		p.index[base] = entries
	}
	switch {
	case scope != "":
		p.bases = []string{scope}
	case len(v.Ecosystems) > 0:
		p.bases = v.Ecosystems
	default:
		p.bases = []string{BaseGit}
	}
	return p, nil
}
