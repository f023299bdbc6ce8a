package kubernetes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

// FuzzAnalyze feeds arbitrary bytes to the decoder and checks: it must not
// panic, and every finding names a catalogued rule and a line inside the file.
func FuzzAnalyze(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/psa/v1.35/restricted/fail/*.yaml")
	seeds = append(append(seeds, "testdata/pod.json"), more[:10]...)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [&a {apiVersion: v1, kind: Pod, spec: {containers: [{}]}}, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, _ := analyze(walk.BytesFile("f.yaml", data), data)
		lines := strings.Count(string(data), "\n") + 1
		for _, x := range fs {
			if _, ok := catalogue[x.RuleID]; !ok {
				t.Fatalf("unknown rule %s", x.RuleID)
			}
			if x.Location.Line < 1 || x.Location.Line > lines {
				t.Fatalf("%s at line %d of a %d-line file", x.RuleID, x.Location.Line, lines)
			}
		}
	})
}
