package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type zipMember struct {
	name string
	data []byte
}

// zipBytes builds a zip of members, deflated.
func zipBytes(t testing.TB, members []zipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeZip(t testing.TB, path string, members []zipMember) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, zipBytes(t, members), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dirMembers returns the *.json files of a testdata directory as zip
// members, as the public bucket's all.zip holds them.
func dirMembers(t testing.TB, dir string) []zipMember {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []zipMember
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, zipMember{name: filepath.Base(f), data: data})
	}
	return out
}

// syntheticRecords makes n small valid npm records.
func syntheticRecords(n int) []zipMember {
	out := make([]zipMember, n)
	for i := range out {
		id := fmt.Sprintf("SYN-%05d", i)
		rec := fmt.Sprintf(`{"id":%q,"affected":[{"package":{"ecosystem":"npm","name":"synthetic-%d"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.%d"}]}]}]}`, id, i, i)
		out[i] = zipMember{name: id + ".json", data: []byte(rec)}
	}
	return out
}

func TestImportZip(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "Go", "all.zip")
	members := append(dirMembers(t, filepath.Join(testdataOSV, "Go")),
		zipMember{name: "README.txt", data: []byte("not a record")},
		zipMember{name: "bad.json", data: []byte("{")})
	writeZip(t, zipPath, members)
	path := filepath.Join(t.TempDir(), "vuln.db")
	var calls, last, total int
	sum, err := Import(context.Background(), path, []string{zipPath}, ImportOptions{Progress: func(eco string, done, tot int) {
		calls++
		last, total = done, tot
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != 5 || total != 5 {
		t.Errorf("progress: %d calls, last %d/%d; want last 5/5", calls, last, total)
	}
	if sum.Malformed != 1 || !strings.HasPrefix(sum.MalformedFiles[0], zipPath+"!bad.json: ") {
		t.Errorf("malformed %d %q", sum.Malformed, sum.MalformedFiles)
	}
	if len(sum.Ecosystems) != 1 || sum.Ecosystems[0].Stored != 3 || sum.Ecosystems[0].Withdrawn != 1 {
		t.Errorf("summary %+v", sum.Ecosystems)
	}
	if got := affectedIDs(t, openTest(t, path), "Go", "toolchain"); len(got) != 1 {
		t.Errorf("toolchain: %q", got)
	}
}

func TestImportManySyntheticRecordsInOrder(t *testing.T) {
	// More records than one batch and the reorder window, with duplicates:
	// the last copy of an id in input order must win.
	const batch, n = 700, reorderWindow + 1000
	members := syntheticRecords(n)
	dup := `{"id":"SYN-00003","summary":"last copy","affected":[{"package":{"ecosystem":"npm","name":"moved"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`
	members = append(members, zipMember{name: "dup.json", data: []byte(dup)})
	zipPath := filepath.Join(t.TempDir(), "all.zip")
	writeZip(t, zipPath, members)
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := importPaths(context.Background(), path, []string{zipPath}, ImportOptions{}, batch); err != nil {
		t.Fatal(err)
	}
	db := openTest(t, path)
	if got := affectedIDs(t, db, "npm", "synthetic-3"); got != nil {
		t.Errorf("replaced copy still indexed: %q", got)
	}
	if got := affectedIDs(t, db, "npm", "moved"); len(got) != 1 {
		t.Errorf("last copy not indexed: %q", got)
	}
	if got := affectedIDs(t, db, "npm", fmt.Sprint("synthetic-", n-1)); len(got) != 1 {
		t.Errorf("record of the second batch: %q", got)
	}
	st, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Ecosystems[0].Records != n {
		t.Errorf("records = %d, want %d", st.Ecosystems[0].Records, n)
	}
}

func TestZipLimits(t *testing.T) {
	ctx := context.Background()
	big := syntheticRecords(1)[0]
	big.data = append(bytes.TrimSuffix(big.data, []byte("}")), []byte(`,"details":"`+strings.Repeat("x", 4096)+`"}`)...)
	tests := []struct {
		name      string
		members   []zipMember
		limits    Limits
		wantErr   string // "" for success
		malformed int
	}{
		{"too many members", syntheticRecords(20), Limits{MaxZipMembers: 10}, "20 entries (limit 10)", 0},
		{"directory too large", syntheticRecords(2000), Limits{MaxZipMembers: 1}, "directory larger than", 0},
		{"zip bomb", syntheticRecords(50), Limits{MaxZipBytes: 2000}, "zip bomb", 0},
		{"record too large", []zipMember{big, syntheticRecords(2)[1]}, Limits{MaxRecordBytes: 1024}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zipPath := filepath.Join(t.TempDir(), "all.zip")
			writeZip(t, zipPath, tt.members)
			path := filepath.Join(t.TempDir(), "vuln.db")
			sum, err := Import(ctx, path, []string{zipPath}, ImportOptions{Limits: tt.limits})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
					t.Error("a database was written")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Malformed != tt.malformed || !strings.Contains(strings.Join(sum.MalformedFiles, "\n"), "record too large") {
				t.Errorf("malformed %d %q", sum.Malformed, sum.MalformedFiles)
			}
		})
	}
}

func TestCorruptZipIsAnError(t *testing.T) {
	good := zipBytes(t, syntheticRecords(3))
	tests := map[string][]byte{
		"truncated": good[:len(good)/2],
		"garbage":   []byte(strings.Repeat("PK garbage ", 100)),
		// Damage the first member's compressed data but keep the directory.
		"bad member": func() []byte {
			b := bytes.Clone(good)
			for i := 40; i < 60; i++ {
				b[i] ^= 0xff
			}
			return b
		}(),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			zipPath := filepath.Join(t.TempDir(), "all.zip")
			if err := os.WriteFile(zipPath, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Import(context.Background(), filepath.Join(t.TempDir(), "vuln.db"), []string{zipPath}, ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), "zip") {
				t.Errorf("err = %v, want a zip error", err)
			}
		})
	}
}

// FuzzZipReader feeds arbitrary bytes to the zip reader with small limits:
// it must never panic, never read past the limits and never hand out more
// records than the zip has members.
func FuzzZipReader(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input, which takes long
	// for large ones.
	f.Add(zipBytes(f, []zipMember{{name: "RUSTSEC-2020-0053.json", data: readTestRecord(f, "crates.io/RUSTSEC-2020-0053.json")}}))
	f.Add(zipBytes(f, syntheticRecords(2)))
	f.Add(zipBytes(f, []zipMember{{name: "dir/", data: nil}, {name: "x.json", data: []byte("{")}}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	lim := Limits{MaxRecordBytes: 4096, MaxZipMembers: 64, MaxZipBytes: 64 << 10}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := newArchive("fuzz.zip", bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		if len(a.members) > lim.MaxZipMembers {
			t.Fatalf("%d members past the limit", len(a.members))
		}
		var read int64
		for _, m := range a.members {
			b, err := a.readMember(m, lim.MaxRecordBytes)
			if int64(len(b)) > lim.MaxRecordBytes {
				t.Fatalf("read %d bytes, limit %d", len(b), lim.MaxRecordBytes)
			}
			read += int64(len(b))
			var zerr *zipError
			if errors.As(err, &zerr) {
				break
			}
			if err == nil {
				_, _ = parseRecord(b)
			}
		}
		if read > lim.MaxZipBytes {
			t.Fatalf("read %d bytes from the zip, limit %d", read, lim.MaxZipBytes)
		}
	})
}
