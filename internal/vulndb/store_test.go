package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/redline-sec/redline/internal/finding"
)

var testdataOSV = filepath.Join("testdata", "osv")

// importTestdata builds a database from testdata/osv in a temporary
// directory.
func importTestdata(t testing.TB) (string, *Summary) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vuln.db")
	sum, err := Import(context.Background(), path, []string{testdataOSV}, ImportOptions{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return path, sum
}

func openTest(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func affectedIDs(t testing.TB, db *DB, ecosystem, name string) []string {
	t.Helper()
	entries, err := db.Affected(context.Background(), ecosystem, name)
	if err != nil {
		t.Fatalf("Affected(%q, %q): %v", ecosystem, name, err)
	}
	var ids []string
	for _, a := range entries {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestImportSummary(t *testing.T) {
	_, sum := importTestdata(t)
	got := map[string][4]int{}
	for _, e := range sum.Ecosystems {
		got[e.Name] = [4]int{e.Stored, e.Withdrawn, e.Unindexed, e.Malformed}
		if e.Err != nil || e.Unchanged {
			t.Errorf("%s: err %v, unchanged %v", e.Name, e.Err, e.Unchanged)
		}
	}
	want := map[string][4]int{ // stored, withdrawn, unindexed, malformed
		"Alpine":    {1, 0, 0, 0},
		"GIT":       {1, 0, 1, 0},
		"Go":        {3, 1, 0, 0},
		"Packagist": {1, 0, 0, 0},
		"PyPI":      {3, 1, 0, 0},
		"RubyGems":  {1, 0, 0, 0},
		"crates.io": {4, 1, 0, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ecosystems\n got %v\nwant %v", got, want)
	}
	if sum.Malformed != 7 {
		t.Errorf("malformed = %d, want 7", sum.Malformed)
	}
	var names []string
	for _, m := range sum.MalformedFiles {
		name, _, _ := strings.Cut(m, ": ")
		names = append(names, filepath.Base(name))
	}
	wantNames := []string{"array.json", "bad-time.json", "control-char-name.json", "no-id.json", "truncated.json", "two-kinds-in-one-event.json", "wrong-type.json"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("malformed files %q, want %q", names, wantNames)
	}
}

func TestAffected(t *testing.T) {
	path, _ := importTestdata(t)
	db := openTest(t, path)
	tests := []struct {
		ecosystem, name string
		want            []string
	}{
		{"Go", "stdlib", []string{"GO-2022-0969"}},
		{"Go", "golang.org/x/net", []string{"GO-2022-0969"}},
		{"Go", "github.com/labstack/echo/v4", []string{"GO-2021-0051"}},
		{"Go", "k8s.io/kubernetes", nil}, // withdrawn
		{"Go", "STDLIB", nil},            // Go names are exact
		{"PyPI", "py", []string{"PYSEC-2022-42969"}},
		{"PyPI", "jw.util", []string{"PYSEC-2020-341"}},
		{"PyPI", "JW_Util", []string{"PYSEC-2020-341"}}, // PEP 503
		{"PyPI", "jw-util", []string{"PYSEC-2020-341"}},
		{"PyPI", "redis", nil}, // withdrawn
		{"PyPI", "UJSON", []string{"OSV-2021-955"}},
		{"crates.io", "openssl", []string{"RUSTSEC-2016-0001"}},
		{"crates.io", "dirs", nil}, // withdrawn
		{"crates.io", "zip", []string{"RUSTSEC-2025-0168"}},
		{"Alpine:v3.11", "clamav", []string{"ALPINE-CVE-2012-6706"}},
		{"Alpine:v3.8", "clamav", []string{"ALPINE-CVE-2012-6706"}},
		{"Alpine:v3.3", "clamav", nil},
		{"Alpine", "clamav", nil}, // the suffix is part of the ecosystem
		{"RubyGems", "sprout", []string{"GHSA-229r-pqp6-8w6g"}},
		{"Packagist", "acme/widget-bundle", []string{"TEST-SU-2024:0001-1"}},
		{"Packagist", "ACME/Widget-Bundle", []string{"TEST-SU-2024:0001-1"}},
		{"npm", "acme/widget-bundle", nil},
		{"Maven", "", nil},
		{"Go", "stdlib\x00GO-2022-0969", nil},
		{"Go\x00stdlib", "x", nil},
		{"", "x", nil},
	}
	for _, tt := range tests {
		if got := affectedIDs(t, db, tt.ecosystem, tt.name); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Affected(%q, %q) = %q, want %q", tt.ecosystem, tt.name, got, tt.want)
		}
	}

	entries, err := db.Affected(context.Background(), "Alpine:v3.10", "clamav")
	if err != nil {
		t.Fatal(err)
	}
	want := []Affected{{
		ID: "ALPINE-CVE-2012-6706", Ecosystem: "Alpine:v3.10", Package: "clamav",
		Ranges: []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}, {Fixed: "0.99.4-r0"}}}},
	}}
	if !reflect.DeepEqual(entries, want) {
		t.Errorf("Alpine entry\n got %+v\nwant %+v", entries, want)
	}

	entries, err = db.Affected(context.Background(), "Go", "github.com/labstack/echo/v4")
	if err != nil {
		t.Fatal(err)
	}
	if got := entries[0].Imports; len(got) != 1 || !reflect.DeepEqual(got[0].GOOS, []string{"windows"}) || got[0].GOARCH != nil {
		t.Errorf("imports = %+v, want one limited to windows", got)
	}
}

