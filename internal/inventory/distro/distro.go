// Package distro detects the operating system of a target from its release
// files (os-release and the older per-distribution files) and maps it to the
// OSV ecosystem its packages are matched in, such as "Debian:12" or
// "Alpine:v3.19". Apply gives the packages of the OS package catalogers that
// ecosystem and a PURL naming the distribution.
package distro

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"
	"time"

	"github.com/redline-sec/redline/internal/walk"
)

// Distro is the operating system of a target.
type Distro struct {
	// ID, VersionID, Codename and PrettyName are as os-release names them
	// ("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)").
	ID         string `json:"id"`
	VersionID  string `json:"version_id,omitempty"`
	Codename   string `json:"codename,omitempty"`
	PrettyName string `json:"pretty_name,omitempty"`
	// Ecosystem is the OSV ecosystem of the distribution's packages, with
	// the release: "Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19". Empty
	// when the distribution has no OSV ecosystem.
	Ecosystem string `json:"ecosystem,omitempty"`
	// PackageType is the PURL type of its packages ("deb", "apk", "rpm");
	// empty for a distribution Redline does not know.
	PackageType string `json:"package_type,omitempty"`
	// Namespace is the PURL namespace of its packages ("debian", "redhat").
	Namespace string `json:"namespace,omitempty"`
	// Supported is true when the distribution's packages can be matched:
	// it has an OSV ecosystem. Reason says why not when it is false.
	Supported bool   `json:"supported"`
	Reason    string `json:"reason,omitempty"`
	// EOL is true when the release no longer gets security fixes from its
	// distribution; EOLDate is that day ("2024-06-30"), when known.
	EOL     bool   `json:"eol"`
	EOLDate string `json:"eol_date,omitempty"`
	// Path and Layer are the release file the distribution was read from.
	Path  string `json:"path"`
	Layer string `json:"layer,omitempty"`
}

// String renders the distribution as "debian 12 (Debian:12)".
func (d *Distro) String() string {
	s := d.ID
	if d.VersionID != "" {
		s += " " + d.VersionID
	}
	if d.Ecosystem != "" {
		s += " (" + d.Ecosystem + ")"
	}
	return s
}

// releaseFiles are the files the detector reads, most trusted first: an
// earlier file wins over a later one. lsb-release comes before debian_version
// because Ubuntu has both and its debian_version names a Debian release.
var releaseFiles = []struct {
	path  string
	parse func(name string, data []byte) (release, error)
}{
	{"etc/os-release", parseOSRelease},
	{"usr/lib/os-release", parseOSRelease},
	{"etc/lsb-release", parseLSBRelease},
	{"etc/alpine-release", parseAlpineRelease},
	{"etc/redhat-release", parseRedHatRelease},
	{"etc/centos-release", parseRedHatRelease},
	{"etc/rocky-release", parseRedHatRelease},
	{"etc/almalinux-release", parseRedHatRelease},
	{"etc/fedora-release", parseRedHatRelease},
	{"etc/oracle-release", parseRedHatRelease},
	{"etc/system-release", parseRedHatRelease},
	{"etc/mageia-release", parseRedHatRelease},
	{"etc/debian_version", parseDebianVersion},
}

// Detector finds the distribution during the walk. It implements
// walk.Analyzer; call Result after the walk. It is safe for concurrent use.
type Detector struct {
	// Now is the time end of life is judged against; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	found []candidate
}

// candidate is one copy of a release file.
type candidate struct {
	path, layer string
	seq         int // order of arrival
	data        []byte
}

// NewDetector returns a detector that judges end of life against now (nil
// means time.Now).
func NewDetector(now func() time.Time) *Detector { return &Detector{Now: now} }

// Name is "distro".
func (*Detector) Name() string { return "distro" }

// Wants reports whether path is one of the release files. Paths are relative
// to the target root, without a leading slash.
func (*Detector) Wants(path string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	for _, rf := range releaseFiles {
		if rf.path == path {
			return true
		}
	}
	return false
}

// Analyze keeps the file's contents for Result. Files over 64 KiB are
// refused: no release file is that large.
func (d *Detector) Analyze(ctx context.Context, f *walk.File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := f.ReadAll(maxReleaseSize)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.found = append(d.found, candidate{path: f.Path, layer: f.Layer, seq: len(d.found), data: data})
	d.mu.Unlock()
	return nil
}

// Result returns the distribution the release files name, or nil when the
// target has none (a source tree, a scratch image). visible reports whether
// the copy of path added by layer is part of the final tree (an image's
// artifact.Layered.Visible); nil means every copy is. Of several copies of
// one path still visible, the one analyzed last is used.
//
// The most trusted file that parses wins (see releaseFiles); the error
// joins the problems with the files that did not parse, and is worth a
// warning even when a distribution is returned.
func (d *Detector) Result(visible func(path, layer string) bool) (*Distro, error) {
	d.mu.Lock()
	found := append([]candidate(nil), d.found...)
	d.mu.Unlock()

	latest := make(map[string]candidate)
	for _, c := range found {
		if visible != nil && !visible(c.path, c.layer) {
			continue
		}
		if cur, ok := latest[c.path]; !ok || c.seq > cur.seq {
			latest[c.path] = c
		}
	}
	var errs []error
	for _, rf := range releaseFiles {
		c, ok := latest[rf.path]
		if !ok {
			continue
		}
		r, err := rf.parse(c.path, c.data)
		if r.ID == "" {
			if err == nil {
				err = fmt.Errorf("%s: no distribution named", c.path)
			}
			errs = append(errs, err)
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
		dist := newDistro(r, d.now())
		dist.Path, dist.Layer = c.path, c.layer
		return dist, errors.Join(errs...)
	}
	return nil, errors.Join(errs...)
}

func (d *Detector) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// newDistro maps a release to a Distro, judging end of life at now.
func newDistro(r release, now time.Time) *Distro {
	d := &Distro{ID: r.ID, VersionID: r.VersionID, Codename: r.Codename, PrettyName: r.PrettyName}
	fam, ok := families[r.ID]
	if !ok {
		d.Namespace = r.ID
		d.Reason = fmt.Sprintf("unknown distribution %q", r.ID)
		if r.IDLike != "" {
			d.Reason += fmt.Sprintf(" (like %q)", r.IDLike)
		}
		return d
	}
	d.PackageType, d.Namespace = fam.pkgType, fam.namespace
	d.Ecosystem, d.Reason = fam.ecosystem(r)
	d.Supported = d.Ecosystem != ""
	if t, ok := endOfLife(r); ok {
		d.EOLDate = t.Format(time.DateOnly)
		d.EOL = !now.Before(t.AddDate(0, 0, 1))
	}
	return d
}

// KnownIDs returns the os-release IDs Redline knows, sorted; for docs and
// tests.
func KnownIDs() []string {
	ids := make([]string, 0, len(families))
	for id := range families {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
