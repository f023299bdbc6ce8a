package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact/image/imagetest"
)

// A made-up token of GitHub's classic shape; not a real credential.
const fakeToken = "ghp_" + "R3dl1neT3stT0kenN0tRealXq7Zp2Lm9Wv4K"

// TestScanSecrets: a hard-coded token is found with its line and shown
// redacted in every format; redline:allow silences a line; in an image, a
// token deleted by a later layer is still reported, with the layer that
// added it.
func TestScanSecrets(t *testing.T) {
	db := mustDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "deploy.sh"), "#!/bin/sh\nexport GITHUB_TOKEN="+fakeToken+"\n")
	writeFile(t, filepath.Join(dir, "docs.md"), "example: "+fakeToken+" # redline:allow\n")
	for _, format := range []string{"json", "sarif", "table"} {
		code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", format, "--fail-on", "high", dir)
		if code != ExitBlocked {
			t.Errorf("%s: exit %d, want 1: %s", format, code, stderr)
		}
		if strings.Contains(out, fakeToken) || strings.Contains(stderr, fakeToken) {
			t.Errorf("%s: the token appears unredacted", format)
		}
		if format == "json" {
			keys := findingKeys(decode(t, out))
			if len(keys) != 1 || !strings.HasSuffix(keys[0], " deploy.sh") {
				t.Errorf("findings %v, want one in deploy.sh (docs.md is allowed inline)", keys)
			}
		}
	}

	img := imagetest.DockerArchive(t,
		imagetest.Layer{CreatedBy: "COPY deploy.sh /app/", Files: []imagetest.File{{Name: "app/deploy.sh", Body: []byte("export GITHUB_TOKEN=" + fakeToken + "\n")}}},
		imagetest.Layer{CreatedBy: "RUN rm /app/deploy.sh", Files: []imagetest.File{{Name: "app/.wh.deploy.sh"}}},
	)
	code, out, stderr := run(t, "scan", "image", "--db", db, "-f", "json", img)
	if code != ExitOK {
		t.Fatalf("scan image: exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			Kind     string `json:"kind"`
			Location struct {
				Path      string `json:"path"`
				CreatedBy string `json:"created_by"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := jsonUnmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != "secret" || rep.Findings[0].Location.CreatedBy != "COPY deploy.sh /app/" {
		t.Errorf("deleted secret in an image: %+v", rep.Findings)
	}
	if strings.Contains(out, fakeToken) {
		t.Error("the token appears unredacted")
	}
	if code, _, _ := run(t, "scan", "fs", "--db", db, "--scanners", "vuln,misconfig", "--fail-on", "high", dir); code != ExitOK {
		t.Errorf("--scanners without secret: exit %d", code)
	}
}

// TestScanSecretsOnly: without the vulnerability scanner no database is
// needed, and a file over the secret size limit is reported as unread.
func TestScanSecretsOnly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "deploy.sh"), "export GITHUB_TOKEN="+fakeToken+"\n")
	writeFile(t, filepath.Join(dir, "dump.sql"), strings.Repeat("INSERT INTO t VALUES (1);\n", 50000))
	missing := filepath.Join(t.TempDir(), "no.db")
	code, out, stderr := run(t, "scan", "fs", "-q", "--db", missing, "--scanners", "secret", "--secret-max-file-size", "1MiB", "-f", "json", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := decode(t, out)
	if keys := findingKeys(rep); len(keys) != 1 || !strings.HasSuffix(keys[0], " deploy.sh") {
		t.Errorf("findings %v, want the token in deploy.sh", keys)
	}
	if !strings.Contains(out, "1 file(s) larger than the secret scanner's 1 MiB limit were not read for secrets") || !strings.Contains(out, `"dump.sql"`) {
		t.Errorf("no warning about dump.sql in the report:\n%s", out)
	}
	// The vulnerability scanner still needs its database.
	if code, _, stderr := run(t, "scan", "fs", "-q", "--db", missing, dir); code != ExitError || !strings.Contains(stderr, "no vulnerability database") {
		t.Errorf("vuln scan without a database: exit %d: %s", code, stderr)
	}
}
