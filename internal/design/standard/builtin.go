package standard

import (
	"embed"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
)

//go:embed builtin/*.yaml builtin/standards.lock
var builtinFS embed.FS

// Builtin returns the standards shipped with Redline, sorted by reference,
// each verified against the shipped lock.
func Builtin() ([]*Standard, error) {
	lockData, err := builtinFS.ReadFile("builtin/standards.lock")
	if err != nil {
		return nil, fmt.Errorf("built-in standards lock: %w", err)
	}
	lock, err := ParseLock("builtin/standards.lock", lockData)
	if err != nil {
		return nil, err
	}
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil, fmt.Errorf("built-in standards: %w", err)
	}
	var out []*Standard
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		name := path.Join("builtin", e.Name())
		data, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		s, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		if err := lock.Verify(s); err != nil {
			return nil, fmt.Errorf("built-in standard: %w", err)
		}
		s.File = ""
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Standard) int { return strings.Compare(a.Ref(), b.Ref()) })
	return out, nil
}

// DefaultRef is the built-in standard used when a model names none that
// can be found.
const DefaultRef = "redline-baseline@2026H2"

// Resolve finds a standard by file name or by reference: an existing file
// is read; otherwise ref must be a built-in name@version.
func Resolve(ref string) (*Standard, error) {
	if st, err := os.Stat(ref); err == nil && !st.IsDir() {
		return Load(ref)
	}
	all, err := Builtin()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range all {
		if s.Ref() == ref {
			return s, nil
		}
		names = append(names, s.Ref())
	}
	return nil, fmt.Errorf("standard %q: no such file and no built-in standard of that name@version (built-in: %s)", ref, strings.Join(names, ", "))
}

// BuiltinSource returns the file of a built-in standard (ref is
// name@version) as shipped, and false when no built-in standard has ref.
func BuiltinSource(ref string) ([]byte, bool) {
	if !strings.Contains(ref, "@") || strings.ContainsAny(ref, "/\\") {
		return nil, false
	}
	data, err := builtinFS.ReadFile(path.Join("builtin", ref+".yaml"))
	if err != nil {
		return nil, false
	}
	return data, true
}
