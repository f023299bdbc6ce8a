package secret

import (
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLineReach(t *testing.T) {
	for _, tt := range []struct {
		expr string
		kws  []string
		want int
	}{
		// Keyword is a literal of the match; no newline can be matched.
		{`acme_[a-z0-9]{24}`, []string{"acme_"}, 0},
		// Case-insensitive keyword, split over a class and a literal.
		{`(?-i:[Aa]pi|API)[ \t]*=[ \t]*([a-z0-9]{16})`, []string{"api"}, 0},
		// Each \s may be a newline: three of them.
		{`(?i)(?:secret|token)\s?[:=]\s?"?\s?([a-z0-9]{16})`, []string{"secret", "token"}, 3},
		// Alternation factored by the parser: f(?:o1_|m1[ar]_|m2_).
		{`\b(?:fo1_[\w-]{4}|fm1[ar]_[a-z]{4}|fm2_[a-z]{4})`, []string{"fo1_", "fm1", "fm2_"}, 0},
		{`xox[pe](?:-[0-9]{2,3}){3}-[a-z]{4}`, []string{"xoxp-", "xoxe-"}, 0},
		// One branch holds no keyword: a match may lie anywhere in the file.
		{`(?:tok_[a-z]{8}|[a-f0-9]{40})`, []string{"tok_"}, -1},
		// The keyword is optional.
		{`(?:acme_)?[a-z0-9]{24}`, []string{"acme_"}, -1},
		// A dot is any character, so "hooks.example" need not appear.
		{`hooks.example/[a-z]{8}`, []string{"hooks.example"}, -1},
		// Unbounded newlines.
		{`acme\s*=\s*"([a-z]{8})"`, []string{"acme"}, -1},
		{`acme[^"]{3,}"`, []string{"acme"}, -1},
		// Anchored at the start of the text.
		{`^acme_[a-z]{8}`, []string{"acme_"}, -1},
		// No keywords, or a keyword the regexp does not hold.
		{`acme_[a-z]{8}`, nil, -1},
		{`acme_[a-z]{8}`, []string{"other"}, -1},
	} {
		if got := lineReach(tt.expr, tt.kws); got != tt.want {
			t.Errorf("lineReach(%q, %q) = %d, want %d", tt.expr, tt.kws, got, tt.want)
		}
	}
}

func TestMaxMatchLen(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want int
	}{
		{`acme_[a-z0-9]{24}`, 29},
		{`(?i)acme_[a-z]{2,4}`, 17}, // [a-z] folds to the Kelvin sign and long s
		{`\b(?:ab|abcd)\b`, 4},
		{`x[^a]`, 5}, // a negated class reaches multi-byte runes
		{`(?i)k`, 3}, // the Kelvin sign
		{`(?i)a`, 1},
		{`a.b`, 6},       // any character: up to 4 bytes
		{`acme\s*=`, -1}, // unbounded
		{`acme(?:[a-z]{3,})?`, -1},
		{`acme(?:)*`, 4}, // an empty loop adds nothing
	} {
		if got := maxMatchLen(tt.expr); got != tt.want {
			t.Errorf("maxMatchLen(%q) = %d, want %d", tt.expr, got, tt.want)
		}
	}
}

func TestLineWindow(t *testing.T) {
	content := []byte("l1\nl2\nl3 key here\nl4\nl5\n")
	hit := strings.Index(string(content), "key")
	for _, tt := range []struct {
		reach int
		want  string
	}{
		{0, "l3 key here\n"},
		{1, "l2\nl3 key here\nl4\n"},
		{5, string(content)},
	} {
		s, e := lineWindow(content, hit, hit+3, tt.reach)
		if got := string(content[s:e]); got != tt.want {
			t.Errorf("reach %d: %q, want %q", tt.reach, got, tt.want)
		}
	}
	// A file without newlines: the window is bounded.
	long := []byte(strings.Repeat("x", 100*maxSpan) + "key" + strings.Repeat("y", 100*maxSpan))
	hit = 100 * maxSpan
	if s, e := lineWindow(long, hit, hit+3, 1); e-s > 4*maxSpan+3 {
		t.Errorf("window of %d bytes in a file without newlines", e-s)
	}
}