func TestAffectedSortedByID(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"B-2", "A-10", "C-1", "A-9"} {
		rec := `{"id":"` + id + `","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`
		if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Import(context.Background(), path, []string{dir}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got := affectedIDs(t, openTest(t, path), "npm", "left-pad")
	if want := []string{"A-10", "A-9", "B-2", "C-1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ids %q, want %q", got, want)
	}
}

func TestVuln(t *testing.T) {
	path, _ := importTestdata(t)
	db := openTest(t, path)
	ctx := context.Background()

	v, err := db.Vuln(ctx, "TEST-SU-2024:0001-1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Severity != finding.SeverityLow || len(v.CVSS) != 3 || !reflect.DeepEqual(v.CWEs, []string{"CWE-79", "CWE-80"}) {
		t.Errorf("colon id record: %+v", v)
	}

	v, err = db.Vuln(ctx, "TEST-GIT-0001")
	if err != nil {
		t.Fatal(err)
	}
	if v.Severity != finding.SeverityMedium || !v.Published.IsZero() || v.Ecosystems != nil {
		t.Errorf("GIT-only record: %+v", v)
	}

	v, err = db.Vuln(ctx, "GHSA-229r-pqp6-8w6g")
	if err != nil {
		t.Fatal(err)
	}
	wantPublished := time.Date(2017, 10, 24, 18, 33, 36, 0, time.UTC)
	if v.Severity != finding.SeverityHigh || !v.Published.Equal(wantPublished) || len(v.References) != 6 {
		t.Errorf("GHSA record: %+v", v)
	}

	v, err = db.Vuln(ctx, "GO-2022-0969")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Modified.IsZero() || v.Published.IsZero() {
		t.Errorf("Go record times: published %v, modified %v", v.Published, v.Modified)
	}

	for _, id := range []string{"GO-2022-0617", "RUSTSEC-2020-0053", "PYSEC-2023-73", "NOPE-1", ""} {
		if _, err := db.Vuln(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Vuln(%q) err = %v, want ErrNotFound", id, err)
		}
	}
}

