package kustomize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errOutside is returned for any path that resolves outside the scanned root.
var errOutside = errors.New("outside the scanned directory")

// errReadOnly is returned for any attempt to change the filesystem.
var errReadOnly = errors.New("the kustomize build filesystem is read-only")

// confinedFS is the on-disk filesystem limited to one directory tree: every
// path, after symlinks are resolved, must lie inside root, and nothing can be
// written. It is the last line of defence behind checkRefs.
type confinedFS struct {
	disk filesys.FileSystem
	root string // absolute, symlinks resolved
}

// newConfinedFS returns a read-only filesystem confined to root.
func newConfinedFS(root string) (*confinedFS, error) {
	real, err := resolve(root)
	if err != nil {
		return nil, fmt.Errorf("resolve scan root %s: %w", root, err)
	}
	return &confinedFS{disk: filesys.MakeFsOnDisk(), root: real}, nil
}

// resolve returns the absolute path of p with symlinks resolved.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether p, resolved, lies inside root. A path that does not
// exist is judged by its lexical form: reading it fails anyway.
func within(root, p string) bool {
	real, err := resolve(p)
	if err != nil {
		abs, absErr := filepath.Abs(p)
		if absErr != nil {
			return false
		}
		real = abs
	}
	return real == root || strings.HasPrefix(real, root+string(filepath.Separator))
}

func (c *confinedFS) check(p string) error {
	if !within(c.root, p) {
		return fmt.Errorf("%s: %w", p, errOutside)
	}
	return nil
}

func (c *confinedFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (c *confinedFS) Mkdir(string) error                  { return errReadOnly }
func (c *confinedFS) MkdirAll(string) error               { return errReadOnly }
func (c *confinedFS) RemoveAll(string) error              { return errReadOnly }
func (c *confinedFS) WriteFile(string, []byte) error      { return errReadOnly }

func (c *confinedFS) Open(p string) (filesys.File, error) {
	if err := c.check(p); err != nil {
		return nil, err
	}
	return c.disk.Open(p)
}

func (c *confinedFS) IsDir(p string) bool { return c.check(p) == nil && c.disk.IsDir(p) }

func (c *confinedFS) Exists(p string) bool { return c.check(p) == nil && c.disk.Exists(p) }

func (c *confinedFS) ReadDir(p string) ([]string, error) {
	if err := c.check(p); err != nil {
		return nil, err
	}
	return c.disk.ReadDir(p)
}

func (c *confinedFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if err := c.check(p); err != nil {
		return "", "", err
	}
	// fsOnDisk.CleanedAbs exits the process when the parent of a
	// non-directory is not a directory; make sure it is one first.
	if _, err := os.Stat(p); err != nil {
		return "", "", fmt.Errorf("%s: %w", p, err)
	}
	return c.disk.CleanedAbs(p)
}

func (c *confinedFS) Glob(pattern string) ([]string, error) {
	all, err := c.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range all {
		if within(c.root, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (c *confinedFS) ReadFile(p string) ([]byte, error) {
	if err := c.check(p); err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit for a kustomize input", p, fi.Size(), maxFileBytes)
	}
	return c.disk.ReadFile(p)
}

func (c *confinedFS) Walk(p string, fn filepath.WalkFunc) error {
	if err := c.check(p); err != nil {
		return err
	}
	return c.disk.Walk(p, fn)
}
