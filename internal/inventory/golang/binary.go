package golang

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// Size bounds for files worth opening as Go binaries. The smallest Go
// executables (an empty main, stripped: 1.2 MB with go1.26 on linux/amd64)
// are far above 64 KiB, which keeps scripts and other small executables out
// without risking a real binary.
// debug/buildinfo reads only headers and at most 1 MiB chunks of the data
// segment, so the upper bound only keeps absurd files out.
const (
	minBinarySize = 64 << 10
	maxBinarySize = 4 << 30
)

// devel is the version the go command records for a main module built from
// a work tree without a version control tag.
const devel = "(devel)"

// BinaryCataloger reads the module list that the Go linker embeds in
// executables (ELF, Mach-O including universal binaries, and PE) through
// debug/buildinfo. It reports the main module when it has a real version,
// every linked dependency after replace directives, and the Go standard
// library at the toolchain version that built the binary, all with the
// binary's GOOS and GOARCH.
type BinaryCataloger struct{}

// Name is "go-binary".
func (BinaryCataloger) Name() string { return "go-binary" }

// Wants reports whether the file could be a Go binary: a regular file of
// plausible size that is executable or named *.exe.
func (BinaryCataloger) Wants(p string, info fs.FileInfo) bool {
	if info == nil || !info.Mode().IsRegular() {
		return false
	}
	if n := info.Size(); n < minBinarySize || n > maxBinarySize {
		return false
	}
	return info.Mode().Perm()&0o111 != 0 || strings.HasSuffix(strings.ToLower(p), ".exe")
}

// Catalog reads the build information of a Go binary. Files that are not
// executables, and executables without Go build information (C programs,
// stripped or packed Go binaries), give nothing and no error. A file that
// looks like a Go binary but whose build information cannot be decoded gives
// a *inventory.ParseError.
func (c BinaryCataloger) Catalog(ctx context.Context, f *walk.File) (pkgs []inventory.Package, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ra := f.ReaderAt()
	if !isExecutable(ra, f.Size()) {
		return nil, nil
	}
	// The debug/* parsers are meant to reject bad input with an error, but
	// a scanner reads untrusted files: a parser bug must cost one warning,
	// not the scan.
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, &inventory.ParseError{Path: f.Path, Err: fmt.Errorf("read Go build info: parser panic: %v", r)}
		}
	}()
	bi, err := buildinfo.Read(ra)
	if err != nil {
		if isNotGo(err) && !hasGoBuildInfoSection(ra) {
			return nil, nil
		}
		return nil, &inventory.ParseError{Path: f.Path, Err: fmt.Errorf("read Go build info: %w", err)}
	}
	return binaryPackages(f.Path, bi), nil
}

// binaryPackages turns build information into packages found at path.
func binaryPackages(path string, bi *buildinfo.BuildInfo) []inventory.Package {
	goos, goarch := setting(bi, "GOOS"), setting(bi, "GOARCH")
	var pkgs []inventory.Package
	add := func(p inventory.Package) {
		p.Locations = []finding.Location{{Path: path}}
		p.GOOS, p.GOARCH = goos, goarch
		pkgs = append(pkgs, p)
	}

	if bi.Main.Path != "" && bi.Main.Version != "" && bi.Main.Version != devel {
		add(modulePackage(bi.Main.Path, bi.Main.Version))
	}
	for _, d := range bi.Deps {
		if d == nil {
			continue
		}
		mod := d
		if d.Replace != nil {
			// A replacement by a local directory has no version: the code
			// linked in is whatever that directory held, and the required
			// version says nothing about it. Reporting either would only
			// give false matches, so the module is left out (govulncheck
			// likewise never matches a module whose version is empty).
			if d.Replace.Version == "" {
				continue
			}
			mod = d.Replace
		}
		if mod.Path == "" || mod.Version == "" || mod.Version == devel {
			continue
		}
		add(modulePackage(mod.Path, mod.Version))
	}
	if v, ok := stdlibVersion(bi.GoVersion); ok {
		p := modulePackage(Stdlib, v)
		// Version stays bare ("1.21.3", as the Go vulnerability database
		// spells stdlib versions); the purl carries the "v" of Go module
		// versions, as Trivy writes it (pkg:golang/stdlib@v1.21.3). Syft
		// writes pkg:golang/stdlib@1.21.3 and osv-scalibr names it "go".
		p.PURL = purl(Stdlib, "v"+v)
		add(p)
	}
	inventory.Sort(pkgs)
	return pkgs
}

