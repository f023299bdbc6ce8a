package vulndb

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Limits bound what one import or update reads, against hostile input.
// Zero fields take the defaults.
type Limits struct {
	// MaxRecordBytes is the size of one OSV record; larger ones are
	// skipped as malformed.
	MaxRecordBytes int64
	// MaxZipMembers is the number of entries in one zip file.
	MaxZipMembers int
	// MaxZipBytes is the total of uncompressed bytes read from one zip
	// file (the zip bomb guard).
	MaxZipBytes int64
	// MaxDownloadBytes is the size of one downloaded all.zip (Update).
	MaxDownloadBytes int64
}

// Default limits. The largest public ecosystem zip holds a few hundred
// thousand records of a few KiB each.
const (
	DefaultMaxRecordBytes   = 8 << 20
	DefaultMaxZipMembers    = 1_000_000
	DefaultMaxZipBytes      = 16 << 30
	DefaultMaxDownloadBytes = 2 << 30
)

// zipDirBytesPerMember bounds the central directory that may be read for
// MaxZipMembers entries, before archive/zip allocates one File per entry.
const zipDirBytesPerMember = 128

// zipEndSearchBytes covers archive/zip's search for the end of the
// directory (up to 64 KiB of trailing comment).
const zipEndSearchBytes = 70 << 10

func (l Limits) withDefaults() Limits {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxZipMembers <= 0 {
		l.MaxZipMembers = DefaultMaxZipMembers
	}
	if l.MaxZipBytes <= 0 {
		l.MaxZipBytes = DefaultMaxZipBytes
	}
	if l.MaxDownloadBytes <= 0 {
		l.MaxDownloadBytes = DefaultMaxDownloadBytes
	}
	return l
}

// maxSizeHint caps the buffer allocated up front for a zip member.
const maxSizeHint = 256 << 10

// errRecordTooLarge marks a record skipped for its size.
var errRecordTooLarge = errors.New("record too large")

// source is one input file: an OSV JSON record or a zip of them.
type source struct {
	path  string // file to read
	label string // what summaries and statuses call its records' origin
	zip   bool
}

// listSources expands the paths given to Import: directories are walked
// for *.json and *.zip files (in lexical order), files are taken as they
// are.
func listSources(paths []string) ([]source, error) {
	var out []source
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
		if !info.IsDir() {
			kind, ok := sourceKind(p)
			if !ok {
				return nil, fmt.Errorf("import %s: not a directory, .json or .zip file", p)
			}
			out = append(out, source{path: p, label: p, zip: kind})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if kind, ok := sourceKind(path); ok {
				out = append(out, source{path: path, label: p, zip: kind})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
	}
	return out, nil
}

// sourceKind tells a zip from a JSON file by name; ok is false for others.
func sourceKind(path string) (isZip, ok bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".zip":
		return true, true
	case ".json":
		return false, true
	}
	return false, false
}

// readJSONFile reads one record file, at most max bytes.
func readJSONFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, max)
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", errRecordTooLarge, max)
	}
	return data, nil
}

// archive is an open zip of OSV records. Workers read its members
// concurrently; it closes itself once every member handed out was read and
// no more will be.
type archive struct {
	name    string
	members []*zip.File // the *.json entries, in zip order
	closer  io.Closer
	left    atomic.Int64 // uncompressed bytes that may still be read

	mu     sync.Mutex
	open   int  // members handed out and not yet read
	sealed bool // no more members will be handed out
	closed bool
}

// openArchive opens a zip file from disk.
func openArchive(path string, lim Limits) (*archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	a, err := newArchive(path, f, info.Size(), lim)
	if err != nil {
		f.Close()
		return nil, err
	}
	a.closer = f
	return a, nil
}

