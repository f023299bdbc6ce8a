// Package artifact turns a scan target into a read-only tree of files.
//
// Each kind of target (a directory, later an image or a root filesystem) is a
// small sibling package that implements Artifact. Analyzers never see the
// target itself: the walker (package walk) asks the artifact for its files and
// opens only those some analyzer wants.
package artifact

import (
	"context"
	"io"
	"io/fs"

	"github.com/redline-sec/redline/internal/finding"
)

// Content is an opened file: random access plus its size. The walker opens a
// file once and shares the Content between every analyzer that wants it.
type Content interface {
	io.ReaderAt
	io.Closer
	// Size is the number of bytes that can be read.
	Size() int64
}

// Entry is one regular file of an artifact, not yet opened.
type Entry struct {
	// Path is slash-separated and relative to the artifact root, with no leading slash.
	Path string
	// Info describes the file as the artifact records it (mode, size, time).
	Info fs.FileInfo
	// Layer is the image layer digest that added the file; empty for a directory.
	Layer string
	// CreatedBy is the image history entry of Layer.
	CreatedBy string
	// Open opens the file for reading. It is called at most once, and only
	// before Walk's callback for this entry returns (a streamed image layer
	// has moved on after that); the Content it returns stays valid until
	// closed, from any goroutine.
	Open func() (Content, error)
}

// Artifact is a scan target seen as a tree of files.
type Artifact interface {
	// Target describes what is being scanned, for reports.
	Target() finding.Target
	// Walk calls fn for every regular file. A directory walks in lexical
	// path order; an image may walk its layers concurrently, so fn must be
	// safe for concurrent use. An error from fn stops the walk and is
	// returned.
	Walk(ctx context.Context, fn func(Entry) error) error
}

// Layered is implemented by artifacts built from stacked layers (images),
// where a file of a lower layer can be replaced or deleted by a higher one.
// Walk visits the files of every layer, so that analyzers can report what a
// deleted file held; Visible tells which of them the final tree still has.
type Layered interface {
	// Visible reports whether the file at path, as added by the layer with
	// the given digest, is part of the squashed tree. Valid after Walk.
	Visible(path, layer string) bool
}
