package vulndb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// osvServer serves <Ecosystem>/all.zip files with ETags, as the public
// bucket does, and counts requests.
type osvServer struct {
	mu        sync.Mutex
	zips      map[string][]byte // ecosystem -> zip
	etags     map[string]string
	requests  map[string]int    // escaped path -> GETs
	downloads map[string]int    // escaped path -> full (200) responses
	since     map[string]string // escaped path -> If-Modified-Since of the last GET
}

func newOSVServer(t *testing.T) (*osvServer, *httptest.Server) {
	s := &osvServer{zips: map[string][]byte{}, etags: map[string]string{}, requests: map[string]int{}, downloads: map[string]int{}, since: map[string]string{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *osvServer) set(eco string, data []byte, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zips[eco], s.etags[eco] = data, etag
}

func (s *osvServer) counts(path string) (requests, downloads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path], s.downloads[path]
}

func (s *osvServer) ifModifiedSince(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.since[path]
}

func (s *osvServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.URL.EscapedPath()]++
	s.since[r.URL.EscapedPath()] = r.Header.Get("If-Modified-Since")
	eco, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
	data, found := s.zips[eco]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	etag := s.etags[eco]
	if etag != "" && r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	s.downloads[r.URL.EscapedPath()]++
	_, _ = w.Write(data)
}

func TestUpdateHTTP(t *testing.T) {
	ctx := context.Background()
	osv, srv := newOSVServer(t)
	osv.set("Go", zipBytes(t, dirMembers(t, filepath.Join(testdataOSV, "Go"))), `"go-1"`)
	osv.set("crates.io", zipBytes(t, dirMembers(t, filepath.Join(testdataOSV, "crates.io"))), `"crates-1"`)
	path := filepath.Join(t.TempDir(), "vuln.db")
	opts := UpdateOptions{BaseURL: srv.URL + "/", Ecosystems: []string{"Go", "crates.io", "npm"}}

	// First run: Go and crates.io download; npm is missing (404).
	sum, err := Update(ctx, path, opts)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	type row struct {
		stored, withdrawn int
		unchanged, failed bool
	}
	rows := func(sum *Summary) map[string]row {
		m := map[string]row{}
		for _, e := range sum.Ecosystems {
			m[e.Name] = row{e.Stored, e.Withdrawn, e.Unchanged, e.Err != nil}
		}
		return m
	}
	want := map[string]row{"Go": {3, 1, false, false}, "crates.io": {4, 1, false, false}, "npm": {0, 0, false, true}}
	if got := rows(sum); !reflect.DeepEqual(got, want) {
		t.Errorf("first run\n got %+v\nwant %+v", got, want)
	}
	failed := sum.Failed()
	if len(failed) != 1 || !strings.Contains(failed[0].Err.Error(), srv.URL+"/npm/all.zip") || !strings.Contains(failed[0].Err.Error(), "404") {
		t.Errorf("npm failure: %+v", failed)
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "Go", "stdlib"); len(got) != 1 {
		t.Errorf("Go stdlib: %q", got)
	}
	st, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	goStatus := st.Ecosystems[0]
	if goStatus.Name != "Go" || goStatus.ETag != `"go-1"` || goStatus.LastModified != "Mon, 02 Jan 2006 15:04:05 GMT" ||
		goStatus.Source != srv.URL+"/Go/all.zip" || goStatus.Records != 3 || goStatus.Withdrawn != 1 {
		t.Errorf("Go status %+v", goStatus)
	}
	db.Close()

	// Second run: both unchanged (304), nothing downloaded again.
	sum, err = Update(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]row{"Go": {0, 0, true, false}, "crates.io": {0, 0, true, false}, "npm": {0, 0, false, true}}
	if got := rows(sum); !reflect.DeepEqual(got, want) {
		t.Errorf("second run\n got %+v\nwant %+v", got, want)
	}
	for _, p := range []string{"/Go/all.zip", "/crates.io/all.zip"} {
		if req, dl := osv.counts(p); req != 2 || dl != 1 {
			t.Errorf("%s: %d requests, %d downloads; want 2 and 1", p, req, dl)
		}
	}
	if got := osv.ifModifiedSince("/Go/all.zip"); got != "Mon, 02 Jan 2006 15:04:05 GMT" {
		t.Errorf("second Go request: If-Modified-Since %q", got)
	}
	if got := osv.ifModifiedSince("/npm/all.zip"); got != "" {
		t.Errorf("npm request carried If-Modified-Since %q", got)
	}
	db = openTest(t, path)
	st2, _ := db.Status()
	if !st2.Ecosystems[0].Updated.After(goStatus.Updated) || st2.Ecosystems[0].Records != 3 {
		t.Errorf("after 304: %+v (before %+v)", st2.Ecosystems[0], goStatus)
	}
	db.Close()

	// Third run: Go now serves a damaged zip under a new ETag. Go keeps
	// its data, crates.io is still unchanged.
	osv.set("Go", []byte("this is not a zip"), `"go-2"`)
	sum, err = Update(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]row{"Go": {0, 0, false, true}, "crates.io": {0, 0, true, false}, "npm": {0, 0, false, true}}
	if got := rows(sum); !reflect.DeepEqual(got, want) {
		t.Errorf("third run\n got %+v\nwant %+v", got, want)
	}
	db = openTest(t, path)
	if got := affectedIDs(t, db, "Go", "stdlib"); len(got) != 1 {
		t.Errorf("Go data lost after a damaged download: %q", got)
	}
	st3, _ := db.Status()
	if st3.Ecosystems[0].ETag != `"go-1"` {
		t.Errorf("Go status replaced: %+v", st3.Ecosystems[0])
	}
	db.Close()

	// Fourth run: Go serves a new zip without the Windows-only record: the
	// ecosystem is replaced whole.
	members := dirMembers(t, filepath.Join(testdataOSV, "Go"))
	var kept []zipMember
	for _, m := range members {
		if m.name != "GO-2021-0051.json" {
			kept = append(kept, m)
		}
	}
	osv.set("Go", zipBytes(t, kept), `"go-3"`)
	if _, err := Update(ctx, path, opts); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, path)
	if got := affectedIDs(t, db, "Go", "github.com/labstack/echo/v4"); got != nil {
		t.Errorf("record dropped upstream still matches: %q", got)
	}
	if got := affectedIDs(t, db, "crates.io", "openssl"); len(got) != 1 {
		t.Errorf("other ecosystem lost: %q", got)
	}
}

