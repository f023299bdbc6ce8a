package secret

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// Made-up token values of real shapes.
const (
	fakeGHP   = "ghp_Zr4Xk9QmV2pL7tY3wN8bC5dF1gH6jK0sA2eR"
	fakeAKID  = "AKIAZ7QK3XN5M2PLW4RT"
	fakeAWSSK = "k9Vb2xQ7mZ3pL8tY5wN1cR4dF6gH0jS2eA7uI9oP"
)

func detectIDs(t *testing.T, path, content string) []string {
	t.Helper()
	return ruleIDs(NewDetector(Default()).Detect(path, []byte(content)))
}

func TestDetectFilters(t *testing.T) {
	tests := []struct {
		name, path, content string
		want                []string
	}{
		{"plain", "main.go", `token := "` + fakeGHP + `"`, []string{"github-pat"}},
		{"inline allow", "main.go", `token := "` + fakeGHP + `" // redline:allow`, nil},
		{"gitleaks inline allow", "main.go", `token := "` + fakeGHP + `" // gitleaks:allow`, nil},
		{"allow marker on another line", "main.go", "// redline:allow\ntoken := \"" + fakeGHP + "\"", []string{"github-pat"}},
		{"lockfile path", "web/package-lock.json", `"x": "` + fakeGHP + `"`, nil},
		{"go.sum path", "go.sum", fakeGHP, nil},
		{"aws example key allowlisted", "x.env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", nil},
		{"generic high entropy", "app.env", `DB_PASSWORD="Xq7#mZ2v!Lp9wT4k"`, []string{"generic-password"}},
		{"generic low entropy", "app.env", `DB_PASSWORD="aaaaaaaabbbbbbbb"`, nil},
		{"stopword changeme", "app.env", `DB_PASSWORD="Changeme-2024-Xk9"`, nil},
		{"stopword example", "app.env", `api_key = "example-Zk39Qm7vLp2w"`, nil},
		{"placeholder env var", "app.env", `password: "${DB_PASSWORD}"`, nil},
		{"placeholder angle", "app.env", `token = "<token>"`, nil},
		{"placeholder xxxx", "app.env", `secret = "xxxxxxxxxxxxxxxxxxxx"`, nil},
		{"code not a literal", "main.go", `password = cfg.Database.Password`, nil},
		{"specific beats generic", "aws.env", `aws_secret_access_key = "` + fakeAWSSK + `"`, []string{"aws-secret-access-key"}},
		{"aws pair reported once", "creds", "aws_access_key_id = " + fakeAKID + "\naws_secret_access_key = " + fakeAWSSK + "\n", []string{"aws-access-key-pair"}},
		{"aws pair too far apart", "creds", "aws_access_key_id = " + fakeAKID + strings.Repeat("\n", 9) + "aws_secret_access_key = " + fakeAWSSK + "\n",
			[]string{"aws-access-key-id", "aws-secret-access-key"}},
		{"dingtalk webhook", "alert.yaml", "url: https://oapi.dingtalk.com/robot/send?access_token=" + strings.Repeat("3f9a", 16), []string{"dingtalk-robot-webhook"}},
		{"alibaba id", "a.ini", "access_key_id = LTAI5tQ8mZ3kX9vL2pW7nR4c", []string{"alibaba-access-key-id"}},
		{"postgres url", "cfg.yaml", "dsn: postgres://app:Zq8vL2pXr9w@db.internal:5432/app", []string{"postgres-url-password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detectIDs(t, tt.path, tt.content)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLineNumbers(t *testing.T) {
	content := "a\nb\n\nkey = \"" + fakeGHP + "\"\n" + "x\n" + "t: " + "npm_" + strings.Repeat("aB3", 12) + "\n"
	ms := NewDetector(Default()).Detect("f", []byte(content))
	var got []int
	for _, m := range ms {
		got = append(got, m.Line)
	}
	if !slices.Equal(got, []int{4, 6}) {
		t.Errorf("lines %v, want [4 6] (%v)", got, ruleIDs(ms))
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		fakeGHP:            "ghp_…A2eR",
		"Xq7#mZ2v!Lp9wT4k": "Xq7#…wT4k",
		"short-pw":         "sh…",
		"abc":              "…",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// No field of a finding holds the whole secret.
func TestFindingsNeverHoldTheSecret(t *testing.T) {
	var c finding.Collector
	a := NewAnalyzer(Default(), &c, Options{})
	secrets := []string{fakeGHP, fakeAKID, fakeAWSSK, "Xq7#mZ2v!Lp9wT4k"}
	content := "token = \"" + fakeGHP + "\"\naws_access_key_id=" + fakeAKID + "\naws_secret_access_key=" + fakeAWSSK + "\npassword = \"Xq7#mZ2v!Lp9wT4k\"\n"
	f := walk.BytesFile("conf/app.env", []byte(content))
	f.Layer, f.CreatedBy = "sha256:abc", "COPY . /app"
	if err := a.Analyze(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	fs := c.Findings()
	if len(fs) != 3 {
		t.Fatalf("%d findings, want 3: %+v", len(fs), fs)
	}
	for _, f := range fs {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("finding %s holds a whole secret: %s", f.RuleID, b)
			}
		}
		if f.Kind != finding.KindSecret || f.Location.Layer != "sha256:abc" || f.Location.CreatedBy != "COPY . /app" || f.Location.Line == 0 || f.Evidence == "" || f.Fix == nil {
			t.Errorf("incomplete finding %+v", f)
		}
	}
}

func TestAnalyzerWantsAndSkips(t *testing.T) {
	var c finding.Collector
	a := NewAnalyzer(Default(), &c, Options{MaxFileSize: 64})
	dir := t.TempDir()
	write := func(name string, data []byte) os.FileInfo {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	small := write("a.txt", []byte("x"))
	big := write("b.txt", make([]byte, 65))
	for _, tt := range []struct {
		path string
		info os.FileInfo
		want bool
	}{
		{"a.txt", small, true}, {"b.txt", big, false}, {"img.png", small, false},
		{"go.sum", small, false}, {"certs/client.p12", big, true},
	} {
		if got := a.Wants(tt.path, tt.info); got != tt.want {
			t.Errorf("Wants(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
	// The file left out for its size is reported once, then forgotten.
	sum := a.Summary()
	if len(sum) != 1 || sum[0].Path != "b.txt" || !strings.Contains(sum[0].Message, "1 file(s) larger than the secret scanner's 64 bytes limit") {
		t.Errorf("summary %+v", sum)
	}
	if again := a.Summary(); again != nil {
		t.Errorf("summary repeated: %+v", again)
	}
	// A NUL in the first 8 KiB marks a binary file: only path rules apply.
	bin := append([]byte("\x00\x01"), []byte(fakeGHP)...)
	if err := a.Analyze(context.Background(), walk.BytesFile("tool.bin", bin)); err != nil {
		t.Fatal(err)
	}
	if err := a.Analyze(context.Background(), walk.BytesFile("keys/client.pfx", bin)); err != nil {
		t.Fatal(err)
	}
	// Binary files are skipped by default (system libraries carry test
	// keys); with ScanBinaries, PEM blocks inside them (disk images) are found.
	pemKey := "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("TUlJRXBBSUJBQUtDQVFFQTN6ZmFrZWtleWJvZHlmb3J0ZXN0cw==\n", 3) + "-----END RSA PRIVATE KEY-----\n"
	img := []byte("\x00\x00\n" + pemKey)
	if err := NewAnalyzer(Default(), &c, Options{}).Analyze(context.Background(), walk.BytesFile("lib.so.1", img)); err != nil {
		t.Fatal(err)
	}
	full := NewAnalyzer(Default(), &c, Options{ScanBinaries: true})
	if err := full.Analyze(context.Background(), walk.BytesFile("disk.img", img)); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range c.Findings() {
		ids = append(ids, f.RuleID+":"+f.Location.String())
	}
	if want := []string{"private-key-rsa:disk.img:2", "pkcs12-file:keys/client.pfx"}; !slices.Equal(ids, want) {
		t.Errorf("findings %v, want %v", ids, want)
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"token = \"" + fakeGHP + "\"", "kind: Secret\ndata:\n  a: YWJjZGVm\n", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
		"postgres://u:p4ssw0rdX@h/db", manual["jwt"][0], manual["docker-config-auth"][0],
		"t: " + base64.StdEncoding.EncodeToString([]byte("token = \""+fakeGHP+"\"")) + "\n"} {
		f.Add([]byte(s))
	}
	det := NewDetector(Default())
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range det.Detect("fuzz.txt", data) {
			if m.Start < 0 || m.End > len(data) || m.Start > m.End {
				t.Fatalf("%s: bad span %d..%d of %d", m.Rule.ID, m.Start, m.End, len(data))
			}
			if m.Encoding == "" && string(data[m.Start:m.End]) != m.Secret {
				t.Fatalf("%s: span %d..%d does not hold the secret", m.Rule.ID, m.Start, m.End)
			}
			if m.Encoding != "" && (m.End-m.Start < minEncodedRun || bytes.ContainsFunc(data[m.Start:m.End], func(r rune) bool { return r != '=' && (r > 0xff || !b64Class[r]) })) {
				t.Fatalf("%s: encoded span %q is not a base64 run", m.Rule.ID, data[m.Start:m.End])
			}
			if m.Line < 1 || m.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("%s: line %d out of range", m.Rule.ID, m.Line)
			}
			if r := Redact(m.Secret); len(m.Secret) >= 6 && strings.Contains(r, m.Secret) {
				t.Fatalf("redaction shows the secret")
			}
		}
	})
}

// dpkg's status file pairs conffile paths with MD5 sums; with "passwd" in
// a path that reads like a password assignment. Package databases are
// skipped.
func TestPackageDatabasesSkipped(t *testing.T) {
	d := NewDetector(Default())
	line := []byte("Conffiles:\n /etc/pam.d/chpasswd 9900720564cb4ee98b7da29e2d183cb2\n")
	for _, p := range []string{"var/lib/dpkg/status", "var/lib/dpkg/status-old", "lib/apk/db/installed"} {
		if !d.SkipPath(p) {
			t.Errorf("%s is not skipped", p)
		}
		if ms := d.Detect(p, line); len(ms) != 0 {
			t.Errorf("%s: %d matches", p, len(ms))
		}
	}
}
