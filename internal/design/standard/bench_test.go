package standard

import (
	"os"
	"testing"
)

// BenchmarkParse parses a standard with custom rules and a checklist: the
// cost of loading a published standard for a review.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"testdata/corp.yaml", "testdata/corp-checklist.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name[len("testdata/"):], func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
