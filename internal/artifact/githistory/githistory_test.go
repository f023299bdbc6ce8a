package githistory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/redline-sec/redline/internal/artifact"
)

// t0 is the author and committer time of the first test commit; each later
// commit is an hour after the one before.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// testRepo builds repositories with go-git.
type testRepo struct {
	tb   testing.TB
	dir  string
	repo *git.Repository
	wt   *git.Worktree
	n    int
}

func newTestRepo(tb testing.TB) *testRepo {
	tb.Helper()
	dir := tb.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	return &testRepo{tb: tb, dir: dir, repo: repo, wt: wt}
}

func (r *testRepo) write(name, data string) {
	r.tb.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		r.tb.Fatal(err)
	}
	if _, err := r.wt.Add(name); err != nil {
		r.tb.Fatal(err)
	}
}

func (r *testRepo) remove(name string) {
	r.tb.Helper()
	if _, err := r.wt.Remove(name); err != nil {
		r.tb.Fatal(err)
	}
}

// commit commits the index and returns the commit's hash.
func (r *testRepo) commit(msg string) string {
	r.tb.Helper()
	sig := &object.Signature{Name: "Ada Lovelace", Email: "ada@example.com", When: t0.Add(time.Duration(r.n) * time.Hour)}
	r.n++
	h, err := r.wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		r.tb.Fatal(err)
	}
	return h.String()
}

func (r *testRepo) checkout(branch string, create bool) {
	r.tb.Helper()
	err := r.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: create})
	if err != nil {
		r.tb.Fatal(err)
	}
}

// seen is what the walk reported for one file.
type seen struct {
	Path, Commit, Data string
}