// newArchive reads the zip directory from r with the limits applied: the
// directory may not be larger than MaxZipMembers entries could need, nor
// hold more entries than that.
func newArchive(name string, r io.ReaderAt, size int64, lim Limits) (*archive, error) {
	dir := &dirLimitReader{r: r, left: int64(lim.MaxZipMembers)*zipDirBytesPerMember + zipEndSearchBytes}
	zr, err := zip.NewReader(dir, size)
	if dir.exceeded {
		return nil, fmt.Errorf("zip %s: directory larger than %d members need (limit)", name, lim.MaxZipMembers)
	}
	if err != nil {
		return nil, fmt.Errorf("zip %s: %w", name, err)
	}
	dir.unlimited()
	if len(zr.File) > lim.MaxZipMembers {
		return nil, fmt.Errorf("zip %s: %d entries (limit %d)", name, len(zr.File), lim.MaxZipMembers)
	}
	a := &archive{name: name}
	a.left.Store(lim.MaxZipBytes)
	for _, f := range zr.File {
		if f.FileInfo().Mode().IsRegular() && strings.EqualFold(filepath.Ext(f.Name), ".json") {
			a.members = append(a.members, f)
		}
	}
	return a, nil
}

// dirLimitReader fails reads past a budget until unlimited is called.
// zip.NewReader reads only the directory; member reads come later.
type dirLimitReader struct {
	r        io.ReaderAt
	mu       sync.Mutex
	left     int64
	exceeded bool
	off      bool
}

func (d *dirLimitReader) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	if !d.off {
		d.left -= int64(len(p))
		if d.left < 0 {
			d.exceeded = true
			d.mu.Unlock()
			return 0, errors.New("zip directory too large")
		}
	}
	d.mu.Unlock()
	return d.r.ReadAt(p, off)
}

func (d *dirLimitReader) unlimited() {
	d.mu.Lock()
	d.off = true
	d.mu.Unlock()
}

// readMember reads one member, at most max bytes of it, charging what it
// reads to the archive's budget. A record over max is errRecordTooLarge;
// an exhausted budget or a damaged member is a fatal error for the zip.
func (a *archive) readMember(f *zip.File, max int64) ([]byte, error) {
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, fmt.Errorf("compression method %d not supported", f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, &zipError{name: a.name, member: f.Name, err: err}
	}
	defer rc.Close()
	// The header's size is only a hint (it can lie): trust it for the
	// first allocation up to a modest size; the limit holds either way.
	buf := bytes.NewBuffer(make([]byte, 0, min(f.UncompressedSize64, uint64(max), maxSizeHint)+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(rc, max+1))
	data := buf.Bytes()
	if a.left.Add(-int64(len(data))) < 0 {
		return nil, &zipError{name: a.name, member: f.Name, err: errors.New("uncompressed size over the limit (zip bomb?)")}
	}
	if err != nil {
		return nil, &zipError{name: a.name, member: f.Name, err: err}
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", errRecordTooLarge, max)
	}
	return data, nil
}

// zipError is a damaged or hostile zip: the whole zip is rejected.
type zipError struct {
	name, member string
	err          error
}

func (e *zipError) Error() string { return fmt.Sprintf("zip %s: %s: %v", e.name, e.member, e.err) }
func (e *zipError) Unwrap() error { return e.err }

// take notes one more member handed out to a worker.
func (a *archive) take() {
	a.mu.Lock()
	a.open++
	a.mu.Unlock()
}

// release notes one member read.
func (a *archive) release() {
	a.mu.Lock()
	a.open--
	a.closeIfDoneLocked()
	a.mu.Unlock()
}

// seal notes that no more members will be handed out.
func (a *archive) seal() {
	a.mu.Lock()
	a.sealed = true
	a.closeIfDoneLocked()
	a.mu.Unlock()
}

func (a *archive) closeIfDoneLocked() {
	if a.sealed && a.open == 0 {
		a.closeLocked()
	}
}

// close closes the archive whatever is still open.
func (a *archive) close() {
	a.mu.Lock()
	a.closeLocked()
	a.mu.Unlock()
}

func (a *archive) closeLocked() {
	if a.closed {
		return
	}
	a.closed = true
	if a.closer != nil {
		_ = a.closer.Close()
	}
}

// countRecords returns how many records the sources hold, for progress.
func countRecords(srcs []source, lim Limits) (int, error) {
	n := 0
	for _, s := range srcs {
		if !s.zip {
			n++
			continue
		}
		a, err := openArchive(s.path, lim)
		if err != nil {
			return 0, err
		}
		n += len(a.members)
		a.close()
	}
	return n, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