func TestUpdateEscapesEcosystemNames(t *testing.T) {
	osv, srv := newOSVServer(t)
	rec := `{"id":"ROCKY-1","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`
	osv.set("Rocky Linux", zipBytes(t, []zipMember{{name: "ROCKY-1.json", data: []byte(rec)}}), `"r"`)
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Update(context.Background(), path, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Rocky Linux"}}); err != nil {
		t.Fatal(err)
	}
	if req, _ := osv.counts("/Rocky%20Linux/all.zip"); req != 1 {
		t.Error("escaped path /Rocky%20Linux/all.zip not requested")
	}
	if got := affectedIDs(t, openTest(t, path), "Rocky Linux:9", "openssl"); len(got) != 1 {
		t.Errorf("got %q", got)
	}
}

func TestUpdateAllFailedKeepsDatabase(t *testing.T) {
	ctx := context.Background()
	osv, srv := newOSVServer(t)
	osv.set("Go", zipBytes(t, dirMembers(t, filepath.Join(testdataOSV, "Go"))), `"1"`)
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := Update(ctx, path, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Go"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	osv.set("Go", []byte("PK\x03\x04 damaged"), `"2"`)
	sum, err := Update(ctx, path, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Go"}})
	if err == nil || sum == nil || len(sum.Failed()) != 1 {
		t.Fatalf("err = %v, summary %+v", err, sum)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("database changed although every ecosystem failed")
	}
}

func TestUpdateFileURL(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	zipPath := filepath.Join(base, "crates.io", "all.zip")
	writeZip(t, zipPath, dirMembers(t, filepath.Join(testdataOSV, "crates.io")))
	path := filepath.Join(t.TempDir(), "vuln.db")
	opts := UpdateOptions{BaseURL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(base)}).String(), Ecosystems: []string{"crates.io"}}

	sum, err := Update(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if e := sum.Ecosystems[0]; e.Stored != 4 || e.Unchanged || e.Source != zipPath {
		t.Errorf("first run %+v", e)
	}
	sum, err = Update(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if e := sum.Ecosystems[0]; !e.Unchanged {
		t.Errorf("second run %+v, want unchanged", e)
	}
	// A changed file (new modification time) is read again.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(zipPath, later, later); err != nil {
		t.Fatal(err)
	}
	opts.BaseURL = base // a plain directory works too
	sum, err = Update(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if e := sum.Ecosystems[0]; e.Unchanged || e.Stored != 4 {
		t.Errorf("third run %+v, want a fresh import", e)
	}
}

func TestUpdateLimitsAndErrors(t *testing.T) {
	ctx := context.Background()
	osv, srv := newOSVServer(t)
	osv.set("Go", zipBytes(t, dirMembers(t, filepath.Join(testdataOSV, "Go"))), `"1"`)
	tests := []struct {
		name    string
		opts    UpdateOptions
		wantErr string
	}{
		{"download too large", UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Go"}, Limits: Limits{MaxDownloadBytes: 100}}, "over the 100-byte download limit"},
		{"bad scheme", UpdateOptions{BaseURL: "ftp://example.invalid", Ecosystems: []string{"Go"}}, `unsupported scheme "ftp"`},
		{"bad ecosystem name", UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Alpine:v3.19"}}, "invalid ecosystem name"},
		{"missing file", UpdateOptions{BaseURL: t.TempDir(), Ecosystems: []string{"Go"}}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := Update(ctx, filepath.Join(t.TempDir(), "vuln.db"), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(sum.Failed()) != 1 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

func TestUpdateCancelled(t *testing.T) {
	osv, srv := newOSVServer(t)
	osv.set("npm", zipBytes(t, syntheticRecords(3000)), `"1"`)
	dir := t.TempDir()
	path := filepath.Join(dir, "vuln.db")
	if _, err := Import(context.Background(), path, []string{filepath.Join(testdataOSV, "Go")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Update(ctx, path, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"npm"}, Progress: func(eco string, done, total int) {
		if done >= 256 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "Go", "stdlib"); len(got) != 1 {
		t.Errorf("old data lost: %q", got)
	}
	if got := affectedIDs(t, db, "npm", "synthetic-1"); got != nil {
		t.Errorf("cancelled update visible: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestDefaultEcosystems(t *testing.T) {
	got := DefaultEcosystems()
	want := []string{"Go", "npm", "PyPI", "crates.io", "Packagist", "RubyGems", "Maven", "NuGet"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	got[0] = "changed"
	if DefaultEcosystems()[0] != "Go" {
		t.Error("DefaultEcosystems shares its slice")
	}
}
