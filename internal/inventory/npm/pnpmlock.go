package npm

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// PNPMLock catalogs pnpm-lock.yaml files: lockfileVersion 5.x
// ("/name/1.2.3_peer@1.0.0" keys), 6.x ("/name@1.2.3(peer@1.0.0)") and 9.x
// ("name@1.2.3" under packages, with peers under snapshots). Each package's
// line is the line of its key under packages.
//
// Versions 5 and 6 mark development packages with "dev: true". Version 9
// has no such flag: a package is Dev when the snapshots graph reaches it
// from some importer's devDependencies and from no importer's
// dependencies or optionalDependencies. Local packages (file:, link:) are
// skipped; tarball and git packages are reported with the name and version
// their entry records.
type PNPMLock struct{}

// Name returns "pnpm-lock".
func (PNPMLock) Name() string { return "pnpm-lock" }

// Wants reports whether p is a pnpm-lock.yaml outside node_modules (pnpm's
// own copy in node_modules/.pnpm/lock.yaml is not wanted either).
func (PNPMLock) Wants(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "pnpm-lock.yaml" && !insideNodeModules(p)
}

// Catalog parses the lockfile.
func (PNPMLock) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := f.ReadAll(maxYAMLSize)
	if err != nil {
		return nil, err
	}
	return parsePNPMLock(ctx, f.Path, data)
}

func parsePNPMLock(ctx context.Context, p string, data []byte) ([]inventory.Package, error) {
	return parseYAMLLock(ctx, p, data, pnpmPackages)
}

// pnpmPackages reads every document of a decoded pnpm-lock.yaml (pnpm 9 and
// later may put an environment document before the lockfile).
func pnpmPackages(ctx context.Context, p string, docs []*yaml.Node) ([]inventory.Package, error) {
	var pkgs []inventory.Package
	for _, doc := range docs {
		m := documentMapping(doc)
		if m == nil {
			continue
		}
		major := lockfileMajor(scalarField(m, "lockfileVersion"))
		var devOnly map[string]bool
		if major >= 9 {
			devOnly = pnpmDevOnly(m)
		}
		entries := mappingField(m, "packages")
		if entries == nil {
			continue
		}
		for i := 0; i+1 < len(entries.Content); i += 2 {
			if n := i / 2; n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return pkgs, err
				}
			}
			k, v := entries.Content[i], entries.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if len(pkgs) == maxPackages {
				return pkgs, &inventory.ParseError{Path: p, Line: k.Line, Err: fmt.Errorf("more than %d packages", maxPackages)}
			}
			name, version, ok := pnpmPackage(k.Value, v, major)
			if !ok || !validName(name) || !validVersion(version) {
				continue
			}
			dev := scalarField(v, "dev") == "true"
			if major >= 9 {
				dev = devOnly[name+"@"+version]
			}
			pkgs = append(pkgs, newPackage(name, version, p, k.Line, dev))
		}
	}
	return pkgs, nil
}

// lockfileMajor returns the major number of a lockfileVersion ("5.4",
// "6.0", "9.0"), or 0 when it is missing or malformed.
func lockfileMajor(s string) int {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1000 {
		return 0
	}
	return int(f)
}

// pnpmPackage returns the name and version of the packages entry key.
// ok is false for local packages and entries that do not say both.
func pnpmPackage(key string, entry *yaml.Node, major int) (name, version string, ok bool) {
	s, slashed := strings.CutPrefix(key, "/")
	if localProtocol(s) {
		return "", "", false
	}
	// Registry keys: "/name/1.2.3" (5.x), "/name@1.2.3" (6.x), "name@1.2.3"
	// (9.x). Before 9.x a key without the slash is a tarball or git URL.
	if slashed || major >= 9 || major == 0 {
		if n, v, ok := splitPNPMKey(s); ok {
			return n, v, true
		}
		if n, ref, ok := splitSpec(s); ok {
			if localProtocol(ref) {
				return "", "", false
			}
			name = n
		}
	}
	// A tarball or git package: the entry records what it is.
	if n := scalarField(entry, "name"); n != "" {
		name = n
	}
	version = scalarField(entry, "version")
	return name, version, name != "" && version != ""
}

