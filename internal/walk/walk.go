// Package walk is the single pass over an artifact.
//
// Analyzers say which files they want; the walker asks every analyzer about
// every file, opens each wanted file once and hands it to all analyzers that
// want it, in a bounded pool of workers. No analyzer walks a tree itself.
package walk

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/redline-sec/redline/internal/artifact"
)

// Analyzer looks at files. Its results go to a collector it was built with.
type Analyzer interface {
	// Name identifies the analyzer in logs and warnings.
	Name() string
	// Wants reports whether the analyzer wants to read the file. It must be
	// cheap: it is called for every file of the artifact.
	Wants(path string, info fs.FileInfo) bool
	// Analyze reads the file. It may be called concurrently for different files.
	// An error is a warning about that file; it does not stop the walk.
	Analyze(ctx context.Context, f *File) error
}

// Summarizer is an Analyzer with warnings about a walk as a whole, such as
// the files it left out; Run collects them once the walk is done.
type Summarizer interface {
	// Summary returns the warnings of the walk just finished and forgets
	// them.
	Summary() []Warning
}

// Options tune a walk.
type Options struct {
	// Workers is the number of files analyzed at once; 0 means GOMAXPROCS.
	Workers int
	// Logger receives per-file warnings; nil means slog.Default().
	Logger *slog.Logger
	// Progress, if set, is called after each analyzed file with the counts so far.
	Progress func(Stats)
}

// Stats counts what a walk did.
type Stats struct {
	Files    int64 // regular files seen
	Analyzed int64 // files opened and handed to at least one analyzer
	Warnings int64 // analyzer errors and files that could not be opened
}

// Warning is a problem with one file that did not stop the scan.
type Warning struct {
	Path     string `json:"path"`
	Analyzer string `json:"analyzer,omitempty"`
	Message  string `json:"message"`
}

// Result is what a walk returns besides the analyzers' own output.
type Result struct {
	Stats    Stats
	Warnings []Warning
}

// Run walks the artifact once and hands each wanted file to its analyzers.
// It returns an error only when the walk itself fails (the target cannot be
// read, or ctx is cancelled); problems with single files are warnings.
func Run(ctx context.Context, a artifact.Artifact, analyzers []Analyzer, opts Options) (*Result, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}

	type job struct {
		entry   artifact.Entry
		content artifact.Content
		wanted  []Analyzer
	}
	var (
		stats    Stats
		mu       sync.Mutex
		warnings []Warning
		wg       sync.WaitGroup
		jobs     = make(chan job)
	)
	warn := func(w Warning) {
		atomic.AddInt64(&stats.Warnings, 1)
		log.Warn(w.Message, "path", w.Path, "analyzer", w.Analyzer)
		mu.Lock()
		warnings = append(warnings, w)
		mu.Unlock()
	}

	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				analyze(ctx, j.entry, j.content, j.wanted, warn)
				n := atomic.AddInt64(&stats.Analyzed, 1)
				if opts.Progress != nil {
					opts.Progress(Stats{Files: atomic.LoadInt64(&stats.Files), Analyzed: n, Warnings: atomic.LoadInt64(&stats.Warnings)})
				}
			}
		}()
	}

	walkErr := a.Walk(ctx, func(e artifact.Entry) error {
		atomic.AddInt64(&stats.Files, 1)
		var wanted []Analyzer
		for _, an := range analyzers {
			if an.Wants(e.Path, e.Info) {
				wanted = append(wanted, an)
			}
		}
		if len(wanted) == 0 {
			return nil
		}
		// Open here, not in the worker: a streamed layer must be read
		// before the walk moves on to its next entry.
		c, err := e.Open()
		if err != nil {
			warn(Warning{Path: e.Path, Message: fmt.Sprintf("open: %v", err)})
			return nil
		}
		select {
		case jobs <- job{entry: e, content: c, wanted: wanted}:
			return nil
		case <-ctx.Done():
			c.Close()
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return nil, fmt.Errorf("walk %s: %w", a.Target().Name, walkErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, an := range analyzers {
		if s, ok := an.(Summarizer); ok {
			for _, w := range s.Summary() {
				w.Analyzer = cmp.Or(w.Analyzer, an.Name())
				warn(w)
			}
		}
	}
	sortWarnings(warnings)
	return &Result{Stats: stats, Warnings: warnings}, nil
}

func analyze(ctx context.Context, e artifact.Entry, c artifact.Content, wanted []Analyzer, warn func(Warning)) {
	defer c.Close()
	f := &File{Path: e.Path, Info: e.Info, Layer: e.Layer, CreatedBy: e.CreatedBy, ra: c, size: c.Size()}
	for _, an := range wanted {
		if ctx.Err() != nil {
			return
		}
		if err := an.Analyze(ctx, f); err != nil {
			warn(Warning{Path: e.Path, Analyzer: an.Name(), Message: err.Error()})
		}
	}
}
