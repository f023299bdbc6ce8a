package githistory

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gitCLI runs git in dir with a fixed identity and clock and returns its
// trimmed output.
func gitCLI(t *testing.T, dir string, date string, args ...string) string {
	t.Helper()
	// An empty global config of the test's own: git may write to the
	// global config (gc, maintenance), and as root it would replace
	// /dev/null with a regular file by renaming over it.
	home := t.TempDir()
	global := filepath.Join(home, ".gitconfig")
	if err := os.WriteFile(global, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "GIT_CONFIG_GLOBAL="+global,
		"GIT_AUTHOR_NAME=Grace Hopper", "GIT_AUTHOR_EMAIL=grace@example.com",
		"GIT_COMMITTER_NAME=Grace Hopper", "GIT_COMMITTER_EMAIL=grace@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGitCLIPacked walks a repository made by the git binary and packed by
// git gc, so objects come from a packfile (with deltas) rather than loose
// files. It also covers an annotated tag as the only ref to a commit, a
// symbolic link and a submodule entry (both skipped), and a bare clone.
func TestGitCLIPacked(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH; install it (apt-get install git) to run this test")
	}
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const d1, d2, d3, d4 = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z"
	big := strings.Repeat("line of a config file that changes a little\n", 200)

	gitCLI(t, dir, d1, "init", "-q", "-b", "main")
	write("conf/app.yaml", big)
	write("token.txt", "ghp_notarealtoken")
	if err := os.Symlink("token.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	gitCLI(t, dir, d1, "add", "-A")
	gitCLI(t, dir, d1, "update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,vendor/sub")
	gitCLI(t, dir, d1, "commit", "-q", "-m", "initial")
	c1 := gitCLI(t, dir, d1, "rev-parse", "HEAD")

	write("conf/app.yaml", big+"one more line\n") // stored as a delta after gc
	gitCLI(t, dir, d2, "rm", "-q", "token.txt")
	gitCLI(t, dir, d2, "add", "-A")
	gitCLI(t, dir, d2, "commit", "-q", "-m", "rotate")
	c2 := gitCLI(t, dir, d2, "rev-parse", "HEAD")

	// A commit only an annotated tag points at.
	gitCLI(t, dir, d3, "checkout", "-q", "-b", "side")
	write("side.txt", "side")
	gitCLI(t, dir, d3, "add", "-A")
	gitCLI(t, dir, d3, "commit", "-q", "-m", "side work")
	c3 := gitCLI(t, dir, d3, "rev-parse", "HEAD")
	gitCLI(t, dir, d3, "tag", "-a", "-m", "release", "v1")
	gitCLI(t, dir, d4, "checkout", "-q", "main")
	gitCLI(t, dir, d4, "branch", "-q", "-D", "side")

	gitCLI(t, dir, d4, "gc", "-q", "--aggressive", "--prune=now")
	if loose, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*")); len(loose) != 0 {
		t.Fatalf("git gc left %d loose objects", len(loose))
	}

	want := []seen{
		{"conf/app.yaml", c1, big},
		{"token.txt", c1, "ghp_notarealtoken"},
		{"conf/app.yaml", c2, big + "one more line\n"},
		{"side.txt", c3, "side"},
	}
	if got := walkAll(t, dir, Options{}); !slices.Equal(got, want) {
		t.Errorf("working tree:\n got %v\nwant %v", got, want)
	}

	bare := filepath.Join(t.TempDir(), "bare.git")
	gitCLI(t, dir, d4, "clone", "-q", "--bare", dir, bare)
	if got := walkAll(t, bare, Options{}); !slices.Equal(got, want) {
		t.Errorf("bare clone:\n got %v\nwant %v", got, want)
	}
}
