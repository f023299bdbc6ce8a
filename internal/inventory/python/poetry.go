package python

import (
	"context"
	"io/fs"
	"path"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// poetryCataloger reads poetry.lock files.
//
// Every [[package]] is a package, at the line of its header, except path
// dependencies on a local directory (source type "directory"), which are
// the project's own code. A package is Dev when Poetry marks it so:
// category = "dev" (written by Poetry before 1.5), or groups without "main"
// (written from Poetry 2.0, lock-version 2.1). Lock files of Poetry 1.5 to
// 1.8 record neither, so their packages are not Dev.
type poetryCataloger struct{}

func (poetryCataloger) Name() string { return "poetry-lock" }

func (poetryCataloger) Wants(p string, _ fs.FileInfo) bool { return path.Base(p) == "poetry.lock" }

func (poetryCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := readLimited(f, maxTOMLSize)
	if err != nil {
		return nil, err
	}
	return parsePoetryLock(ctx, f.Path, data)
}

// poetryLock is the part of a poetry.lock that is read.
type poetryLock struct {
	Package []poetryEntry `toml:"package"`
}

func (l *poetryLock) len() int { return len(l.Package) }

// poetryEntry holds the fields used; they are decoded as any so that one
// entry of a wrong type is reported alone instead of failing the file.
type poetryEntry struct {
	Name     any `toml:"name"`
	Version  any `toml:"version"`
	Category any `toml:"category"`
	Groups   any `toml:"groups"`
	Source   any `toml:"source"`
}

func parsePoetryLock(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	var lock poetryLock
	lines, err := decodeLock(p, data, &lock)
	if err != nil {
		return nil, err
	}
	probs := problems{path: p}
	var pkgs []inventory.Package
	for i, e := range lock.Package {
		if i%ctxEvery == ctxEvery-1 {
			if err := ctx.Err(); err != nil {
				return pkgs, err
			}
		}
		name, version, ok := nameVersion(&probs, lines[i], e.Name, e.Version)
		if !ok {
			continue
		}
		if src, _ := e.Source.(map[string]any); src != nil && src["type"] == "directory" {
			continue
		}
		if len(pkgs) >= maxPackages {
			probs.tooMany(lines[i])
			break
		}
		pkgs = append(pkgs, newPackage("poetry-lock", name, version, p, lines[i], poetryDev(e)))
	}
	return pkgs, probs.err()
}

// poetryDev reports whether Poetry recorded the package as needed for
// development only.
func poetryDev(e poetryEntry) bool {
	if groups, ok := e.Groups.([]any); ok && len(groups) > 0 {
		for _, g := range groups {
			if g == "main" {
				return false
			}
		}
		return true
	}
	return e.Category == "dev"
}
