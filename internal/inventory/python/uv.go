package python

import (
	"context"
	"io/fs"
	"path"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// uvCataloger reads uv.lock files.
//
// Every [[package]] is a package, at the line of its header, except the
// project's own code: packages whose source is editable, virtual (the
// workspace root and its members) or a local directory. Packages from
// registries, git, URLs and local archives are kept.
//
// A package is Dev when it is reached only through the dev-dependencies of
// the project's own packages, never through their dependencies or
// optional-dependencies. The walk over dependencies is generous (a package's
// every extra counts), so a doubtful package is not Dev.
type uvCataloger struct{}

func (uvCataloger) Name() string { return "uv-lock" }

func (uvCataloger) Wants(p string, _ fs.FileInfo) bool { return path.Base(p) == "uv.lock" }

func (uvCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := readLimited(f, maxTOMLSize)
	if err != nil {
		return nil, err
	}
	return parseUVLock(ctx, f.Path, data)
}

// uvLock is the part of a uv.lock that is read.
type uvLock struct {
	Package []uvEntry `toml:"package"`
}

func (l *uvLock) len() int { return len(l.Package) }

// uvEntry holds the fields used, decoded as any so that one malformed entry
// is reported alone instead of failing the file.
type uvEntry struct {
	Name                 any `toml:"name"`
	Version              any `toml:"version"`
	Source               any `toml:"source"`
	Dependencies         any `toml:"dependencies"`
	OptionalDependencies any `toml:"optional-dependencies"`
	DevDependencies      any `toml:"dev-dependencies"`
}

// isOwn reports whether the entry is the project's own code.
func (e uvEntry) isOwn() bool {
	return sourceKind(e.Source, "editable", "virtual", "directory") != ""
}

func parseUVLock(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	var lock uvLock
	lines, err := decodeLock(p, data, &lock)
	if err != nil {
		return nil, err
	}
	dev := uvDevOnly(lock.Package)
	probs := problems{path: p}
	var pkgs []inventory.Package
	for i, e := range lock.Package {
		if i%ctxEvery == ctxEvery-1 {
			if err := ctx.Err(); err != nil {
				return pkgs, err
			}
		}
		if e.isOwn() {
			continue
		}
		name, version, ok := nameVersion(&probs, lines[i], e.Name, e.Version)
		if !ok {
			continue
		}
		if len(pkgs) >= maxPackages {
			probs.tooMany(lines[i])
			break
		}
		pkgs = append(pkgs, newPackage("uv-lock", name, version, p, lines[i], dev[i]))
	}
	return pkgs, probs.err()
}

// uvDevOnly marks the entries reached from the project's editable or virtual
// packages only through their dev-dependencies.
func uvDevOnly(entries []uvEntry) []bool {
	dev := make([]bool, len(entries))
	var prodSeeds, devSeeds []any
	for _, e := range entries {
		if sourceKind(e.Source, "editable", "virtual") == "" {
			continue
		}
		prodSeeds = append(prodSeeds, dependencyRefs(e.Dependencies, e.OptionalDependencies)...)
		devSeeds = append(devSeeds, dependencyRefs(e.DevDependencies)...)
	}
	if len(devSeeds) == 0 {
		return dev
	}
	g := newUVGraph(entries)
	prod, inDev := g.reach(prodSeeds), g.reach(devSeeds)
	for i := range dev {
		dev[i] = inDev[i] && !prod[i]
	}
	return dev
}

// uvGraph finds the entries that dependency references point at.
type uvGraph struct {
	entries       []uvEntry
	byName        map[string][]int // normalized name → entries
	byNameVersion map[string]int   // normalized name + "\x00" + version → entry
}

func newUVGraph(entries []uvEntry) *uvGraph {
	g := &uvGraph{entries: entries, byName: make(map[string][]int), byNameVersion: make(map[string]int)}
	for i, e := range entries {
		name, ok := e.Name.(string)
		if !ok {
			continue
		}
		n := inventory.NormalizePyPI(name)
		g.byName[n] = append(g.byName[n], i)
		if v, ok := e.Version.(string); ok {
			g.byNameVersion[n+"\x00"+v] = i
		}
	}
	return g
}

// reach returns the entries reachable from the references in seeds through
// dependencies and optional-dependencies. A reference such as
// { name = "idna", version = "3.4" } points at that entry; a bare name
// shared by several entries (a forked resolution) points at all of them.
func (g *uvGraph) reach(seeds []any) []bool {
	seen := make([]bool, len(g.entries))
	expanded := make(map[string]bool) // names whose every entry is queued
	var queue []int
	visit := func(i int) {
		if !seen[i] {
			seen[i] = true
			queue = append(queue, i)
		}
	}
	push := func(refs []any) {
		for _, r := range refs {
			m, ok := r.(map[string]any)
			if !ok {
				continue
			}
			name, _ := m["name"].(string)
			n := inventory.NormalizePyPI(name)
			if v, ok := m["version"].(string); ok {
				if i, ok := g.byNameVersion[n+"\x00"+v]; ok {
					visit(i)
					continue
				}
			}
			if expanded[n] {
				continue
			}
			expanded[n] = true
			for _, i := range g.byName[n] {
				visit(i)
			}
		}
	}
	push(seeds)
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		push(dependencyRefs(g.entries[i].Dependencies, g.entries[i].OptionalDependencies))
	}
	return seen
}

// dependencyRefs flattens uv's dependency lists: an array of references, or
// a table of named arrays (optional-dependencies, dev-dependencies).
func dependencyRefs(lists ...any) []any {
	var refs []any
	for _, l := range lists {
		switch l := l.(type) {
		case []any:
			refs = append(refs, l...)
		case []map[string]any:
			for _, m := range l {
				refs = append(refs, m)
			}
		case map[string]any:
			for _, group := range l {
				refs = append(refs, dependencyRefs(group)...)
			}
		}
	}
	return refs
}
