package vulndb

import (
	"reflect"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	entries := []Affected{
		{
			Package:  "stdlib",
			Severity: "high",
			Ranges: []Range{
				{Type: RangeSemver, Events: []Event{{Introduced: "0"}, {Fixed: "1.18.6"}, {LastAffected: "1.19.0"}, {Limit: "2.0.0"}}},
				{Type: RangeGit, Repo: "https://go.googlesource.com/go", Events: []Event{}},
			},
			Versions: []string{"1.0", "1.1"},
			Imports:  []GoImport{{Path: "net/http", GOOS: []string{"windows"}, GOARCH: []string{"amd64"}, Symbols: []string{"Serve"}}},
		},
		{Package: "x"},
	}
	got, err := decodeAffected(encodeAffected(nil, entries))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, entries) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, entries)
	}
}

func TestCodecRejectsDamage(t *testing.T) {
	good := encodeAffected(nil, []Affected{{Package: "p", Ranges: []Range{{Type: "SEMVER", Events: []Event{{Fixed: "1"}}}}}})
	for i := 0; i < len(good); i++ {
		if _, err := decodeAffected(good[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
	if _, err := decodeAffected(append(append([]byte{}, good...), 0)); err == nil {
		t.Error("trailing byte: no error")
	}
	if _, err := decodeAffected([]byte{codecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("huge count: no error")
	}
	if _, err := decodeAffected([]byte{9, 0}); err == nil {
		t.Error("unknown version: no error")
	}
}

func FuzzDecodeAffected(f *testing.F) {
	f.Add(encodeAffected(nil, []Affected{{Package: "p", Versions: []string{"1"}}}))
	f.Add([]byte{codecVersion, 1, 1, 'p', 0, 1, 1, 'S', 0, 1, eventFixed, 1, '1', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeAffected(data)
		if err != nil {
			return
		}
		back, err := decodeAffected(encodeAffected(nil, entries))
		if err != nil || len(back) != len(entries) {
			t.Fatalf("re-encoded entries do not decode: %v", err)
		}
	})
}