func TestStatus(t *testing.T) {
	before := time.Now().Add(-time.Second)
	path, _ := importTestdata(t)
	st, err := openTest(t, path).Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.SchemaVersion != SchemaVersion || st.Built.Before(before) || st.Path != path {
		t.Errorf("status %+v", st)
	}
	var names []string
	for _, e := range st.Ecosystems {
		names = append(names, e.Name)
		if e.Updated.Before(before) || e.Source != testdataOSV {
			t.Errorf("%s: updated %v, source %q", e.Name, e.Updated, e.Source)
		}
	}
	if want := []string{"Alpine", "GIT", "Go", "Packagist", "PyPI", "RubyGems", "crates.io"}; !reflect.DeepEqual(names, want) {
		t.Errorf("ecosystems %q, want %q", names, want)
	}
	git := st.Ecosystems[1]
	if git.Records != 1 || git.Unindexed != 1 {
		t.Errorf("GIT status %+v", git)
	}
	gostat := st.Ecosystems[2]
	if gostat.Records != 3 || gostat.Withdrawn != 1 || gostat.Unindexed != 0 {
		t.Errorf("Go status %+v", gostat)
	}
}

func TestImportReplacesSameID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vuln.db")
	ctx := context.Background()
	write := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("a.json", `{"id":"X-1","summary":"first","affected":[{"package":{"ecosystem":"npm","name":"old-name"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`)
	second := write("a.json", `{"id":"X-1","summary":"second","affected":[{"package":{"ecosystem":"PyPI","name":"new-name"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`)
	other := write("b.json", `{"id":"Y-1","affected":[{"package":{"ecosystem":"npm","name":"old-name"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`)
	if _, err := Import(ctx, path, []string{first, other}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, path, []string{second}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "npm", "old-name"); !reflect.DeepEqual(got, []string{"Y-1"}) {
		t.Errorf("old index entry kept: %q", got)
	}
	if got := affectedIDs(t, db, "PyPI", "new-name"); !reflect.DeepEqual(got, []string{"X-1"}) {
		t.Errorf("new index entry: %q", got)
	}
	v, err := db.Vuln(ctx, "X-1")
	if err != nil || v.Summary != "second" {
		t.Fatalf("Vuln = %+v, %v", v, err)
	}
	st, _ := db.Status()
	for _, e := range st.Ecosystems {
		if e.Name == "npm" && e.Records != 1 {
			t.Errorf("npm records = %d, want 1", e.Records)
		}
	}
}

func TestImportWithdrawnRemovesEarlierCopy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vuln.db")
	withdrawn := readTestRecord(t, "Go/GO-2022-0617.json")
	live := strings.Replace(string(withdrawn), `"withdrawn": "2024-08-21T16:25:56Z",`, "", 1)
	if live == string(withdrawn) {
		t.Fatal("test record has changed")
	}
	livePath := filepath.Join(t.TempDir(), "GO-2022-0617.json")
	if err := os.WriteFile(livePath, []byte(live), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, path, []string{livePath}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := affectedIDs(t, openTest(t, path), "Go", "k8s.io/kubernetes"); len(got) != 1 {
		t.Fatalf("live record not stored: %q", got)
	}
	sum, err := Import(ctx, path, []string{filepath.Join(testdataOSV, "Go", "GO-2022-0617.json")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Ecosystems) != 1 || sum.Ecosystems[0].Withdrawn != 1 {
		t.Errorf("summary %+v", sum.Ecosystems)
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "Go", "k8s.io/kubernetes"); got != nil {
		t.Errorf("withdrawn record still matches: %q", got)
	}
	if _, err := db.Vuln(ctx, "GO-2022-0617"); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdrawn record still stored: %v", err)
	}
}

