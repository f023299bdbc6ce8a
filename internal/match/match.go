// Package match turns an inventory and a vulnerability database into
// vulnerability findings. For every package it reads the OSV affected
// entries stored under its ecosystem and name, decides which ones the
// installed version falls in (OSV range evaluation, Go platform filtering),
// folds records that alias each other into one finding, and works out the
// fixed versions and the lowest upgrade that fixes them all.
package match

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
	"github.com/redline-sec/redline/internal/vulndb/version"
)

// Source is what matching needs from a vulnerability database (*vulndb.DB
// implements it).
type Source interface {
	// Affected returns the affected entries stored for the package name in
	// ecosystem. ecosystem is the package's, as the inventory spells it,
	// possibly with a release suffix ("Debian:12"); entries for other
	// releases of the same base ecosystem may be returned too: the Matcher
	// keeps only those that apply. No entries is not an error.
	Affected(ctx context.Context, ecosystem, name string) ([]vulndb.Affected, error)
	// Vuln returns the record with the given id. The Matcher asks only for
	// ids that Affected returned.
	Vuln(ctx context.Context, id string) (*vulndb.Vuln, error)
}

// Options tune a Matcher.
type Options struct {
	// GOOS and GOARCH are the platform assumed for Go packages that carry
	// none (from go.mod rather than a binary). Empty means every platform:
	// a go.mod does not say where it will be built, so platform-specific
	// vulnerabilities are reported, as govulncheck's source mode does at
	// module level.
	GOOS, GOARCH string
	// Logger receives warnings about versions that cannot be matched; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Matcher matches packages against a Source. It holds no state between
// calls and is safe for concurrent use if its Source is.
type Matcher struct {
	src    Source
	goos   string
	goarch string
	log    *slog.Logger
}

// New returns a Matcher reading from src.
func New(src Source, opts Options) *Matcher {
	m := &Matcher{src: src, goos: opts.GOOS, goarch: opts.GOARCH, log: opts.Logger}
	if m.log == nil {
		m.log = slog.Default()
	}
	return m
}

// maxDescription bounds a finding's description, in bytes. Some records
// carry whole advisories in details; reports link to them instead.
const maxDescription = 4000

// run is the state of one Match call: each record is fetched once and each
// warning given once.
type run struct {
	*Matcher
	target finding.Target
	vulns  map[string]*vulndb.Vuln
	warned map[string]bool
}

type queryKey struct{ ecosystem, name string }

// Match returns the vulnerability findings of pkgs in target, sorted with
// finding.Less. Each distinct (ecosystem, name) is queried once and each
// record fetched once. A package whose version cannot be parsed is matched
// only against versions its records list verbatim, with a warning.
func (m *Matcher) Match(ctx context.Context, target finding.Target, pkgs []inventory.Package) ([]finding.Finding, error) {
	r := &run{Matcher: m, target: target, vulns: make(map[string]*vulndb.Vuln), warned: make(map[string]bool)}
	// Match what the records are keyed by: the source package for the
	// distributions whose advisories name source packages.
	byName := make([]inventory.Package, len(pkgs))
	for i := range pkgs {
		byName[i] = bySource(pkgs[i])
	}
	byKey := make(map[queryKey][]int)
	var keys []queryKey
	for i := range byName {
		k := queryKey{byName[i].Ecosystem, byName[i].Name}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	var out []finding.Finding
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		affected, err := m.src.Affected(ctx, k.ecosystem, k.name)
		if err != nil {
			return nil, fmt.Errorf("match %s package %s: %w", k.ecosystem, k.name, err)
		}
		if len(affected) == 0 {
			continue
		}
		set := &entrySet{views: make(map[string]*view)}
		for i := range affected {
			e := compile(&affected[i])
			if e.badRange != "" {
				r.warn("range:"+e.ID, "skipping an OSV range with a version that does not parse",
					"id", e.ID, "ecosystem", e.Ecosystem, "package", e.Package, "version", e.badRange)
			}
			set.entries = append(set.entries, e)
		}
		for _, i := range byKey[k] {
			fs, err := r.matchPackage(ctx, &byName[i], set)
			if err != nil {
				return nil, err
			}
			if byName[i].Name != pkgs[i].Name || byName[i].Version != pkgs[i].Version {
				// Report the installed binary package, not its source.
				for j := range fs {
					fs[j].Package = pkgs[i].Identity()
					fs[j].SetFingerprint()
				}
			}
			out = append(out, fs...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return finding.Less(&out[i], &out[j]) })
	return out, nil
}

// A hit is one record that affects the installed version: the entries
// that matched and the fixed events ending the ranges it falls in.
type hit struct {
	entries []*entry
	fixes   []event
}

// entrySet is what one (ecosystem, name) query returned, compiled, with
// the views of it that packages of that name have needed so far.
type entrySet struct {
	entries []*entry
	views   map[string]*view // by platform ("linux/amd64"; "/" outside Go)
}

// A view is the entries that apply on one platform, and the upgrade search
// over them, shared by every package of the name built for that platform.
type view struct {
	entries  []*entry
	upgrades *upgrades
}

func (r *run) view(pkg *inventory.Package, set *entrySet) *view {
	var goos, goarch string
	if version.Base(pkg.Ecosystem) == inventory.EcosystemGo {
		goos, goarch = cmp.Or(pkg.GOOS, r.goos), cmp.Or(pkg.GOARCH, r.goarch)
	}
	key := goos + "/" + goarch
	if v, ok := set.views[key]; ok {
		return v
	}
	v := &view{}
	for _, e := range set.entries {
		if !ecosystemApplies(pkg.Ecosystem, e.Ecosystem) {
			continue
		}
		if goos != "" && !platformApplies(e.Imports, goos, goarch) {
			continue
		}
		v.entries = append(v.entries, e)
	}
	v.upgrades = newUpgrades(v.entries)
	set.views[key] = v
	return v
}

func (r *run) matchPackage(ctx context.Context, pkg *inventory.Package, set *entrySet) ([]finding.Finding, error) {
	view := r.view(pkg, set)
	applicable := view.entries
	if len(applicable) == 0 {
		return nil, nil
	}
	v, err := version.Parse(pkg.Ecosystem, pkg.Version)
	ok := err == nil
	switch {
	case ok || noVersion(pkg.Ecosystem, pkg.Version):
	case !version.Supported(pkg.Ecosystem):
		r.warn("ecosystem:"+pkg.Ecosystem, "no version ordering for ecosystem; matching listed versions only",
			"ecosystem", pkg.Ecosystem)
	default:
		r.warn("version:"+pkg.Ecosystem+"\x00"+pkg.Name+"\x00"+pkg.Version,
			"version does not parse; matching listed versions only",
			"ecosystem", pkg.Ecosystem, "package", pkg.Name, "version", pkg.Version, "error", err)
	}

	hits := make(map[string]*hit)
	for _, e := range applicable {
		in, fixes := e.affects(pkg.Version, v, ok)
		if !in {
			continue
		}
		h := hits[e.ID]
		if h == nil {
			h = &hit{}
			hits[e.ID] = h
		}
		h.entries = append(h.entries, e)
		h.fixes = append(h.fixes, fixes...)
	}
	if len(hits) == 0 {
		return nil, nil
	}
	upgrade := ""
	if ok {
		upgrade = view.upgrades.lowest(v)
	}

	ids := make([]string, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	vulns := make([]*vulndb.Vuln, 0, len(ids))
	for _, id := range ids {
		vuln, err := r.vuln(ctx, id)
		if err != nil {
			return nil, err
		}
		vulns = append(vulns, vuln)
	}
	var out []finding.Finding
	for _, g := range group(vulns) {
		out = append(out, r.finding(pkg, g, hits, upgrade))
	}
	return out, nil
}

// ecosystemApplies reports whether an entry recorded for ecosystem rec
// applies to a package of ecosystem pkg. The base names must match. A
// record scoped to a release ("Alpine:v3.19") applies only to packages of
// that release; an unscoped record applies to every release. As in
// osv-scanner, a package whose release is unknown matches only unscoped
// records: guessing the release would mix fixes from different branches.
func ecosystemApplies(pkg, rec string) bool {
	if pkg == rec {
		return true
	}
	pb, _, _ := strings.Cut(pkg, ":")
	rb, rs, scoped := strings.Cut(rec, ":")
	return pb == rb && (!scoped || rs == "")
}

// vuln fetches a record once per Match call. A record the Source indexes
// but cannot find (vulndb.ErrNotFound, or nil without an error) still
// yields a finding, bare of everything but the id, with a warning: a
// damaged database must not hide a match. Other errors end the Match.
func (r *run) vuln(ctx context.Context, id string) (*vulndb.Vuln, error) {
	if v, ok := r.vulns[id]; ok {
		return v, nil
	}
	v, err := r.src.Vuln(ctx, id)
	switch {
	case errors.Is(err, vulndb.ErrNotFound):
		r.warn("vuln:"+id, "vulnerability record missing from the database", "id", id)
	case err != nil:
		return nil, fmt.Errorf("match: read vulnerability %s: %w", id, err)
	}
	if v == nil {
		v = &vulndb.Vuln{ID: id}
	}
	r.vulns[id] = v
	return v, nil
}

func (r *run) warn(key, msg string, args ...any) {
	if r.warned[key] {
		return
	}
	r.warned[key] = true
	r.log.Warn(msg, args...)
}

// sourceKeyed reports whether a distribution's OSV records name source
// packages (Debian's and Ubuntu's trackers, Alpine's secdb by origin).
func sourceKeyed(base string) bool {
	switch base {
	case "Debian", "Ubuntu", "Alpine":
		return true
	}
	return false
}

// bySource returns the package as its advisories name it: for a binary
// package of a source-keyed distribution, the source package's name and
// version (the binary's version when the source records none).
func bySource(p inventory.Package) inventory.Package {
	if p.SourceName == "" || !sourceKeyed(version.Base(p.Ecosystem)) {
		return p
	}
	p.Name = p.SourceName
	if p.SourceVersion != "" {
		p.Version = p.SourceVersion
	}
	return p
}
