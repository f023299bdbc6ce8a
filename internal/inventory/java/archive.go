package java

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// Size limits for single members of an archive, and the smallest zip file
// (an empty one: its end-of-central-directory record alone).
const (
	maxPomPropertiesSize = 64 << 10
	maxManifestSize      = 1 << 20
	minZipSize           = 22
)

// Limits bound the work done on one archive file, its nested archives
// included. A zero field takes its default.
type Limits struct {
	// MaxDepth is how many levels of archives inside archives are opened
	// (an .ear holding a .war holding a .jar is 2). Default 5.
	MaxDepth int
	// MaxNestedSize is the largest uncompressed size of a compressed nested
	// archive, which must be read into memory. Nested archives stored
	// without compression (as Spring Boot requires) are read in place and
	// need no memory. Default 64 MiB.
	MaxNestedSize int64
	// MaxHeldBytes bounds the nested archives held in memory at one time,
	// along one chain of nesting. Default 128 MiB.
	MaxHeldBytes int64
	// MaxArchives is how many nested archives are opened in all. Default 10,000.
	MaxArchives int
	// MaxEntries is how many zip entries are listed in all. Default 1,000,000.
	MaxEntries int
	// MaxReadBytes is how many uncompressed bytes are read in all: metadata
	// files and compressed nested archives. Default 1 GiB.
	MaxReadBytes int64
}

// DefaultLimits returns the limits used where a field is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:      5,
		MaxNestedSize: 64 << 20,
		MaxHeldBytes:  128 << 20,
		MaxArchives:   10_000,
		MaxEntries:    1_000_000,
		MaxReadBytes:  1 << 30,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxNestedSize > 0 {
		d.MaxNestedSize = l.MaxNestedSize
	}
	if l.MaxHeldBytes > 0 {
		d.MaxHeldBytes = l.MaxHeldBytes
	}
	if l.MaxArchives > 0 {
		d.MaxArchives = l.MaxArchives
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxReadBytes > 0 {
		d.MaxReadBytes = l.MaxReadBytes
	}
	return d
}

// ArchiveCataloger ("java-archive") reads Java archives through archive/zip,
// in place: nothing is extracted to disk.
//
// In each archive, and in every archive nested in it at any depth, it
// reports every META-INF/maven/<groupId>/<artifactId>/pom.properties: the
// archive's own coordinates and those of libraries shaded into it. An
// archive with no pom.properties at all (built by Ant, Gradle without the
// Maven plugin, or repackaged) is named from its file name and manifest when
// a groupId can be established; identify says how, and when nothing is
// reported. osv-scalibr decides the same way whether to fall back (any
// pom.properties counts as the archive's own); Trivy falls back unless one
// matches the file name, and then asks Maven Central, which Redline, offline
// first, does not.
//
// Nested archives (WEB-INF/lib/*.jar in a .war, BOOT-INF/lib/*.jar in a
// Spring Boot jar, modules and lib/*.jar of an .ear) are opened in turn.
// Their packages are located at a path that joins the outer file's path and
// the entry names with "!/", as Java's jar: URLs do:
// "app.ear!/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar".
//
// Every package is located at the archive (or nested archive) that holds
// its metadata, without a line. An archive that yields one package gives it
// the manifest's Bundle-License, as written. Limits bound nesting, memory
// and work; a corrupt archive, or one that reaches a limit, gives a
// *inventory.ParseError naming it, along with the packages read before.
type ArchiveCataloger struct {
	// Limits are the bounds applied; zero fields take DefaultLimits.
	Limits Limits
}

// Name is "java-archive".
func (ArchiveCataloger) Name() string { return "java-archive" }

// Wants reports whether the file is a regular file, large enough to be a
// zip, with a Java archive extension (see archiveExts).
func (ArchiveCataloger) Wants(p string, info fs.FileInfo) bool {
	if !isArchiveName(p) {
		return false
	}
	return info == nil || info.Mode().IsRegular() && info.Size() >= minZipSize
}

// Catalog reads the archive and the archives nested in it.
func (c ArchiveCataloger) Catalog(ctx context.Context, f *walk.File) (pkgs []inventory.Package, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &scan{ctx: ctx, lim: c.Limits.withDefaults(), seen: make(map[string]bool)}
	// archive/zip is meant to reject bad input with an error, but a
	// scanner reads untrusted files: a parser bug must cost one warning,
	// not the scan.
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, &inventory.ParseError{Path: f.Path, Err: fmt.Errorf("read Java archive: parser panic: %v", r)}
		}
	}()
	stop := s.archive(f.Path, f.ReaderAt(), f.Size(), 0)
	inventory.Sort(s.pkgs)
	if stop != nil {
		return s.pkgs, stop
	}
	return s.pkgs, s.err
}

// scan is the state of one Catalog call.
type scan struct {
	ctx context.Context
	lim Limits

	archives int   // nested archives opened
	entries  int   // zip entries listed
	read     int64 // uncompressed bytes read
	held     int64 // bytes of nested archives in memory now

	pkgs []inventory.Package
	seen map[string]bool // name, version and location of each package
	err  error           // the first problem that did not stop the scan
}

// warn records a problem with the archive member at loc that does not stop
// the scan.
func (s *scan) warn(loc string, err error) {
	if s.err == nil {
		s.err = &inventory.ParseError{Path: loc, Err: err}
	}
}

