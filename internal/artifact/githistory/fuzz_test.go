package githistory

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// FuzzCreatedBy checks that any author name and message, as a hostile
// repository may hold them, give a one-line CreatedBy without control
// characters and with the subject bounded.
func FuzzCreatedBy(f *testing.F) {
	f.Add("Ada Lovelace", "first\n\nbody")
	f.Add("\x1b[31mred", "\r\n\x00subject\x07 with bell")
	f.Add("", strings.Repeat("é", 200))
	f.Add("名前", "\xff\xfe invalid utf-8")
	f.Fuzz(func(t *testing.T, name, msg string) {
		c := &object.Commit{Author: object.Signature{Name: name, When: t0}, Message: msg}
		got := createdBy(c)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U in %q", r, got)
			}
		}
		if !strings.HasPrefix(got, "2024-03-01T12:00:00Z") {
			t.Fatalf("no date prefix: %q", got)
		}
		if n := utf8.RuneCountInString(got); n > len("2024-03-01T12:00:00Z")+2+utf8.RuneCountInString(name)+maxSubject {
			t.Fatalf("too long (%d runes): %q", n, got)
		}
	})
}
