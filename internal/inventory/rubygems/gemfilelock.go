package rubygems

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for Gemfile.lock files. A large Rails application's lockfile is
// a few hundred lines.
const (
	maxLockSize  = 16 << 20
	maxLockGems  = 100_000
	maxLineBytes = 64 << 10
)

// Sections of a Gemfile.lock. Source sections list gems under "  specs:";
// the others hold no gems.
const (
	sectionGem          = "GEM"
	sectionGit          = "GIT"
	sectionPath         = "PATH"
	sectionPluginSource = "PLUGIN SOURCE"
)

// otherSections are the other section names Bundler writes.
var otherSections = map[string]bool{
	"PLATFORMS":    true,
	"DEPENDENCIES": true,
	"RUBY VERSION": true,
	"BUNDLED WITH": true,
	"CHECKSUMS":    true,
}

// GemfileLockCataloger reads Bundler's lockfiles. It reports the gems listed
// at four spaces of indentation under "specs:" in the GEM, GIT and PLUGIN
// SOURCE sections, each at its line; the lines indented six spaces below a
// gem are its own requirements, not gems. The lockfile does not record
// Gemfile groups, so no gem is marked Dev.
//
// What it leaves out, and why:
//   - PATH gems: local code whose version says nothing about published
//     releases.
//   - Bundler itself (BUNDLED WITH): the version of the Bundler that last
//     wrote the file, not a dependency of the application; an installed
//     Bundler is seen where it is installed.
//
// GIT gems are reported, as osv-scanner does: the checkout is the gem's
// own code at the version its gemspec states.
type GemfileLockCataloger struct{}

// Name is "gemfile-lock".
func (GemfileLockCataloger) Name() string { return "gemfile-lock" }

// Wants reports whether the file is a Gemfile.lock or gems.locked that is
// not inside an installed gem. Installed gems
// (…/gems/<name>-<version>/Gemfile.lock, Bundler's git checkouts in
// …/bundler/gems/<name>-<revision>/) sometimes ship the lockfile of their
// own development, which locks nothing that was installed.
func (GemfileLockCataloger) Wants(p string, info fs.FileInfo) bool {
	if base := path.Base(p); base != "Gemfile.lock" && base != "gems.locked" {
		return false
	}
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return !inInstalledGem(p)
}

// Catalog parses a Gemfile.lock. Malformed lines give a
// *inventory.ParseError naming the first of them; the gems of every other
// line are still reported.
func (GemfileLockCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := f.ReadAll(maxLockSize)
	if err != nil {
		return nil, err
	}
	return parseLock(f.Path, data, maxLockGems)
}

// parseLock parses the lockfile at name, reporting at most maxGems gems.
func parseLock(name string, data []byte, maxGems int) ([]inventory.Package, error) {
	var (
		pkgs     []inventory.Package
		firstErr error
		section  string
		inSpecs  bool
		known    bool // a section Bundler writes was seen
		content  bool // a line that is not blank was seen
	)
	fail := func(line int, err error) {
		if firstErr == nil {
			firstErr = &inventory.ParseError{Path: name, Line: line, Err: err}
		}
	}
	for lineNo, rest := 1, data; len(rest) > 0; lineNo++ {
		var raw []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			raw, rest = rest, nil
		}
		if len(raw) > maxLineBytes {
			fail(lineNo, fmt.Errorf("line longer than %d bytes", maxLineBytes))
			continue
		}
		line := strings.TrimSuffix(string(raw), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		content = true
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0 && isConflictMarker(line):
			fail(lineNo, errors.New("merge conflict marker"))
		case indent == 0:
			section, inSpecs = line, false
			known = known || isSource(section) || otherSections[section]
		case indent == 2:
			inSpecs = strings.TrimSpace(line) == "specs:"
		case indent == 4 && inSpecs && isSource(section):
			if section == sectionPath {
				continue
			}
			gem, version, ok := parseSpec(line[4:])
			if !ok {
				fail(lineNo, fmt.Errorf("%s spec %q is not \"name (version)\"", section, strings.TrimSpace(line)))
				continue
			}
			if len(pkgs) == maxGems {
				fail(lineNo, fmt.Errorf("more than %d gems", maxGems))
				return pkgs, firstErr
			}
			pkgs = append(pkgs, inventory.Package{
				Name:      gem,
				Version:   version,
				Ecosystem: inventory.EcosystemRubyGems,
				PURL:      purl(gem, version),
				Locations: []finding.Location{{Path: name, Line: lineNo}},
			})
		case section == "":
			fail(lineNo, errors.New("indented line before the first section"))
		}
		// Anything else (remote:, revision:, requirements of a gem, the
		// entries of PLATFORMS, DEPENDENCIES, CHECKSUMS …) names no gem.
	}
	if content && !known && firstErr == nil {
		fail(1, errors.New("no Bundler lockfile section (GEM, GIT, PATH, DEPENDENCIES …)"))
	}
	return pkgs, firstErr
}

// parseSpec splits "name (version)" or "name (version-platform)", as
// Bundler's own lockfile parser does: the version ends at the first "-".
func parseSpec(s string) (name, version string, ok bool) {
	name, rest, ok := strings.Cut(s, " (")
	if !ok || name == "" || strings.ContainsAny(name, " \t()") || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	version, _, _ = strings.Cut(rest[:len(rest)-1], "-")
	if version == "" || strings.ContainsAny(version, " \t()") {
		return "", "", false
	}
	return name, version, true
}

func isSource(section string) bool {
	switch section {
	case sectionGem, sectionGit, sectionPath, sectionPluginSource:
		return true
	}
	return false
}

func isConflictMarker(line string) bool {
	return strings.HasPrefix(line, "<<<<<<<") || strings.HasPrefix(line, "=======") || strings.HasPrefix(line, ">>>>>>>")
}

// inInstalledGem reports whether p lies in an installed gem's directory:
// gems/<name>-<version>/<lockfile>.
func inInstalledGem(p string) bool {
	elems := strings.Split(p, "/")
	return len(elems) >= 3 && elems[len(elems)-3] == "gems"
}