// charge counts n more bytes read, failing once the total is over the limit.
func (s *scan) charge(loc string, n int64) error {
	s.read += n
	if s.read > s.lim.MaxReadBytes {
		return &inventory.ParseError{Path: loc, Err: fmt.Errorf("more than %d uncompressed bytes read from one archive", s.lim.MaxReadBytes)}
	}
	return nil
}

func (s *scan) add(p inventory.Package) {
	k := p.Name + "\x00" + p.Version + "\x00" + p.Locations[0].Path
	if !s.seen[k] {
		s.seen[k] = true
		s.pkgs = append(s.pkgs, p)
	}
}

// archive reads the zip at loc and what is nested in it. Problems with one
// archive are recorded and skipped; it returns an error only when the whole
// scan must stop (context done, a global limit reached).
func (s *scan) archive(loc string, ra io.ReaderAt, size int64, depth int) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	zr, err := zip.NewReader(ra, size)
	// Entry names with ".." or absolute paths are only labels here.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		s.warn(loc, fmt.Errorf("open zip: %w", err))
		return nil
	}
	s.entries += len(zr.File)
	if s.entries > s.lim.MaxEntries {
		return &inventory.ParseError{Path: loc, Err: fmt.Errorf("more than %d zip entries in one archive and those nested in it", s.lim.MaxEntries)}
	}

	var (
		own      []inventory.Package // from pom.properties, then the fallback
		manifest *zip.File
		nested   []*zip.File
	)
	for _, zf := range zr.File {
		switch {
		case isPomPropertiesPath(zf.Name):
			data, err := s.readMember(loc, zf, maxPomPropertiesSize)
			if err != nil {
				if s.read > s.lim.MaxReadBytes {
					return err
				}
				s.warn(loc+"!/"+zf.Name, err)
				continue
			}
			if p := parsePomProperties(data); p.valid() {
				own = append(own, newPackage(p.groupID, p.artifactID, p.version, loc))
			}
		case isManifestPath(zf.Name):
			if manifest == nil {
				manifest = zf
			}
		case isArchiveName(zf.Name) && !zf.Mode().IsDir():
			nested = append(nested, zf)
		}
	}

	// The manifest names the archive when no pom.properties does, and
	// states the license of the archive's one package. With several
	// pom.properties (a shaded jar) it is not known whose license it is.
	attrs := map[string]string{}
	if manifest != nil && len(own) <= 1 {
		data, err := s.readMember(loc, manifest, maxManifestSize)
		switch {
		case err != nil && s.read > s.lim.MaxReadBytes:
			return err
		case err != nil && len(own) == 0:
			s.warn(loc+"!/"+manifest.Name, err)
		case err == nil:
			attrs = parseManifest(data)
		}
	}
	if len(own) == 0 {
		if g, a, v, ok := identify(path.Base(loc), attrs); ok {
			own = append(own, newPackage(g, a, v, loc))
		}
	}
	if len(own) == 1 {
		own[0].Licenses = bundleLicenses(attrs)
	}
	for _, p := range own {
		s.add(p)
	}

	for _, zf := range nested {
		if err := s.nested(loc, ra, size, zf, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// readMember reads a small member of the archive at loc, refusing one
// larger than limit bytes.
func (s *scan) readMember(loc string, zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%d bytes is over the %d-byte limit for this kind of file", zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if cerr := s.charge(loc, int64(len(data))); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("over the %d-byte limit for this kind of file", limit)
	}
	return data, nil
}

// nested opens the archive stored as zf in the archive at parent (ra,
// holding parentSize bytes), depth levels down.
func (s *scan) nested(parent string, ra io.ReaderAt, parentSize int64, zf *zip.File, depth int) error {
	loc := parent + "!/" + zf.Name
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if depth > s.lim.MaxDepth {
		s.warn(loc, fmt.Errorf("archive nested more than %d deep: skipped", s.lim.MaxDepth))
		return nil
	}
	s.archives++
	if s.archives > s.lim.MaxArchives {
		return &inventory.ParseError{Path: loc, Err: fmt.Errorf("more than %d nested archives", s.lim.MaxArchives)}
	}

	// A stored member is read in place, through a window on the parent.
	if zf.Method == zip.Store && zf.CompressedSize64 == zf.UncompressedSize64 && zf.CompressedSize64 <= uint64(parentSize) {
		n := int64(zf.CompressedSize64)
		if off, err := zf.DataOffset(); err == nil && off >= 0 && off <= parentSize-n {
			return s.archive(loc, io.NewSectionReader(ra, off, n), n, depth)
		}
	}

	if zf.UncompressedSize64 > uint64(s.lim.MaxNestedSize) {
		s.warn(loc, fmt.Errorf("%d bytes uncompressed is over the %d-byte limit for nested archives: skipped", zf.UncompressedSize64, s.lim.MaxNestedSize))
		return nil
	}
	n := int64(zf.UncompressedSize64)
	if s.held+n > s.lim.MaxHeldBytes {
		s.warn(loc, fmt.Errorf("nested archives would hold more than %d bytes in memory: skipped", s.lim.MaxHeldBytes))
		return nil
	}
	if err := s.charge(loc, n); err != nil {
		return err
	}
	rc, err := zf.Open()
	if err != nil {
		s.warn(loc, fmt.Errorf("open: %w", err))
		return nil
	}
	buf := make([]byte, n)
	_, err = io.ReadFull(rc, buf)
	rc.Close()
	if err != nil {
		s.warn(loc, fmt.Errorf("read: %w", err))
		return nil
	}
	s.held += n
	defer func() { s.held -= n }()
	return s.archive(loc, bytes.NewReader(buf), n, depth)
}
