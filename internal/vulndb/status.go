package vulndb

import (
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StaleAfter is the age past which the CLI warns that the data is old. It
// never refuses old data: air-gapped users update when they can.
const StaleAfter = 7 * 24 * time.Hour

// Status describes the open database: schema, build time and, per
// ecosystem, what it holds and where it came from.
func (db *DB) Status() (*Status, error) {
	st := &Status{Path: db.path, SchemaVersion: SchemaVersion}
	err := db.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		st.SchemaVersion, _ = strconv.Atoi(string(meta.Get([]byte(keySchema))))
		if built := meta.Get([]byte(keyBuilt)); built != nil {
			t, err := time.Parse(time.RFC3339Nano, string(built))
			if err != nil {
				return fmt.Errorf("%w %s: build time %q", ErrCorrupt, db.path, built)
			}
			st.Built = t
		}
		return tx.Bucket([]byte(bucketEcosystems)).ForEachBucket(func(name []byte) error {
			if eb := readEcosystem(tx, string(name)); eb != nil {
				st.Ecosystems = append(st.Ecosystems, eb.status(string(name)))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Age returns how old the data in s is at now: the time since the least
// recently updated ecosystem was updated, or since the file was built when
// it holds no ecosystem.
func Age(s *Status, now time.Time) time.Duration {
	oldest := s.Built
	for i, e := range s.Ecosystems {
		if i == 0 || e.Updated.Before(oldest) {
			oldest = e.Updated
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return now.Sub(oldest)
}

// Stale reports whether the data in s is older than StaleAfter at now.
func Stale(s *Status, now time.Time) bool { return Age(s, now) > StaleAfter }
