package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxManifestSize bounds the index, manifest and config blobs read into memory.
const maxManifestSize = 16 << 20

// ociArchive is a tar of an OCI image layout, read in place: Open indexes
// the tar's members once (seeking past their contents), and every blob is
// then read through a section of the file at its recorded offset. Nothing
// is extracted or copied to disk.
type ociArchive struct {
	path    string
	members map[string]member
}

type member struct {
	off, size int64
}

func openOCIArchive(src Ref, opts Options) (v1.Image, error) {
	a, err := indexArchive(src.Path, opts.MaxEntries)
	if err != nil {
		return nil, err
	}
	raw, err := a.readSmall("index.json")
	if err != nil {
		return nil, err
	}
	idx := &archiveIndex{a: a, raw: raw}
	if _, err := idx.IndexManifest(); err != nil {
		return nil, err
	}
	return selectImage(idx, src.Name, opts)
}

// indexArchive records the offset and size of every regular file of the tar.
func indexArchive(p string, maxEntries int) (*ociArchive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a := &ociArchive{path: p, members: map[string]member{}}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		if maxEntries > 0 && n >= maxEntries {
			return nil, fmt.Errorf("more than %d tar entries: %w", maxEntries, ErrLimit)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		a.members[memberName(hdr.Name)] = member{off: off, size: hdr.Size}
	}
	return a, nil
}

// open returns a reader over the member's bytes.
func (a *ociArchive) open(name string) (io.ReadCloser, int64, error) {
	m, ok := a.members[name]
	if !ok {
		return nil, 0, fmt.Errorf("%s: no member %s", a.path, name)
	}
	f, err := os.Open(a.path)
	if err != nil {
		return nil, 0, err
	}
	return sectionCloser{io.NewSectionReader(f, m.off, m.size), f}, m.size, nil
}

type sectionCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionCloser) Close() error { return s.f.Close() }

func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// readSmall reads a member of at most maxManifestSize bytes.
func (a *ociArchive) readSmall(name string) ([]byte, error) {
	rc, size, err := a.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxManifestSize {
		return nil, fmt.Errorf("%s: %s is %d bytes, more than %d: %w", a.path, name, size, maxManifestSize, ErrLimit)
	}
	return io.ReadAll(rc)
}

// readBlob reads a small blob and checks its digest.
func (a *ociArchive) readBlob(h v1.Hash) ([]byte, error) {
	b, err := a.readSmall(blobName(h))
	if err != nil {
		return nil, err
	}
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if got != h {
		return nil, fmt.Errorf("%s: blob %s has digest %s", a.path, h, got)
	}
	return b, nil
}

// archiveIndex is an OCI index read from the archive.
type archiveIndex struct {
	a   *ociArchive
	raw []byte
}

var _ v1.ImageIndex = (*archiveIndex)(nil)

func (x *archiveIndex) MediaType() (types.MediaType, error) {
	m, err := x.IndexManifest()
	if err != nil {
		return "", err
	}
	if m.MediaType != "" {
		return m.MediaType, nil
	}
	return types.OCIImageIndex, nil
}

func (x *archiveIndex) Digest() (v1.Hash, error) { return partial.Digest(x) }

func (x *archiveIndex) Size() (int64, error) { return int64(len(x.raw)), nil }

func (x *archiveIndex) IndexManifest() (*v1.IndexManifest, error) {
	m, err := v1.ParseIndexManifest(bytes.NewReader(x.raw))
	if err != nil {
		return nil, fmt.Errorf("parse index: %w", err)
	}
	return m, nil
}

func (x *archiveIndex) RawManifest() ([]byte, error) { return x.raw, nil }

func (x *archiveIndex) Image(h v1.Hash) (v1.Image, error) {
	raw, err := x.a.readBlob(h)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&archiveImage{a: x.a, raw: raw})
}

func (x *archiveIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	raw, err := x.a.readBlob(h)
	if err != nil {
		return nil, err
	}
	return &archiveIndex{a: x.a, raw: raw}, nil
}

// archiveImage is an image manifest read from the archive; partial fills in
// the rest of v1.Image.
type archiveImage struct {
	a   *ociArchive
	raw []byte
}

func (i *archiveImage) RawManifest() ([]byte, error) { return i.raw, nil }

func (i *archiveImage) manifest() (*v1.Manifest, error) {
	m, err := v1.ParseManifest(bytes.NewReader(i.raw))
	if err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	return m, nil
}

func (i *archiveImage) MediaType() (types.MediaType, error) {
	m, err := i.manifest()
	if err != nil {
		return "", err
	}
	if m.MediaType != "" {
		return m.MediaType, nil
	}
	return types.OCIManifestSchema1, nil
}

func (i *archiveImage) RawConfigFile() ([]byte, error) {
	m, err := i.manifest()
	if err != nil {
		return nil, err
	}
	return i.a.readBlob(m.Config.Digest)
}

func (i *archiveImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	m, err := i.manifest()
	if err != nil {
		return nil, err
	}
	for _, l := range m.Layers {
		if l.Digest == h {
			return &archiveLayer{a: i.a, desc: l}, nil
		}
	}
	return nil, fmt.Errorf("manifest has no layer %s", h)
}

// archiveLayer is a layer blob in the archive.
type archiveLayer struct {
	a    *ociArchive
	desc v1.Descriptor
}

func (l *archiveLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *archiveLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *archiveLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

func (l *archiveLayer) Compressed() (io.ReadCloser, error) {
	rc, _, err := l.a.open(blobName(l.desc.Digest))
	return rc, err
}
