package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TestScanHistory: a token committed and deleted in the next commit is not
// in the tree, but --history finds it at the commit that added it.
func TestScanHistory(t *testing.T) {
	db := mustDB(t)
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	commit := func(msg string) string {
		t.Helper()
		if _, err := wt.Add("."); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, All: true})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	writeFile(t, filepath.Join(dir, "README.md"), "hello\n")
	writeFile(t, filepath.Join(dir, "deploy.env"), "GITHUB_TOKEN="+fakeToken+"\n")
	added := commit("add deploy config")
	if err := os.Remove(filepath.Join(dir, "deploy.env")); err != nil {
		t.Fatal(err)
	}
	commit("remove the token")

	if code, out, _ := run(t, "scan", "fs", "--db", db, "-f", "json", dir); code != ExitOK || len(decode(t, out).Findings) != 0 {
		t.Fatalf("without --history: exit %d, findings %v", code, findingKeys(decode(t, out)))
	}
	code, out, stderr := run(t, "scan", "fs", "--db", db, "-f", "json", "--history", dir)
	if code != ExitOK {
		t.Fatalf("--history: exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			Kind     string `json:"kind"`
			Location struct {
				Path      string `json:"path"`
				Layer     string `json:"layer"`
				CreatedBy string `json:"created_by"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := jsonUnmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %+v, want the one deleted token", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Kind != "secret" || f.Location.Path != "deploy.env" || f.Location.Layer != "commit:"+added ||
		!strings.HasPrefix(f.Location.CreatedBy, "2026-01-02T03:04:05Z Dev add deploy config") {
		t.Errorf("finding = %+v", f)
	}
	if strings.Contains(out, fakeToken) {
		t.Error("the token appears unredacted")
	}
	if code, _, stderr := run(t, "scan", "fs", "--db", db, "--history", t.TempDir()); code != ExitError || !strings.Contains(stderr, "not a git repository") {
		t.Errorf("--history outside a repository: exit %d, %q", code, stderr)
	}
}
