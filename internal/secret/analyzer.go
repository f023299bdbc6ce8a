package secret

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// DefaultMaxFileSize is the largest file the analyzer reads (32 MiB): disk
// images in test fixtures hold keys, and gitleaks reads files of any size.
const DefaultMaxFileSize = 32 << 20

// binarySniff is how much of a file is checked for NUL bytes.
const binarySniff = 8 << 10

// Options tune the analyzer.
type Options struct {
	// MaxFileSize skips larger files; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// ScanBinaries also runs the rules over binary files (gitleaks does; it
	// finds keys inside disk images). Off by default: system libraries
	// carry test keys (libgnutls holds a dozen PEM blocks), and reading
	// every binary of an image costs more than the rest of the scan.
	ScanBinaries bool
}

// Analyzer is the walk.Analyzer that reports secrets.
type Analyzer struct {
	det  *Detector
	c    *finding.Collector
	max  int64
	name string

	scanBinaries bool

	// mu guards the count of files left unread for their size, which
	// Summary reports: a secret hidden in a large file must not go
	// unmentioned.
	mu       sync.Mutex
	oversize int
	largest  string
	largestN int64
}

// NewAnalyzer returns an analyzer that adds the secrets it finds with rules
// to c.
func NewAnalyzer(rules *RuleSet, c *finding.Collector, opts Options) *Analyzer {
	max := opts.MaxFileSize
	if max <= 0 {
		max = DefaultMaxFileSize
	}
	return &Analyzer{det: NewDetector(rules), c: c, max: max, name: "secret", scanBinaries: opts.ScanBinaries}
}

// isBinary reads only the first bytes of a file: a NUL among them marks a
// binary, which is then never read in full.
func isBinary(f *walk.File) bool {
	head := make([]byte, min(f.Size(), binarySniff))
	n, _ := f.ReaderAt().ReadAt(head, 0)
	return bytes.IndexByte(head[:n], 0) >= 0
}

// Name identifies the analyzer.
func (a *Analyzer) Name() string { return a.name }

// skipExt lists extensions of files that never hold text worth scanning.
var skipExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".ico": true, ".webp": true, ".bmp": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true,
	".so": true, ".dll": true, ".dylib": true, ".exe": true, ".a": true, ".o": true, ".class": true, ".pyc": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true, ".mp3": true, ".mp4": true,
	".pdf": true, ".wasm": true,
}

// Wants accepts regular files under the size limit that are not known
// binary formats or allowlisted paths, and key store files whatever their size.
func (a *Analyzer) Wants(p string, info fs.FileInfo) bool {
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	if a.det.SkipPath(p) {
		return false
	}
	if len(a.det.DetectPath(p)) > 0 {
		return true
	}
	if skipExt[strings.ToLower(path.Ext(p))] {
		return false
	}
	if info != nil && info.Size() > a.max {
		a.mu.Lock()
		a.oversize++
		if info.Size() > a.largestN {
			a.largest, a.largestN = p, info.Size()
		}
		a.mu.Unlock()
		return false
	}
	return true
}

// Summary reports, as one warning, the files of the walk just finished
// that were too large to read for secrets.
func (a *Analyzer) Summary() []walk.Warning {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.oversize == 0 {
		return nil
	}
	w := walk.Warning{Path: a.largest, Analyzer: a.name, Message: fmt.Sprintf(
		"%d file(s) larger than the secret scanner's %s limit were not read for secrets (the largest, %s, is shown); raise --secret-max-file-size to read them",
		a.oversize, mebibytes(a.max), mebibytes(a.largestN))}
	a.oversize, a.largest, a.largestN = 0, "", 0
	return []walk.Warning{w}
}

// mebibytes writes a size for people: "32 MiB", "51.3 MiB", "900 bytes".
func mebibytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
}

// Analyze reads the file and reports its secrets.
func (a *Analyzer) Analyze(ctx context.Context, f *walk.File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var ms []Match
	ms = append(ms, a.det.DetectPath(f.Path)...)
	if f.Size() <= a.max && (a.scanBinaries || !isBinary(f)) {
		data, err := f.ReadAll(a.max)
		if err != nil {
			return err
		}
		// A NUL byte near the start marks a binary file.
		if bytes.IndexByte(data[:min(len(data), binarySniff)], 0) < 0 {
			ms = append(ms, a.det.Detect(f.Path, data)...)
		} else {
			ms = append(ms, a.det.DetectBinary(f.Path, data)...)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	out := make([]finding.Finding, 0, len(ms))
	for _, m := range ms {
		out = append(out, newFinding(m, f))
	}
	a.c.Add(out...)
	return nil
}

func newFinding(m Match, f *walk.File) finding.Finding {
	r := m.Rule
	// The line keeps two secrets of one rule in one file apart, as
	// gitleaks' file:rule:line fingerprint does.
	loc := finding.Location{Path: f.Path, Line: m.Line, Layer: f.Layer, CreatedBy: f.CreatedBy, Object: fmt.Sprintf("line %d", m.Line)}
	title := r.Title
	if m.Encoding != "" {
		title += " (" + m.Encoding + "-encoded)"
	}
	desc := fmt.Sprintf("%s found at %s.", title, loc)
	ev := ""
	if m.Secret != "" {
		ev = Redact(m.Secret)
	}
	return finding.Finding{
		Kind: finding.KindSecret, RuleID: r.ID, Title: title, Description: desc,
		Severity: r.Severity, Location: loc, Evidence: ev,
		Fix:        &finding.Fix{Remediation: r.remediation()},
		References: r.References,
		Mappings:   map[string][]string{"cwe": {"CWE-798"}},
	}
}

// Redact shows at most the first and last four characters of a secret of
// 16 or more characters, the first two of a shorter one, and nothing of a
// secret under six characters.
func Redact(secret string) string {
	n := utf8.RuneCountInString(secret)
	r := []rune(secret)
	switch {
	case n >= 16:
		return string(r[:4]) + "…" + string(r[n-4:])
	case n >= 6:
		return string(r[:2]) + "…"
	}
	return "…"
}