// windowedRules is a gitleaks configuration in the shapes of gitleaks'
// default rules: assignments whose separators may be newlines.
const windowedRules = `
[[rules]]
id = "acme-key"
regex = '''(?i)[\w.-]{0,20}?(?:acme|widget)(?:[ \t\w.-]{0,10})[\s'"]{0,3}(?:=|:|=>)[\x60'"\s=]{0,5}([a-z0-9]{16,40})(?:[\x60'"\s;]|$)'''
keywords = ["acme", "widget"]
entropy = 2.5

[[rules]]
id = "bravo-secret"
regex = '''[\w.-]{0,8}?(?i:[\w.-]{0,8}?(?:bravo|BRV_KEY)(?:[ \t\w.-]{0,6})[\s'"]{0,2})(?:=|:)[\s'"]{0,3}([a-z0-9]{8,}|zz[a-z]{3,})(?:['"\s;]|$)'''
keywords = ["bravo", "brv_key"]

[[rules]]
id = "delta-key"
regex = '''\bdelta_(?:[a-z]{4}|[0-9]{6})\b'''
keywords = ["delta_"]

[[rules]]
id = "zeta-token"
regex = '''\b(zt_[a-zA-Z0-9]{20})(?:['"\s;]|$)'''
keywords = ["zt_"]
`

// TestWindowedSameAsWholeFile checks that running windowed rules on the
// lines around keyword hits finds exactly what a run over the whole file
// finds, on generated files with matches that cross lines.
func TestWindowedSameAsWholeFile(t *testing.T) {
	windowed, err := ParseGitleaksConfig("windowed.toml", []byte(windowedRules))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := ParseGitleaksConfig("whole.toml", []byte(windowedRules))
	if err != nil {
		t.Fatal(err)
	}
	fast := map[string]string{}
	for _, r := range windowed.Rules() {
		switch {
		case r.anchor != nil:
			fast[r.ID] = "anchored"
		case r.windowed:
			fast[r.ID] = "windowed"
		}
	}
	if want := map[string]string{"acme-key": "anchored", "zeta-token": "windowed", "bravo-secret": "anchored",
		"delta-key": "windowed"}; !maps.Equal(fast, want) {
		t.Fatalf("fast paths %v, want %v", fast, want)
	}
	for _, r := range whole.Rules() {
		r.windowed, r.anchor = false, nil
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	pieces := []func() string{
		func() string { return "some ordinary text about nothing" },
		func() string { return "acme" },
		func() string { return "widget_id" },
		func() string { return "\n" },
		func() string { return " = " },
		func() string { return ":\n  \"" },
		func() string { return randomToken(rnd, 24) },
		func() string { return "zt_" + randomToken(rnd, 20) + "\n" },
		func() string { return "x.bravo" },
		func() string { return "BRV_KEY" },
		func() string { return "my_" },
		func() string { return "zzabc" },
		func() string { return "delta_" },
		func() string { return ": " },
		func() string { return "é" },
		func() string { return "'" },
		func() string { return strings.Repeat("\n", rnd.IntN(4)) },
	}
	compare(t, NewDetector(windowed), NewDetector(whole), func(i int) []byte {
		var b strings.Builder
		for range 50 + rnd.IntN(200) {
			b.WriteString(pieces[rnd.IntN(len(pieces))]())
		}
		return []byte(b.String())
	}, 500)
}

// TestWindowedSameAsWholeFileGitleaksDefaults does the same with a real
// gitleaks configuration named by REDLINE_SECRET_CONFIG (gitleaks'
// config/gitleaks.toml) over the files of REDLINE_SECRET_TREE.
func TestWindowedSameAsWholeFileGitleaksDefaults(t *testing.T) {
	p, root := os.Getenv("REDLINE_SECRET_CONFIG"), os.Getenv("REDLINE_SECRET_TREE")
	if p == "" || root == "" {
		t.Skip("set REDLINE_SECRET_CONFIG to gitleaks' config/gitleaks.toml and REDLINE_SECRET_TREE to a directory")
	}
	windowed, err := LoadGitleaksConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := LoadGitleaksConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range whole.Rules() {
		r.windowed, r.anchor = false, nil
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil && info.Size() <= DefaultMaxFileSize {
				files = append(files, p)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, NewDetector(windowed), NewDetector(whole), func(i int) []byte {
		b, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, len(files))
}

func compare(t *testing.T, windowed, whole *Detector, gen func(int) []byte, n int) {
	t.Helper()
	found := 0
	for i := range n {
		content := gen(i)
		got, want := describe(windowed.Detect("f.txt", content)), describe(whole.Detect("f.txt", content))
		found += len(want)
		if !slices.Equal(got, want) {
			t.Errorf("file %d:\nwindowed: %q\nwhole file: %q", i, got, want)
		}
	}
	if found == 0 {
		t.Fatal("no matches at all: the comparison proves nothing")
	}
	t.Logf("%d files, %d matches, same in both modes", n, found)
}

func describe(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%s:%d:%d-%d:%s", m.Rule.ID, m.Line, m.Start, m.End, m.Secret)
	}
	return out
}

func randomToken(rnd *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rnd.IntN(len(chars))]
	}
	return string(b)
}