// splitPNPMKey splits a registry key without its leading slash, with "@"
// or "/" after the name, and drops a peer suffix: "(…)" since 6.x, "_…"
// before. ok is false when what follows the name is not a plain version.
func splitPNPMKey(s string) (name, version string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "@") {
		i := strings.IndexByte(s, '/')
		if i < 0 {
			return "", "", false
		}
		start = i + 1
	}
	end := strings.IndexAny(s[start:], "@/")
	if end <= 0 {
		return "", "", false
	}
	end += start
	name, version = s[:end], s[end+1:]
	if i := strings.IndexAny(version, "(_"); i >= 0 {
		version = version[:i]
	}
	if version == "" || strings.ContainsAny(version, ":/@") {
		return "", "", false
	}
	return name, version, true
}

// pnpmDevOnly computes development packages of a 9.x lockfile from its
// importers and snapshots. The result maps "name@version" (no peer suffix)
// to true for packages reached only from devDependencies.
func pnpmDevOnly(m *yaml.Node) map[string]bool {
	snapshots := mappingField(m, "snapshots")
	edges := make(map[string][]string)
	if snapshots != nil {
		for i := 0; i+1 < len(snapshots.Content); i += 2 {
			k, v := snapshots.Content[i], snapshots.Content[i+1]
			var deps []string
			for _, field := range []string{"dependencies", "optionalDependencies"} {
				deps = appendDepKeys(deps, mappingField(v, field))
			}
			edges[k.Value] = deps
		}
	}
	var prodRoots, devRoots []string
	if importers := mappingField(m, "importers"); importers != nil {
		for i := 1; i < len(importers.Content); i += 2 {
			imp := importers.Content[i]
			prodRoots = appendDepKeys(prodRoots, mappingField(imp, "dependencies"))
			prodRoots = appendDepKeys(prodRoots, mappingField(imp, "optionalDependencies"))
			devRoots = appendDepKeys(devRoots, mappingField(imp, "devDependencies"))
		}
	}
	prod := reach(prodRoots, edges, nil)
	dev := reach(devRoots, edges, prod)
	prodBase := make(map[string]bool, len(prod))
	for k := range prod {
		prodBase[stripPeers(k)] = true
	}
	out := make(map[string]bool)
	for k := range dev {
		if b := stripPeers(k); !prodBase[b] {
			out[b] = true
		}
	}
	return out
}

// appendDepKeys appends the snapshot keys of a dependencies mapping. A value
// is a version ("1.2.3(peer@1.0.0)"), an alias target ("real@1.2.3"), or a
// mapping with a version field (importers); links are left out.
func appendDepKeys(keys []string, deps *yaml.Node) []string {
	if deps == nil {
		return keys
	}
	for i := 0; i+1 < len(deps.Content); i += 2 {
		name, v := deps.Content[i].Value, deps.Content[i+1]
		ref := v.Value
		if v.Kind == yaml.MappingNode {
			ref = scalarField(v, "version")
		}
		if ref == "" || strings.HasPrefix(ref, "link:") {
			continue
		}
		if _, _, alias := splitSpec(stripPeers(ref)); alias {
			keys = append(keys, ref)
			continue
		}
		keys = append(keys, name+"@"+ref)
	}
	return keys
}

// stripPeers drops the "(peer@1.0.0)" suffix of a snapshot key.
func stripPeers(k string) string {
	if i := strings.IndexByte(k, '('); i > 0 {
		return k[:i]
	}
	return k
}

// reach returns the keys reachable from roots over edges, not entering
// the keys in skip.
func reach(roots []string, edges map[string][]string, skip map[string]bool) map[string]bool {
	seen := make(map[string]bool)
	queue := append([]string(nil), roots...)
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[k] || skip[k] {
			continue
		}
		seen[k] = true
		queue = append(queue, edges[k]...)
	}
	return seen
}
