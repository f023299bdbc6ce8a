package walk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/finding"
)

// memArtifact is an in-memory artifact that counts how often each file is opened.
type memArtifact struct {
	files map[string]string
	opens sync.Map // path -> *int64
}

func (m *memArtifact) Target() finding.Target { return finding.Target{Kind: "test", Name: "mem"} }

func (m *memArtifact) Walk(ctx context.Context, fn func(artifact.Entry) error) error {
	names := make([]string, 0, len(m.files))
	for n := range m.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		body := m.files[n]
		n := n
		err := fn(artifact.Entry{
			Path: n,
			Info: memInfo{name: n, size: int64(len(body))},
			Open: func() (artifact.Content, error) {
				c, _ := m.opens.LoadOrStore(n, new(int64))
				atomic.AddInt64(c.(*int64), 1)
				if strings.HasPrefix(n, "unreadable") {
					return nil, errors.New("permission denied")
				}
				return nopCloser{strings.NewReader(body)}, nil
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// recorder wants files with a suffix and records what it read.
type recorder struct {
	name, suffix string
	mu           sync.Mutex
	seen         map[string]string
	fail         bool
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Wants(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, r.suffix)
}
func (r *recorder) Analyze(_ context.Context, f *File) error {
	b, err := io.ReadAll(f.Reader())
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]string{}
	}
	r.seen[f.Path] = string(b)
	if r.fail {
		return fmt.Errorf("cannot parse %s", f.Path)
	}
	return nil
}

func TestRunOpensOnceAndSharesFile(t *testing.T) {
	a := &memArtifact{files: map[string]string{
		"x.lock":          "lock",
		"y.json":          "json",
		"both.lock.json":  "both",
		"ignored.txt":     "no",
		"unreadable.json": "secret",
	}}
	lock := &recorder{name: "lock", suffix: ".lock"}
	js := &recorder{name: "json", suffix: ".json", fail: true}
	lockjson := &recorder{name: "lockjson", suffix: ".lock.json"}
	res, err := Run(context.Background(), a, []Analyzer{lock, js, lockjson}, Options{Workers: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Files != 5 || res.Stats.Analyzed != 3 {
		t.Errorf("stats = %+v, want 5 files, 3 analyzed (one could not be opened)", res.Stats)
	}
	a.opens.Range(func(k, v any) bool {
		if n := atomic.LoadInt64(v.(*int64)); n != 1 {
			t.Errorf("%s opened %d times", k, n)
		}
		return true
	})
	if _, ok := a.opens.Load("ignored.txt"); ok {
		t.Error("a file no analyzer wants was opened")
	}
	if !reflect.DeepEqual(lock.seen, map[string]string{"x.lock": "lock"}) {
		t.Errorf("lock saw %v", lock.seen)
	}
	if !reflect.DeepEqual(js.seen, map[string]string{"both.lock.json": "both", "y.json": "json"}) {
		t.Errorf("json saw %v", js.seen)
	}
	if !reflect.DeepEqual(lockjson.seen, map[string]string{"both.lock.json": "both"}) {
		t.Errorf("lockjson saw %v", lockjson.seen)
	}
	want := []Warning{
		{Path: "both.lock.json", Analyzer: "json", Message: "cannot parse both.lock.json"},
		{Path: "unreadable.json", Message: "open: permission denied"},
		{Path: "y.json", Analyzer: "json", Message: "cannot parse y.json"},
	}
	if !reflect.DeepEqual(res.Warnings, want) {
		t.Errorf("warnings = %+v\nwant %+v", res.Warnings, want)
	}
}

func TestRunCancelled(t *testing.T) {
	a := &memArtifact{files: map[string]string{"a.lock": "", "b.lock": ""}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, a, []Analyzer{&recorder{name: "l", suffix: ".lock"}}, Options{Workers: 1}); err == nil {
		t.Error("cancelled run: want error")
	}
}

func TestReadAllLimit(t *testing.T) {
	f := BytesFile("a/b.json", []byte("0123456789"))
	if _, err := f.ReadAll(5); err == nil {
		t.Error("ReadAll over the limit: want error")
	}
	b, err := f.ReadAll(10)
	if err != nil || string(b) != "0123456789" {
		t.Errorf("ReadAll = %q, %v", b, err)
	}
	if f.Info.Name() != "b.json" || f.Size() != 10 {
		t.Errorf("info = %s %d", f.Info.Name(), f.Size())
	}
}

// summarizing is a recorder that also reports a warning about the walk.
type summarizing struct {
	recorder
	summaries int
}

func (s *summarizing) Summary() []Warning {
	s.summaries++
	return []Warning{{Path: "x.lock", Message: "left out 1 file"}}
}

func TestRunCollectsSummaries(t *testing.T) {
	a := &memArtifact{files: map[string]string{"x.lock": "lock"}}
	s := &summarizing{recorder: recorder{name: "sum", suffix: ".none"}}
	res, err := Run(context.Background(), a, []Analyzer{s}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	want := []Warning{{Path: "x.lock", Analyzer: "sum", Message: "left out 1 file"}}
	if s.summaries != 1 || !reflect.DeepEqual(res.Warnings, want) || res.Stats.Warnings != 1 {
		t.Errorf("%d summaries; warnings %+v, stats %+v", s.summaries, res.Warnings, res.Stats)
	}
}
