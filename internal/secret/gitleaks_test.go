package secret

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestGitleaksConfigExtend(t *testing.T) {
	rs, err := LoadGitleaksConfig("testdata/gitleaks-extend.toml")
	if err != nil {
		t.Fatal(err)
	}
	if rs.Len() != Default().Len() { // one added, one disabled
		t.Errorf("%d rules, want %d", rs.Len(), Default().Len())
	}
	det := NewDetector(rs)
	for _, tt := range []struct {
		path, content string
		want          []string
	}{
		{"a.txt", "t = acme_k3v9q2m7x4p8z1w6r5t0y2u7", []string{"acme-internal-token"}},
		{"a.txt", "t = acme_000000000000000000000000", nil},           // rule allowlist
		{"fixtures/a.txt", "t = acme_k3v9q2m7x4p8z1w6r5t0y2u7", nil},  // global path allowlist
		{"a.txt", "t = acme_notasecretk3v9q2m7x4p8z1", nil},           // global stopword
		{"a.txt", `token: "` + fakeGHP + `"`, []string{"github-pat"}}, // defaults kept
		{"a.txt", `DB_PASSWORD="Xq7#mZ2v!Lp9wT4k"`, nil},              // disabled
		{"go.sum", "t = acme_k3v9q2m7x4p8z1w6r5t0y2u7", nil},          // default allowlist kept
	} {
		if got := ruleIDs(det.Detect(tt.path, []byte(tt.content))); !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: got %v, want %v", tt.path, tt.content, got, tt.want)
		}
	}
}

func TestGitleaksConfigOwnRulesOnly(t *testing.T) {
	rs, err := LoadGitleaksConfig("testdata/gitleaks-own.toml")
	if err != nil {
		t.Fatal(err)
	}
	if rs.Len() != 1 {
		t.Fatalf("%d rules, want 1", rs.Len())
	}
	det := NewDetector(rs)
	line := `ACME_TOKEN = "k3v9q2m7x4p8z1w6r5t0y2u7"`
	ms := det.Detect("prod.env", []byte(line+"\ntoken: \""+fakeGHP+"\""))
	if len(ms) != 1 || ms[0].Secret != "k3v9q2m7x4p8z1w6r5t0y2u7" || ms[0].Line != 1 {
		t.Errorf("got %+v", ms)
	}
	if ms := det.Detect("prod.yaml", []byte(line)); len(ms) != 0 {
		t.Errorf("path condition ignored: %+v", ms)
	}
	// Like gitleaks, a configured rule also runs on binary files.
	if ms := det.DetectBinary("disk.env", []byte("\x00\x01\n"+line)); len(ms) != 1 || ms[0].Line != 2 {
		t.Errorf("binary file: got %+v", ms)
	}
}

func TestGitleaksConfigErrors(t *testing.T) {
	for _, tt := range []struct{ name, toml, want string }{
		{"bad regex", "[[rules]]\nid = \"x\"\nregex = '''a(b'''\n", "rule x: regex"},
		{"no id", "[[rules]]\nregex = 'a'\n", "missing id"},
		{"unknown key", "[[rules]]\nid = \"x\"\nregex = 'a'\nbogus = 1\n", "unsupported key"},
		{"unknown condition", "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules.allowlists]]\ncondition = \"XOR\"\n", "condition \"XOR\""},
		{"unknown target rule", "[[rules]]\nid = \"x\"\nregex = 'a'\n[[allowlists]]\ntargetRules = [\"y\"]\nregexes = ['a']\n", "target rule y"},
		{"deep nesting", "a = " + strings.Repeat("[", 100), "test.toml:1"},
		{"syntax", "[[rules]\n", "parse test.toml"},
		{"duplicate", "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules]]\nid = \"x\"\nregex = 'b'\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGitleaksConfig("test.toml", []byte(tt.toml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGitleaksConfigAllowlists(t *testing.T) {
	rs, err := LoadGitleaksConfig("testdata/gitleaks-allowlists.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rs.Warnings(), []string{"rule composite: composite rules ([[rules.required]], skipReport) are not supported; rule skipped"}; !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if rs.Len() != 2 {
		t.Errorf("%d rules, want 2", rs.Len())
	}
	det := NewDetector(rs)
	for _, tt := range []struct {
		path, content string
		want          []string
	}{
		{"a.txt", "tok_k3v9q2m7x4p8", []string{"tok"}},
		{"a.txt", "tok_k3v9q2m7x4p8 # test-fixture", nil},               // line target
		{"a.txt", "tok_0000q2m7x4p8", nil},                              // secret target
		{"a.bb", `SRC = "tok_k3v9q2m7x4p8"`, nil},                       // AND: path and line
		{"a.txt", `SRC = "tok_k3v9q2m7x4p8"`, []string{"tok"}},          // AND: path does not hold
		{"a.bb", `x = "tok_k3v9q2m7x4p8"`, []string{"tok"}},             // AND: line does not hold
		{"a.txt", "tok_k3v9q2m7x4p8 tok_k3v9q2m7x4pZ", []string{"tok"}}, // target rule: match
		{"a.txt", "other_k3v9q2m7x4pZ", []string{"other"}},              // target list not global
		{"a.txt", "tok_k3v9q2m7x4pC commit-only", []string{"tok"}},      // AND with commits never allows
	} {
		if got := ruleIDs(det.Detect(tt.path, []byte(tt.content))); !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: got %v, want %v", tt.path, tt.content, got, tt.want)
		}
	}
}

func FuzzGitleaksConfig(f *testing.F) {
	for _, p := range []string{"testdata/gitleaks-extend.toml", "testdata/gitleaks-own.toml", "testdata/gitleaks-allowlists.toml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseGitleaksConfig("fuzz.toml", data)
		if err != nil {
			return
		}
		// Whatever loads must run.
		NewDetector(rs).Detect("a.env", []byte("tok_k3v9q2m7x4p8 acme_k3v9q2m7x4p8z1w6r5t0y2u7\x00"))
	})
}