// TestAnchorFindSameAsRegexp compares anchor.find with the whole regexp's
// FindAllSubmatchIndex, match starts included, on inputs with invalid
// UTF-8, runs of two classes and hits inside earlier matches.
func TestAnchorFindSameAsRegexp(t *testing.T) {
	for _, tt := range []struct {
		expr     string
		keywords []string
		inputs   []string
	}{
		{`[^"]{0,5}?tok_([a-z]{4})`, []string{"tok_"}, []string{
			"\xffab tok_abcd", "x\"y tok_abcd tok_efgh", "tok_tok_abcd", "\xff\xfe\xfdtok_zzzz",
		}},
		{`[a-z]{0,3}?[\w.-]{0,4}?(?:key|token)\s*=\s*([0-9a-f]{6})`, []string{"key", "token"}, []string{
			"abc.de_key = 00ff00", "my.api.key=abcdef token = 123456", "xxxxxxxxkey=abcdef", "key=zz key =\n010203",
		}},
	} {
		a := anchorOf(tt.expr, tt.keywords)
		if a == nil {
			t.Fatalf("%q: no anchored form", tt.expr)
		}
		whole := regexp.MustCompile(tt.expr)
		ac := newMatcher(tt.keywords)
		for _, in := range tt.inputs {
			content := []byte(in)
			var hits []int
			ac.scan(content, func(kw, end int) { hits = append(hits, end-ac.lengths[kw]) })
			slices.Sort(hits)
			got, want := a.find(content, hits), whole.FindAllSubmatchIndex(content, -1)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q on %q: anchored %v, whole %v", tt.expr, in, got, want)
			}
		}
	}
}

// FuzzFastPathsSameAsWholeFile checks on arbitrary content that the
// anchored and windowed rules find what a whole-file run finds.
func FuzzFastPathsSameAsWholeFile(f *testing.F) {
	fast, err := ParseGitleaksConfig("fast.toml", []byte(windowedRules))
	if err != nil {
		f.Fatal(err)
	}
	whole, err := ParseGitleaksConfig("whole.toml", []byte(windowedRules))
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range whole.Rules() {
		r.windowed, r.anchor = false, nil
	}
	fd, wd := NewDetector(fast), NewDetector(whole)
	for _, s := range []string{"x.acme = 'k3v9q2m7x4p8z1w6'\n", "my_BRV_KEY:\n zzabcd", "zt_abcdefghij0123456789\n", "\xffbravo: 12345678", "delta_abcd"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		for _, binary := range []bool{false, true} {
			var got, want []Match
			if binary {
				got, want = fd.DetectBinary("f", content), wd.DetectBinary("f", content)
			} else {
				got, want = fd.Detect("f", content), wd.Detect("f", content)
			}
			if g, w := describe(got), describe(want); !slices.Equal(g, w) {
				t.Fatalf("binary=%v: fast %q, whole file %q", binary, g, w)
			}
		}
	})
}