func TestImportAddsToExisting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Import(ctx, path, []string{filepath.Join(testdataOSV, "Go")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, path, []string{filepath.Join(testdataOSV, "crates.io", "RUSTSEC-2016-0001.json")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Ecosystems) != 1 || sum.Ecosystems[0].Name != "crates.io" || sum.Ecosystems[0].Stored != 1 {
		t.Errorf("second import summary %+v", sum.Ecosystems)
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "Go", "stdlib"); len(got) != 1 {
		t.Errorf("Go data lost: %q", got)
	}
	if got := affectedIDs(t, db, "crates.io", "openssl"); len(got) != 1 {
		t.Errorf("crates.io data missing: %q", got)
	}
	st, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Ecosystems) != 2 || st.Ecosystems[0].Records != 3 || st.Ecosystems[1].Records != 1 {
		t.Errorf("status %+v", st.Ecosystems)
	}
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Import(ctx, path, []string{filepath.Join(t.TempDir(), "missing")}, ImportOptions{}); err == nil {
		t.Error("missing input: no error")
	}
	if _, err := Import(ctx, path, nil, ImportOptions{}); err == nil {
		t.Error("no input: no error")
	}
	txt := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(txt, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, path, []string{txt}, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "not a directory, .json or .zip") {
		t.Errorf("text input: err = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed import left a database: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Errorf("failed import left files: %v", entries)
	}
}

// TestImportCancelKeepsOldDatabase cancels an import half-way and checks
// that the previous database is untouched and no temporary file is left.
func TestImportCancelKeepsOldDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "vuln.db")
	if _, err := Import(ctx, path, []string{filepath.Join(testdataOSV, "Go")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// Many records, so that the import is still running when cancelled.
	zipPath := filepath.Join(t.TempDir(), "all.zip")
	writeZip(t, zipPath, syntheticRecords(3000))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	progressed := 0
	_, err = Import(cctx, path, []string{zipPath}, ImportOptions{Progress: func(_ string, done, total int) {
		progressed = done
		if done >= 512 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if progressed >= 3000 {
		t.Fatalf("import finished before the cancel (%d records)", progressed)
	}
	now, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(old, now) {
		t.Error("database file changed")
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "Go", "stdlib"); len(got) != 1 {
		t.Errorf("old contents lost: %q", got)
	}
	if got := affectedIDs(t, db, "npm", "synthetic-1"); got != nil {
		t.Errorf("cancelled import visible: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	foreignBolt := filepath.Join(dir, "foreign.db")
	bdb, err := bolt.Open(foreignBolt, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
	bdb.Close()

	oldSchema := filepath.Join(dir, "old.db")
	bdb, err = bolt.Open(oldSchema, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket([]byte(bucketMeta))
		_, _ = tx.CreateBucket([]byte(bucketEcosystems))
		return m.Put([]byte(keySchema), []byte("0"))
	})
	bdb.Close()

	tests := []struct {
		name    string
		path    string
		want    error
		message string
	}{
		{"missing", filepath.Join(dir, "none.db"), ErrNoDatabase, "does not exist"},
		{"empty", write("empty.db", nil), ErrCorrupt, "empty"},
		{"garbage", write("garbage.db", []byte(strings.Repeat("not a database\n", 1000))), ErrCorrupt, "invalid"},
		{"directory", dir, ErrCorrupt, "not a regular file"},
		{"foreign bbolt", foreignBolt, ErrCorrupt, "not a Redline vulnerability database"},
		{"old schema", oldSchema, ErrCorrupt, "schema version 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.path)
			if err == nil {
				db.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			for _, s := range []string{tt.message, "redline db update", "redline db import PATH", tt.path} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestImportOverCorruptDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vuln.db")
	if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(context.Background(), path, []string{filepath.Join(testdataOSV, "Go")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := affectedIDs(t, openTest(t, path), "Go", "stdlib"); len(got) != 1 {
		t.Errorf("got %q", got)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("REDLINE_DB", "/x/y.db")
	if got := DefaultPath(); got != "/x/y.db" {
		t.Errorf("with REDLINE_DB: %q", got)
	}
	t.Setenv("REDLINE_DB", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, want := DefaultPath(), filepath.Join("/cache", "redline", "vuln.db"); got != want {
		t.Errorf("with XDG_CACHE_HOME: %q, want %q", got, want)
	}
}

func TestAffectedCancelled(t *testing.T) {
	path, _ := importTestdata(t)
	db := openTest(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Affected(ctx, "Go", "stdlib"); !errors.Is(err, context.Canceled) {
		t.Errorf("Affected err = %v", err)
	}
	if _, err := db.Vuln(ctx, "GO-2022-0969"); !errors.Is(err, context.Canceled) {
		t.Errorf("Vuln err = %v", err)
	}
}
