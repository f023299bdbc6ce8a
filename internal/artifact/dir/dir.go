// Package dir is the artifact for a directory on the local disk: a source
// tree, a git checkout or an unpacked root filesystem.
package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/glob"
)

// Options say what to leave out of the walk.
type Options struct {
	// SkipDirs are glob patterns of directories not to descend into. A pattern
	// matches the directory's path relative to the root or, when it has no
	// slash, any single path element. "**" matches any number of elements.
	SkipDirs []string
	// SkipFiles are glob patterns of files to ignore, matched like SkipDirs.
	SkipFiles []string
}

// Dir is a directory tree. It does not follow symbolic links, so a scan never
// leaves the tree and cannot loop.
type Dir struct {
	root string
	name string
	opts Options
}

// Open checks that root is a readable directory and returns it as an artifact.
// name is how reports call the target (the path as the user typed it).
func Open(root string, opts Options) (*Dir, error) {
	for _, p := range append(append([]string{}, opts.SkipDirs...), opts.SkipFiles...) {
		if err := glob.Validate(p); err != nil {
			return nil, fmt.Errorf("bad skip pattern %q: %w", p, err)
		}
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("open target: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open target %s: not a directory", root)
	}
	return &Dir{root: root, name: filepath.ToSlash(filepath.Clean(root)), opts: opts}, nil
}

// Root is the directory on disk, as given to Open.
func (d *Dir) Root() string { return d.root }

// Target describes the directory.
func (d *Dir) Target() finding.Target {
	return finding.Target{Kind: "filesystem", Name: d.name}
}

// Walk visits every regular file in lexical order. Symbolic links, devices,
// sockets and pipes are skipped, and so are .git directories.
func (d *Dir) Walk(ctx context.Context, fn func(artifact.Entry) error) error {
	return filepath.WalkDir(d.root, func(p string, de fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		rel, relErr := filepath.Rel(d.root, p)
		if relErr != nil {
			return relErr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if p == d.root {
				return err
			}
			// An unreadable subdirectory or file is skipped, not fatal.
			if de != nil && de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if de.IsDir() {
			if rel == "." {
				return nil
			}
			if de.Name() == ".git" || matchAny(d.opts.SkipDirs, rel) {
				return fs.SkipDir
			}
			return nil
		}
		if !de.Type().IsRegular() || matchAny(d.opts.SkipFiles, rel) {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return fmt.Errorf("stat %s: %w", rel, err)
		}
		full := p
		return fn(artifact.Entry{
			Path: rel,
			Info: info,
			Open: func() (artifact.Content, error) { return openFile(full) },
		})
	})
}

type osContent struct {
	*os.File
	size int64
}

func (c osContent) Size() int64 { return c.size }

func openFile(p string) (artifact.Content, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is no longer a regular file", p)
	}
	return osContent{File: f, size: fi.Size()}, nil
}

// matchAny reports whether rel (slash-separated) matches one of the patterns.
func matchAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if Match(p, rel) {
			return true
		}
	}
	return false
}

// Match reports whether the slash-separated relative path rel matches the
// pattern. A pattern without a slash matches any single element of rel (so
// "node_modules" skips every node_modules directory); otherwise it must match
// the whole path, with "**" standing for any number of elements (see package
// glob). A leading "./" and a trailing "/" are ignored.
func Match(pattern, rel string) bool {
	pattern = strings.TrimPrefix(strings.TrimSuffix(pattern, "/"), "./")
	if !strings.Contains(pattern, "/") && pattern != "**" {
		for _, el := range strings.Split(rel, "/") {
			if ok, _ := path.Match(pattern, el); ok {
				return true
			}
		}
		return false
	}
	return glob.Match(pattern, rel)
}
