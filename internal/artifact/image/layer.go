package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync/atomic"

	"github.com/redline-sec/redline/internal/artifact"
)

// kind is what a layer entry does to its path.
type kind uint8

const (
	kindFile     kind = iota // a regular file, reported to the walk
	kindDir                  // a directory
	kindOther                // a symlink, hard link, device or pipe: occupies the path
	kindWhiteout             // .wh.NAME: deletes NAME of lower layers
	kindOpaque               // .wh..wh..opq: hides the directory's lower contents
)

// record is one entry of a layer, kept to compute visibility.
type record struct {
	path string
	kind kind
}

// Whiteout markers (see the OCI image spec, "Whiteouts").
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	opaqueMarker   = ".wh..wh..opq"
)

// budget holds the limits of one walk and the counters all layers share.
type budget struct {
	maxFile, maxLayer, maxImage, maxEntries int64

	imageBytes atomic.Int64
	entries    atomic.Int64
}

func newBudget(o Options) *budget {
	return &budget{
		maxFile:    o.MaxFileSize,
		maxLayer:   o.MaxLayerSize,
		maxImage:   o.MaxImageSize,
		maxEntries: int64(o.MaxEntries),
	}
}

// meteredReader counts the uncompressed bytes of one layer against the
// layer and image limits, so that a decompression bomb stops early.
type meteredReader struct {
	r io.Reader
	b *budget
	n int64
}

func (m *meteredReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += int64(n)
	if m.b.maxLayer > 0 && m.n > m.b.maxLayer {
		return n, fmt.Errorf("uncompressed layer is larger than %d bytes (MaxLayerSize): %w", m.b.maxLayer, ErrLimit)
	}
	if total := m.b.imageBytes.Add(int64(n)); m.b.maxImage > 0 && total > m.b.maxImage {
		return n, fmt.Errorf("uncompressed image is larger than %d bytes (MaxImageSize): %w", m.b.maxImage, ErrLimit)
	}
	return n, err
}

// layerInfo names the layer being read.
type layerInfo struct {
	diffID    string
	createdBy string
}

// readLayer reads one uncompressed layer tar and calls fn for every regular
// file, with an Open that reads the file from the stream while fn runs. It
// returns what each entry does to its path. Entries whose path leaves the
// root are skipped with a warning; symlinks and hard links are recorded,
// never followed nor reported as files.
func readLayer(ctx context.Context, r io.Reader, l layerInfo, b *budget, log *slog.Logger, fn func(artifact.Entry) error) ([]record, error) {
	tr := tar.NewReader(r)
	var recs []record
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		if b.maxEntries > 0 && b.entries.Add(1) > b.maxEntries {
			return nil, fmt.Errorf("more than %d tar entries in the image (MaxEntries): %w", b.maxEntries, ErrLimit)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		p, ok := cleanPath(hdr.Name)
		if !ok {
			log.Warn("skipping layer entry outside the image root", "layer", l.diffID, "path", hdr.Name)
			continue
		}
		if p == "" {
			continue // the root directory itself
		}
		if (strings.HasPrefix(p, whiteoutMeta) || strings.Contains(p, "/"+whiteoutMeta)) && path.Base(p) != opaqueMarker {
			continue // AUFS metadata (.wh..wh.plnk/…, .wh..wh.aufs): not files
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if strings.HasPrefix(base, whiteoutPrefix) {
			switch {
			case base == opaqueMarker:
				recs = append(recs, record{path: dir, kind: kindOpaque})
			case strings.HasPrefix(base, whiteoutMeta):
				// Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): not files.
			case base == whiteoutPrefix+"." || base == whiteoutPrefix+".." || base == whiteoutPrefix:
				log.Warn("skipping malformed whiteout", "layer", l.diffID, "path", hdr.Name)
			default:
				recs = append(recs, record{path: path.Join(dir, base[len(whiteoutPrefix):]), kind: kindWhiteout})
			}
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			recs = append(recs, record{path: p, kind: kindDir})
			continue
		case tar.TypeReg, tar.TypeGNUSparse:
		case tar.TypeLink:
			// A hard link has the content of its target, which the walk
			// already reported when the target is in this layer; it is
			// recorded for visibility but not reported again.
			log.Debug("hard link not reported as a file", "layer", l.diffID, "path", p, "target", hdr.Linkname)
			recs = append(recs, record{path: p, kind: kindOther})
			continue
		default:
			recs = append(recs, record{path: p, kind: kindOther})
			continue
		}
		recs = append(recs, record{path: p, kind: kindFile})
		o := &opener{tr: tr, hdr: hdr, path: p, max: b.maxFile}
		err = fn(artifact.Entry{
			Path:      p,
			Info:      hdr.FileInfo(),
			Layer:     l.diffID,
			CreatedBy: l.createdBy,
			Open:      o.open,
		})
		o.done.Store(true)
		if err != nil {
			return nil, err
		}
	}
}

// cleanPath turns a tar entry name into a clean relative slash path; "" is
// the root. It reports false for a name that leaves the root ("../x",
// "/../x", "a/../../x").
func cleanPath(name string) (string, bool) {
	p := path.Clean(strings.TrimLeft(name, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	if p == "." {
		return "", true
	}
	return p, true
}

// opener reads the current tar entry into memory, once, while the walk's
// callback for it runs.
type opener struct {
	tr     *tar.Reader
	hdr    *tar.Header
	path   string
	max    int64
	done   atomic.Bool
	opened bool
}

func (o *opener) open() (artifact.Content, error) {
	if o.done.Load() {
		return nil, fmt.Errorf("%s: opened after the walk moved on", o.path)
	}
	if o.opened {
		return nil, fmt.Errorf("%s: opened twice", o.path)
	}
	o.opened = true
	size := o.hdr.Size
	if size > o.max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d-byte limit (MaxFileSize): %w", o.path, size, o.max, ErrLimit)
	}
	// Grow the buffer as bytes arrive instead of trusting the header's size
	// for one allocation: a truncated layer may promise more than it has.
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 1<<20)))
	n, err := buf.ReadFrom(io.LimitReader(o.tr, size))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", o.path, err)
	}
	if n != size {
		return nil, fmt.Errorf("read %s: %d of %d bytes: %w", o.path, n, size, io.ErrUnexpectedEOF)
	}
	return memContent{bytes.NewReader(buf.Bytes())}, nil
}

// memContent is a file read into memory.
type memContent struct{ *bytes.Reader }

func (memContent) Close() error { return nil }
