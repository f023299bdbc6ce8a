package walk

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"
)

// File is one opened file handed to analyzers. Every analyzer that wants the
// file gets the same File; each call to Reader returns an independent reader,
// so analyzers do not disturb each other.
type File struct {
	// Path is slash-separated and relative to the artifact root.
	Path string
	// Info describes the file.
	Info fs.FileInfo
	// Layer and CreatedBy are the image layer that added the file, if any.
	Layer     string
	CreatedBy string

	ra   io.ReaderAt
	size int64
}

// NewFile returns a File over ra holding size bytes.
func NewFile(p string, info fs.FileInfo, ra io.ReaderAt, size int64) *File {
	if info == nil {
		info = memInfo{name: path.Base(p), size: size}
	}
	return &File{Path: p, Info: info, ra: ra, size: size}
}

// BytesFile returns a File holding data, for tests and fuzzing.
func BytesFile(p string, data []byte) *File {
	return NewFile(p, nil, bytes.NewReader(data), int64(len(data)))
}

// Size is the file's length in bytes.
func (f *File) Size() int64 { return f.size }

// ReaderAt gives random access to the contents (safe for concurrent use).
func (f *File) ReaderAt() io.ReaderAt { return f.ra }

// Reader returns a new reader positioned at the start of the file.
func (f *File) Reader() *io.SectionReader { return io.NewSectionReader(f.ra, 0, f.size) }

// ReadAll reads the whole file, refusing files larger than limit bytes.
func (f *File) ReadAll(limit int64) ([]byte, error) {
	if f.size > limit {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit for this kind of file", f.Path, f.size, limit)
	}
	b := make([]byte, f.size)
	n, err := f.ra.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return b[:n], nil
}

type memInfo struct {
	name string
	size int64
}

func (m memInfo) Name() string       { return m.name }
func (m memInfo) Size() int64        { return m.size }
func (m memInfo) Mode() fs.FileMode  { return 0o644 }
func (m memInfo) ModTime() time.Time { return time.Time{} }
func (m memInfo) IsDir() bool        { return false }
func (m memInfo) Sys() any           { return nil }
