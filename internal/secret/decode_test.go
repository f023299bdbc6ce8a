package secret

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// fakePKCS8 is a made-up PEM private key: the armour of a real one around
// a body of base64 characters that is not a key.
var fakePKCS8 = "-----BEGIN PRIVATE KEY-----\n" +
	strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDfakekey0123\n", 4) +
	"-----END PRIVATE KEY-----\n"

// serviceAccount is a Google service-account key file in the shape of the
// real ones, holding fakePKCS8.
func serviceAccount(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "demo", "private_key_id": "0123456789abcdef",
		"private_key": fakePKCS8, "client_email": "ci@demo.iam.gserviceaccount.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type hit struct {
	id       string
	line     int
	encoding string
}

func hits(ms []Match) []hit {
	var out []hit
	for _, m := range ms {
		out = append(out, hit{m.Rule.ID, m.Line, m.Encoding})
	}
	return out
}

func TestDetectBase64(t *testing.T) {
	std := base64.StdEncoding.EncodeToString
	url := base64.RawURLEncoding.EncodeToString
	sa := string(serviceAccount(t))
	tokenLine := "token: " + fakeGHP
	noise := make([]byte, 3000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), noise...)
	tests := []struct {
		name, path, content string
		want                []hit
	}{
		{"service account in JSON", "deploy/values.json",
			"{\n  \"name\": \"ci\",\n  \"credentials\": \"" + std([]byte(sa)) + "\"\n}\n",
			[]hit{{"private-key-pkcs8", 3, "base64"}}},
		{"GitHub token in YAML", "ci.yaml",
			"env:\n  GH: " + std([]byte(tokenLine)) + "\n",
			[]hit{{"github-pat", 2, "base64"}}},
		{"URL alphabet, unpadded", "ci.yaml",
			"a: 1\nb: 2\nc: " + url([]byte(tokenLine+"?>?>?>")) + "\n",
			[]hit{{"github-pat", 3, "base64"}}},
		{"depth 2", "x.txt",
			"\n\nv=" + std([]byte("inner: "+std([]byte(tokenLine)))) + "\n",
			[]hit{{"github-pat", 3, "base64"}}},
		{"depth 3 is not decoded", "x.txt",
			"v=" + std([]byte("a: "+std([]byte("b: "+std([]byte(tokenLine)))))) + "\n",
			nil},
		{"plain and encoded both reported", "x.txt",
			tokenLine + "\n" + std([]byte(tokenLine)) + "\n",
			[]hit{{"github-pat", 1, ""}, {"github-pat", 2, "base64"}}},
		{"image data URI", "index.html",
			"<img src=\"data:image/png;base64," + std(png) + "\">\n",
			nil},
		{"random base64 noise", "blob.txt",
			std(noise) + "\n" + url(noise[:700]) + "\n",
			nil},
		{"inline allow on the encoded line", "ci.yaml",
			"GH: " + std([]byte(tokenLine)) + " # redline:allow\n",
			nil},
		{"short run not decoded", "ci.yaml",
			"x: " + std([]byte("ghp_")) + "\n",
			nil},
	}
	det := NewDetector(Default())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hits(det.Detect(tt.path, []byte(tt.content)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEncodedRunsLimits(t *testing.T) {
	run := base64.StdEncoding.EncodeToString([]byte("token: " + fakeGHP))
	content := []byte(strings.Repeat(run+"\n", 5))
	for _, tt := range []struct {
		name  string
		b     decodeBudget
		runs  int
		after decodeBudget
	}{
		{"unbounded", decodeBudget{runs: 100, bytes: 1 << 20}, 5, decodeBudget{runs: 95, bytes: 1<<20 - 5*47}},
		{"run count", decodeBudget{runs: 2, bytes: 1 << 20}, 2, decodeBudget{runs: 0, bytes: 1<<20 - 2*47}},
		{"decoded bytes", decodeBudget{runs: 100, bytes: 100}, 2, decodeBudget{runs: 97, bytes: 100 - 3*47}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			got := encodedRuns(content, &b)
			if len(got) != tt.runs || b != tt.after {
				t.Errorf("%d runs, budget %+v; want %d, %+v", len(got), b, tt.runs, tt.after)
			}
			for i, r := range got {
				if string(r.decoded) != "token: "+fakeGHP || r.start != i*(len(run)+1) || r.end != r.start+len(run) {
					t.Errorf("run %d: %d..%d %q", i, r.start, r.end, r.decoded)
				}
			}
		})
	}
	// The per-file budget holds through Detect: only the first
	// maxDecodeRuns runs are decoded.
	noise := base64.StdEncoding.EncodeToString([]byte("noise: Zq8vL2pXr9wKm3 and more words"))
	if got := encodedRuns([]byte(noise), &decodeBudget{runs: 1, bytes: 100}); len(got) != 1 {
		t.Fatalf("noise run %q not decoded", noise)
	}
	many := strings.Repeat(noise+"\n", maxDecodeRuns) + run + "\n"
	if ms := NewDetector(Default()).Detect("many.txt", []byte(many)); len(ms) != 0 {
		t.Errorf("run past the budget decoded: %v", hits(ms))
	}
	few := strings.Repeat(noise+"\n", maxDecodeRuns-1) + run + "\n"
	if got, want := hits(NewDetector(Default()).Detect("few.txt", []byte(few))), []hit{{"github-pat", maxDecodeRuns, "base64"}}; !slices.Equal(got, want) {
		t.Errorf("last run within the budget: got %v, want %v", got, want)
	}
}

func TestEncodedFindingRedacted(t *testing.T) {
	run := base64.StdEncoding.EncodeToString(serviceAccount(t))
	var c finding.Collector
	a := NewAnalyzer(Default(), &c, Options{})
	if err := a.Analyze(context.Background(), walk.BytesFile("sa.yaml", []byte("key: "+run+"\n"))); err != nil {
		t.Fatal(err)
	}
	fs := c.Findings()
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.RuleID != "private-key-pkcs8" || f.Title != "PKCS#8 private key (base64-encoded)" ||
		f.Description != "PKCS#8 private key (base64-encoded) found at sa.yaml:1." || f.Location.Line != 1 {
		t.Errorf("finding %+v", f)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(fakePKCS8, "-----BEGIN PRIVATE KEY-----")
	for _, s := range []string{run, run[:40], body[:40], "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw"} {
		if strings.Contains(string(b), s) {
			t.Errorf("finding holds %q: %s", s, b)
		}
	}
	if f.Evidence != `\nMI…23\n` { // the JSON-escaped body of the key
		t.Errorf("evidence %q", f.Evidence)
	}
}