// walkAll opens and walks the repository and returns (path, commit, data)
// in walk order.
func walkAll(t *testing.T, dir string, opts Options) []seen {
	t.Helper()
	h, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []seen
	err = h.Walk(context.Background(), func(e artifact.Entry) error {
		c, err := e.Open()
		if err != nil {
			return fmt.Errorf("open %s: %w", e.Path, err)
		}
		defer c.Close()
		data, err := io.ReadAll(io.NewSectionReader(c, 0, c.Size()))
		if err != nil {
			return err
		}
		if e.Info.Size() != int64(len(data)) {
			t.Errorf("%s: Info.Size %d, read %d bytes", e.Path, e.Info.Size(), len(data))
		}
		got = append(got, seen{e.Path, strings.TrimPrefix(e.Layer, "commit:"), string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWalk(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "alpha")
	r.write("secret.env", "KEY=hunter2")
	r.write("dup1.txt", "same")
	c1 := r.commit("first")

	r.write("a.txt", "alpha v2")    // modified: new blob
	r.write("dir/dup2.txt", "same") // same blob at a second path: not reported again
	r.write("b.txt", "beta")        // added
	c2 := r.commit("second")

	r.remove("secret.env") // deleted: still reported at c1
	c3 := r.commit("delete the secret")

	r.checkout("feature", true)
	r.write("feature.txt", "feat")
	c4 := r.commit("on a branch")

	r.checkout("master", false)
	r.write("c.txt", "gamma")
	r.write("old.txt", "alpha") // the blob a.txt had at c1: not reported again
	c5 := r.commit("back on master")

	got := walkAll(t, r.dir, Options{})
	want := []seen{
		{"a.txt", c1, "alpha"},
		{"dup1.txt", c1, "same"},
		{"secret.env", c1, "KEY=hunter2"},
		{"a.txt", c2, "alpha v2"},
		{"b.txt", c2, "beta"},
		{"feature.txt", c4, "feat"},
		{"c.txt", c5, "gamma"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("walk:\n got %v\nwant %v", got, want)
	}
	_ = c3

	h, err := Open(context.Background(), r.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tg := h.Target(); tg.Kind != "git" || tg.Name != filepath.ToSlash(r.dir) || tg.Digest != c5 {
		t.Errorf("Target = %+v, want git %s %s", tg, r.dir, c5)
	}
}

func TestEntryFields(t *testing.T) {
	r := newTestRepo(t)
	r.write("bin/run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(r.dir, "bin", "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.write("bin/run.sh", "#!/bin/sh\n")
	long := "Add a script " + strings.Repeat("x", 100) + "\n\nBody text\x1b[31m"
	c1 := r.commit("\x1b[2J" + long)

	h, err := Open(context.Background(), r.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []artifact.Entry
	if err := h.Walk(context.Background(), func(e artifact.Entry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("got %d entries, want 1", len(entries))
	}
	e := entries[0]
	subject := ("[2J" + long)[:80]
	wantCreatedBy := "2024-03-01T12:00:00Z Ada Lovelace " + subject
	if e.Path != "bin/run.sh" || e.Layer != "commit:"+c1 || e.CreatedBy != wantCreatedBy {
		t.Errorf("entry = %q %q %q\nwant %q %q %q", e.Path, e.Layer, e.CreatedBy, "bin/run.sh", "commit:"+c1, wantCreatedBy)
	}
	if e.Info.Name() != "run.sh" || e.Info.Size() != 10 || e.Info.Mode() != 0o755 || !e.Info.ModTime().Equal(t0) || e.Info.IsDir() {
		t.Errorf("info = %s %d %v %v", e.Info.Name(), e.Info.Size(), e.Info.Mode(), e.Info.ModTime())
	}
}

func TestMaxFileSize(t *testing.T) {
	r := newTestRepo(t)
	r.write("big.bin", strings.Repeat("B", 100))
	r.write("small.txt", "ok")
	r.commit("files")

	h, err := Open(context.Background(), r.dir, Options{MaxFileSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	var opened, refused []string
	if err := h.Walk(context.Background(), func(e artifact.Entry) error {
		c, err := e.Open()
		if err != nil {
			if !strings.Contains(err.Error(), "more than the limit of 50") {
				t.Errorf("%s: unexpected error %v", e.Path, err)
			}
			refused = append(refused, e.Path)
			return nil
		}
		c.Close()
		opened = append(opened, e.Path)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opened, []string{"small.txt"}) || !slices.Equal(refused, []string{"big.bin"}) {
		t.Errorf("opened %v refused %v", opened, refused)
	}
}

func TestMaxCommits(t *testing.T) {
	r := newTestRepo(t)
	for i := range 3 {
		r.write("f.txt", fmt.Sprint(i))
		r.commit(fmt.Sprint("commit ", i))
	}
	walk := func(max int) error {
		h, err := Open(context.Background(), r.dir, Options{MaxCommits: max})
		if err != nil {
			t.Fatal(err)
		}
		return h.Walk(context.Background(), func(artifact.Entry) error { return nil })
	}
	if err := walk(2); !errors.Is(err, ErrTooManyCommits) {
		t.Errorf("MaxCommits 2: err = %v, want ErrTooManyCommits", err)
	}
	if err := walk(3); err != nil {
		t.Errorf("MaxCommits 3: %v", err)
	}
}

func TestWalkStops(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "a")
	r.write("b.txt", "b")
	r.commit("two files")
	h, err := Open(context.Background(), r.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = h.Walk(context.Background(), func(artifact.Entry) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: err = %v after %d calls, want stop after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = h.Walk(ctx, func(artifact.Entry) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled walk: err = %v", err)
	}
}

func TestOpen(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "a")
	c1 := r.commit("one")

	// The .git directory of a working tree is laid out like a bare repository.
	got := walkAll(t, filepath.Join(r.dir, ".git"), Options{})
	if want := []seen{{"a.txt", c1, "a"}}; !slices.Equal(got, want) {
		t.Errorf("bare: got %v, want %v", got, want)
	}

	empty := t.TempDir()
	if _, err := git.PlainInit(empty, false); err != nil {
		t.Fatal(err)
	}
	h, err := Open(context.Background(), empty, Options{})
	if err != nil {
		t.Fatalf("empty repository: %v", err)
	}
	if d := h.Target().Digest; d != "" {
		t.Errorf("empty repository: digest %q", d)
	}
	if got := walkAll(t, empty, Options{}); len(got) != 0 {
		t.Errorf("empty repository: walked %v", got)
	}

	for _, p := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing"), filepath.Join(r.dir, "a.txt")} {
		if _, err := Open(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "git repository") {
			t.Errorf("Open(%s): err = %v, want a not-a-repository error", p, err)
		}
	}
}
