package standard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// LockKind is the kind of a lock file.
const LockKind = "StandardLock"

// MaxLockEntries bounds the versions a lock file records.
const MaxLockEntries = 10000

// ErrModified is returned when a published standard version's content no
// longer has the hash recorded when it was published.
var ErrModified = errors.New("published standard changed without a new version")

// ErrUnpublished is returned when a lock has no entry for a version.
var ErrUnpublished = errors.New("standard version is not published")

var hashRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Lock records the content hash of every published version of standards:
// once name@version is published, its content may not change.
//
//	apiVersion: redline.dev/v1
//	kind: StandardLock
//	published:
//	  corp-baseline@2026H1: sha256:…
type Lock struct {
	// Published maps "name@version" to "sha256:<hex>".
	Published map[string]string
}

type lockFile struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Published  map[string]string `yaml:"published"`
}

// LoadLock reads a lock file. A missing file is an empty lock, so that the
// first publish creates it.
func LoadLock(name string) (*Lock, error) {
	data, err := readLimited(name)
	if errors.Is(err, os.ErrNotExist) {
		return &Lock{Published: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseLock(name, data)
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxFileSize)
	}
	return data, nil
}

// ParseLock decodes a lock file; name is used in errors.
func ParseLock(name string, data []byte) (*Lock, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f lockFile
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	if f.APIVersion != APIVersion || f.Kind != LockKind {
		return nil, fmt.Errorf("%s: want apiVersion %s and kind %s", name, APIVersion, LockKind)
	}
	if len(f.Published) > MaxLockEntries {
		return nil, fmt.Errorf("%s: %d entries; at most %d", name, len(f.Published), MaxLockEntries)
	}
	l := &Lock{Published: make(map[string]string, len(f.Published))}
	for ref, h := range f.Published {
		n, v, ok := strings.Cut(ref, "@")
		if !ok || !nameRE.MatchString(n) || !versionRE.MatchString(v) {
			return nil, fmt.Errorf("%s: %q is not name@version", name, ref)
		}
		if !hashRE.MatchString(h) {
			return nil, fmt.Errorf("%s: %s: %q is not sha256:<64 hex digits>", name, ref, h)
		}
		l.Published[ref] = h
	}
	return l, nil
}

// Verify checks a standard against the lock: ErrUnpublished when its
// version was never published, ErrModified (naming both hashes) when its
// content changed since.
func (l *Lock) Verify(s *Standard) error {
	want, ok := l.Published[s.Ref()]
	if !ok {
		return fmt.Errorf("%s: %w", s.Ref(), ErrUnpublished)
	}
	if got := s.Hash(); got != want {
		return fmt.Errorf("%s: %w: published as %s, now %s; publish the change as a new version", s.Ref(), ErrModified, want, got)
	}
	return nil
}

// Publish records a standard's hash. Publishing the same content again is
// a no-op; publishing different content under a published version is
// ErrModified.
func (l *Lock) Publish(s *Standard) error {
	if err := l.Verify(s); err == nil || !errors.Is(err, ErrUnpublished) {
		return err
	}
	if l.Published == nil {
		l.Published = map[string]string{}
	}
	l.Published[s.Ref()] = s.Hash()
	return nil
}

// Marshal encodes the lock, entries sorted by reference.
func (l *Lock) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Content hashes of published standard versions. A published version never changes:\n")
	fmt.Fprintf(&b, "# change a standard by publishing a new version (redline standard publish).\n")
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\npublished:\n", APIVersion, LockKind)
	refs := make([]string, 0, len(l.Published))
	for r := range l.Published {
		refs = append(refs, r)
	}
	slices.Sort(refs)
	for _, r := range refs {
		fmt.Fprintf(&b, "  %s: %s\n", r, l.Published[r])
	}
	return b.Bytes()
}
