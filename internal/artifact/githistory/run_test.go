package githistory

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

// recorder is an analyzer that records what it was handed.
type recorder struct {
	mu  sync.Mutex
	got []seen
}

func (*recorder) Name() string                   { return "recorder" }
func (*recorder) Wants(string, fs.FileInfo) bool { return true }
func (r *recorder) Analyze(_ context.Context, f *walk.File) error {
	data, err := f.ReadAll(1 << 20)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.got = append(r.got, seen{f.Path, f.Layer, string(data)})
	r.mu.Unlock()
	return nil
}

// TestWalkRun runs the history through the real walker, with several workers,
// to check that commits reach analyzers as walk.File.Layer.
func TestWalkRun(t *testing.T) {
	r := newTestRepo(t)
	r.write("config.env", "TOKEN=one")
	c1 := r.commit("add config")
	r.write("config.env", "TOKEN=two")
	c2 := r.commit("rotate token")

	h, err := Open(context.Background(), r.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	res, err := walk.Run(context.Background(), h, []walk.Analyzer{rec}, walk.Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rec.got, func(a, b seen) int { return strings.Compare(a.Data, b.Data) })
	want := []seen{{"config.env", "commit:" + c1, "TOKEN=one"}, {"config.env", "commit:" + c2, "TOKEN=two"}}
	if !slices.Equal(rec.got, want) || res.Stats.Files != 2 || len(res.Warnings) != 0 {
		t.Errorf("got %v (stats %+v, warnings %v), want %v", rec.got, res.Stats, res.Warnings, want)
	}
}
