package githistory

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
)

// benchRepo builds a repository of 300 commits over a tree of 40 files in 4
// directories: each commit changes two files and adds one.
func benchRepo(b *testing.B) string {
	b.Helper()
	r := newTestRepo(b)
	body := strings.Repeat("some ordinary source text, nothing secret here\n", 40)
	for i := range 40 {
		r.write(fmt.Sprintf("pkg%d/file%d.go", i%4, i), body+fmt.Sprint(i))
	}
	r.commit("initial")
	for c := 1; c < 300; c++ {
		for _, i := range []int{c % 40, (c * 7) % 40} {
			r.write(fmt.Sprintf("pkg%d/file%d.go", i%4, i), body+fmt.Sprint(i, " rev ", c))
		}
		r.write(fmt.Sprintf("new/added%d.txt", c), fmt.Sprint("added in ", c))
		r.commit(fmt.Sprint("change ", c))
	}
	return r.dir
}

func BenchmarkWalk(b *testing.B) {
	dir := benchRepo(b)
	run := func(b *testing.B) {
		var files, bytes int64
		for b.Loop() {
			files, bytes = 0, 0
			h, err := Open(context.Background(), dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			err = h.Walk(context.Background(), func(e artifact.Entry) error {
				c, err := e.Open()
				if err != nil {
					return err
				}
				defer c.Close()
				n, err := io.Copy(io.Discard, io.NewSectionReader(c, 0, c.Size()))
				files++
				bytes += n
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(files), "blobs/op")
		b.ReportMetric(300, "commits/op")
		b.SetBytes(bytes)
	}
	b.Run("loose", run)
	if _, err := exec.LookPath("git"); err != nil {
		b.Log("git is not on PATH: skipping the packed benchmark")
		return
	}
	if out, err := exec.Command("git", "-C", dir, "gc", "-q", "--prune=now").CombinedOutput(); err != nil {
		b.Fatalf("git gc: %v\n%s", err, out)
	}
	b.Run("packed", run)
}
