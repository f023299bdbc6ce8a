package rpm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	rpmdb "github.com/erikvarga/go-rpmdb/pkg"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver go-rpmdb opens rpmdb.sqlite with

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/distro"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for rpm databases. The Berkeley DB of a CentOS 7 image with 400
// packages is about 30 MiB; a full RHEL server's is a few hundred.
const (
	maxDBSize      = 512 << 20
	maxDBPackages  = 100_000
	defaultTimeout = time.Minute
)

// dbNames are the file names of the three formats of the rpm database.
var dbNames = []string{"rpmdb.sqlite", "Packages", "Packages.db"}

// DBCataloger reads the rpm database through github.com/erikvarga/go-rpmdb
// (the maintained fork of knqyf263/go-rpmdb that osv-scalibr uses), a pure
// Go reader of all three formats. The library opens files by path, so the
// database is first copied to a private temporary directory (at most
// 512 MiB, streamed, removed afterwards); SQLite needs the directory for its
// journal files.
//
// Versions are "epoch:version-release" with the epoch only when it is not
// zero, the form OSV's RPM version ordering takes. The source package comes
// from the SOURCERPM tag ("openssl-3.0.7-24.el9.src.rpm": openssl,
// 3.0.7-24.el9, with the binary package's epoch); licenses from LICENSE.
// The gpg-pubkey entries rpm keeps for imported signing keys are not
// packages and are left out.
type DBCataloger struct {
	// Timeout bounds reading one database; 0 means one minute. A corrupt
	// Berkeley DB can make the reader go round in circles.
	Timeout time.Duration
}

// Name is "rpm".
func (DBCataloger) Name() string { return "rpm" }

// Wants reports whether the file is an rpm database in var/lib/rpm or
// usr/lib/sysimage/rpm, at the root or under a directory holding a root
// file system.
func (DBCataloger) Wants(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	dir, base := path.Split(p)
	known := false
	for _, n := range dbNames {
		if base == n {
			known = true
			break
		}
	}
	if !known {
		return false
	}
	for _, d := range []string{"var/lib/rpm/", "usr/lib/sysimage/rpm/"} {
		if dir == d || strings.HasSuffix(dir, "/"+d) {
			return true
		}
	}
	return false
}

// Catalog reads the database. An unreadable database gives an error naming
// the file; the library does not report where in the file it failed.
func (c DBCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.Size() > maxDBSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit for rpm databases", f.Path, f.Size(), maxDBSize)
	}
	dir, err := os.MkdirTemp("", "redline-rpmdb-")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, path.Base(f.Path))
	if err := copyFile(tmp, f.Reader()); err != nil {
		return nil, fmt.Errorf("copy %s: %w", f.Path, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	infos, err := list(ctx, tmp)
	if err != nil {
		return nil, &inventory.ParseError{Path: f.Path, Err: err}
	}
	return packages(f.Path, infos)
}

func copyFile(name string, r io.Reader) error {
	out, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, io.LimitReader(r, maxDBSize)); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// list reads every package header of the database at name. A panic while
// decoding a header (the library panics on some truncated NDB files) becomes
// an error. The library reads pages in a goroutine of its own that does not
// watch ctx: after an error it stays blocked, holding the copy open, until
// the process ends.
func list(ctx context.Context, name string) (infos []*rpmdb.PackageInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			infos, err = nil, fmt.Errorf("rpm database reader failed: %v", r)
		}
	}()
	db, err := rpmdb.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open rpm database: %w", err)
	}
	defer db.Close()
	infos, err = db.ListPackagesWithContext(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); errors.Is(ctxErr, context.DeadlineExceeded) {
			return nil, fmt.Errorf("rpm database not read in time: %w", ctxErr)
		}
		return nil, fmt.Errorf("list packages: %w", err)
	}
	return infos, nil
}

// packages turns package headers into packages.
func packages(name string, infos []*rpmdb.PackageInfo) ([]inventory.Package, error) {
	pkgs := make([]inventory.Package, 0, len(infos))
	var firstErr error
	for _, info := range infos {
		if info.Name == "gpg-pubkey" {
			continue
		}
		if info.Name == "" || info.Version == "" {
			if firstErr == nil {
				firstErr = &inventory.ParseError{Path: name, Err: fmt.Errorf("package header without a name or version (%q)", info.Name)}
			}
			continue
		}
		if len(pkgs) == maxDBPackages {
			return pkgs, &inventory.ParseError{Path: name, Err: fmt.Errorf("more than %d packages", maxDBPackages)}
		}
		pkgs = append(pkgs, toPackage(name, info))
	}
	inventory.Sort(pkgs)
	return pkgs, firstErr
}

func toPackage(name string, info *rpmdb.PackageInfo) inventory.Package {
	epoch := info.EpochNum()
	vr := info.Version
	if info.Release != "" {
		vr += "-" + info.Release
	}
	p := inventory.Package{
		Name:      info.Name,
		Version:   withEpoch(epoch, vr),
		Ecosystem: distro.TypeRPM,
		PURL:      purl(info.Name, vr, info.Arch, epoch),
		Locations: []finding.Location{{Path: name}},
	}
	if src, srcVR, ok := parseSourceRPM(info.SourceRpm); ok {
		p.SourceName, p.SourceVersion = src, withEpoch(epoch, srcVR)
	} else {
		p.SourceName, p.SourceVersion = info.Name, p.Version
	}
	if info.License != "" {
		p.Licenses = []string{info.License}
	}
	return p
}

// withEpoch returns "epoch:vr", or vr when epoch is zero.
func withEpoch(epoch int, vr string) string {
	if epoch <= 0 {
		return vr
	}
	return strconv.Itoa(epoch) + ":" + vr
}

// parseSourceRPM splits a source RPM file name,
// "<name>-<version>-<release>.src.rpm", into name and "version-release".
func parseSourceRPM(s string) (string, string, bool) {
	base, ok := strings.CutSuffix(s, ".src.rpm")
	if !ok {
		if base, ok = strings.CutSuffix(s, ".nosrc.rpm"); !ok {
			return "", "", false
		}
	}
	i := strings.LastIndexByte(base, '-')
	if i <= 0 {
		return "", "", false
	}
	j := strings.LastIndexByte(base[:i], '-')
	if j <= 0 || j+1 == i || i+1 == len(base) {
		return "", "", false
	}
	return base[:j], base[j+1:], true
}