func setting(bi *buildinfo.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// stdlibVersion converts the toolchain version recorded in a binary into
// the semantic version the Go vulnerability database uses for "stdlib":
// go1.21.3 → 1.21.3, go1.21 → 1.21.0, go1.21rc2 → 1.21.0-rc.2. Anything
// after the first space (GOEXPERIMENT "X:..." flags) and vendor suffixes
// such as "-bigcorp" are dropped. Development toolchains ("devel ...") have
// no release version and give false.
func stdlibVersion(goVersion string) (string, bool) {
	fields := strings.Fields(goVersion)
	if len(fields) == 0 {
		return "", false
	}
	v, ok := strings.CutPrefix(fields[0], "go")
	if !ok {
		return "", false
	}
	end := 0
	for end < len(v) && (v[end] == '.' || isDigit(v[end])) {
		end++
	}
	num, rest := v[:end], v[end:]
	parts := strings.Split(num, ".")
	if len(parts) > 3 {
		return "", false
	}
	for _, p := range parts {
		if p == "" || !allDigits(p) {
			return "", false
		}
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	out := strings.Join(parts, ".")
	for _, kind := range []string{"rc", "beta", "-pre"} {
		if n, ok := strings.CutPrefix(rest, kind); ok {
			digits := 0
			for digits < len(n) && isDigit(n[digits]) {
				digits++
			}
			if digits == 0 {
				return "", false
			}
			return out + "-" + strings.TrimPrefix(kind, "-") + "." + n[:digits], true
		}
	}
	// Any other suffix ("-bigcorp", "+build") is a vendor's marking of a
	// release build: the release is what the vulnerability data knows.
	if rest != "" && rest[0] != '-' && rest[0] != '+' {
		return "", false
	}
	return out, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isExecutable reports whether the file starts like an executable format Go
// links: ELF, PE ("MZ"), Mach-O (32- and 64-bit, either byte order) or
// universal Mach-O (fat and fat64). For Mach-O it also checks that the load
// command count fits the commands' size and the file: debug/macho sizes an
// allocation by that count before checking it, up to 10 MiB per file.
func isExecutable(ra io.ReaderAt, size int64) bool {
	var b [24]byte
	n, _ := ra.ReadAt(b[:], 0)
	if n < 4 {
		return false
	}
	switch string(b[:4]) {
	case "\x7fELF", "\xca\xfe\xba\xbe", "\xca\xfe\xba\xbf":
		return true
	case "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf":
		return n == len(b) && machoCmdsFit(binary.BigEndian, b[:], size)
	case "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe":
		return n == len(b) && machoCmdsFit(binary.LittleEndian, b[:], size)
	}
	return string(b[:2]) == "MZ"
}

// machoCmdsFit checks a Mach-O header's ncmds and sizeofcmds: every load
// command takes at least 8 bytes, and all of them lie inside the file.
func machoCmdsFit(bo binary.ByteOrder, hdr []byte, size int64) bool {
	ncmds, sizeofcmds := uint64(bo.Uint32(hdr[16:])), uint64(bo.Uint32(hdr[20:]))
	return ncmds*8 <= sizeofcmds && int64(sizeofcmds) <= size
}

// isNotGo reports whether err is debug/buildinfo's way of saying the file
// is not a Go executable (its sentinel errors are unexported, so they are
// told apart by text).
func isNotGo(err error) bool {
	switch err.Error() {
	case "unrecognized file format", "not a Go executable":
		return true
	}
	return false
}

// hasGoBuildInfoSection reports whether an ELF or Mach-O file has the
// section the Go linker puts build information in. buildinfo failing on
// such a file means corrupt build information rather than a non-Go
// program. PE files have no such section and are not checked.
func hasGoBuildInfoSection(ra io.ReaderAt) bool {
	if f, err := elf.NewFile(ra); err == nil {
		return f.Section(".go.buildinfo") != nil
	}
	if f, err := macho.NewFile(ra); err == nil {
		return f.Section("__go_buildinfo") != nil
	}
	if f, err := macho.NewFatFile(ra); err == nil && len(f.Arches) > 0 {
		return f.Arches[0].Section("__go_buildinfo") != nil
	}
	return false
}
