package golang

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits for go.mod files. The largest real go.mod files (Kubernetes, cloud
// SDK monorepos) are tens of KiB.
const (
	maxModSize = 4 << 20
	// maxModRepairs bounds how many times a malformed go.mod is parsed again
	// with its bad lines blanked out.
	maxModRepairs = 8
)

// ModCataloger reads go.mod files. It reports every required module, direct
// and indirect, with replace directives applied; the main module, the go
// and toolchain directives and exclusions are not packages. It does not
// report the standard library: a go directive states the oldest Go that may
// build the module, not the one that will, and matching it gives dozens of
// false positives.
type ModCataloger struct{}

// Name is "go-mod".
func (ModCataloger) Name() string { return "go-mod" }

// Wants reports whether the file is a go.mod outside a Go module cache. The
// cache (…/pkg/mod/<module>@<version>/go.mod) holds the go.mod of every
// version ever downloaded; their requirements were not selected for any
// build, so reading them would report versions nobody uses.
func (ModCataloger) Wants(p string, info fs.FileInfo) bool {
	if path.Base(p) != "go.mod" {
		return false
	}
	if info != nil && !info.Mode().IsRegular() {
		return false
	}
	return !inModuleCache(p)
}

// Catalog parses a go.mod file. A malformed file gives a
// *inventory.ParseError naming its first bad line, together with the
// requirements of the remaining lines when the file parses without the bad
// ones.
func (ModCataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := f.ReadAll(maxModSize)
	if err != nil {
		return nil, err
	}
	mf, err := parseMod(f.Path, data)
	if mf == nil {
		return nil, err
	}
	return modPackages(f.Path, mf), err
}

// parseMod parses a go.mod file strictly, as the go command parses the main
// module's. On errors it blanks the lines they name and tries again, so one
// bad line does not hide every requirement; it then returns the file that
// parsed together with the first original error.
func parseMod(name string, data []byte) (*modfile.File, error) {
	mf, err := modfile.Parse(name, data, nil)
	if err == nil {
		return mf, nil
	}
	first := modParseError(name, err)
	buf := bytes.Clone(data)
	for range maxModRepairs {
		if !blankLines(buf, errorLines(err)) {
			break
		}
		if mf, err = modfile.Parse(name, buf, nil); err == nil {
			return mf, first
		}
	}
	return nil, first
}

// modPackages lists the requirements of a parsed go.mod found at name.
func modPackages(name string, mf *modfile.File) []inventory.Package {
	type modVersion struct{ path, version string }
	// A replacement of one version beats a replacement of all versions, as
	// in the go command. Old.Version is "" for the latter. The go command
	// rejects duplicate replacements; the first one wins here.
	replace := make(map[modVersion]*modfile.Replace, len(mf.Replace))
	for _, r := range mf.Replace {
		k := modVersion{r.Old.Path, r.Old.Version}
		if _, dup := replace[k]; !dup {
			replace[k] = r
		}
	}

	pkgs := make([]inventory.Package, 0, len(mf.Require))
	for _, r := range mf.Require {
		modPath, version, line := r.Mod.Path, r.Mod.Version, syntaxLine(r.Syntax)
		rep := replace[modVersion{modPath, version}]
		if rep == nil {
			rep = replace[modVersion{modPath, ""}]
		}
		if rep != nil {
			// A replacement by a local directory has no version: the code
			// built is whatever the directory holds, and the required
			// version says nothing about it, so the module is left out.
			if rep.New.Version == "" {
				continue
			}
			// The replace line is where the version that is built comes
			// from, and the line to edit to upgrade it.
			modPath, version, line = rep.New.Path, rep.New.Version, syntaxLine(rep.Syntax)
		}
		p := modulePackage(modPath, version)
		p.Locations = []finding.Location{{Path: name, Line: line}}
		pkgs = append(pkgs, p)
	}
	inventory.Sort(pkgs)
	return pkgs
}

func syntaxLine(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}

// modParseError turns modfile's error list into a ParseError at the first
// error's line.
func modParseError(name string, err error) *inventory.ParseError {
	var list modfile.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return &inventory.ParseError{Path: name, Err: err}
	}
	e := list[0]
	msg := e.Err
	switch {
	case e.ModPath != "":
		msg = fmt.Errorf("%s %s: %w", e.Verb, e.ModPath, e.Err)
	case e.Verb != "":
		msg = fmt.Errorf("%s: %w", e.Verb, e.Err)
	}
	if len(list) > 1 {
		msg = fmt.Errorf("%w (and %d more errors)", msg, len(list)-1)
	}
	return &inventory.ParseError{Path: name, Line: e.Pos.Line, Err: msg}
}

// errorLines returns the lines that modfile's errors point at.
func errorLines(err error) []int {
	var list modfile.ErrorList
	if !errors.As(err, &list) {
		return nil
	}
	lines := make([]int, 0, len(list))
	for _, e := range list {
		if e.Pos.Line > 0 {
			lines = append(lines, e.Pos.Line)
		}
	}
	return lines
}

// blankLines overwrites the given 1-based lines of buf with spaces, keeping
// every line where it was. It reports whether anything changed.
func blankLines(buf []byte, lines []int) bool {
	want := make(map[int]bool, len(lines))
	for _, l := range lines {
		want[l] = true
	}
	changed := false
	line := 1
	for i, c := range buf {
		if c == '\n' {
			line++
			continue
		}
		if want[line] && c != ' ' {
			buf[i] = ' '
			changed = true
		}
	}
	return changed
}

// inModuleCache reports whether p lies inside a Go module cache:
// a "pkg/mod" directory followed by a "<module>@<version>" element.
func inModuleCache(p string) bool {
	elems := strings.Split(p, "/")
	for i := 1; i < len(elems)-1; i++ {
		if elems[i-1] != "pkg" || elems[i] != "mod" {
			continue
		}
		for _, e := range elems[i+1 : len(elems)-1] {
			if strings.Contains(e, "@") {
				return true
			}
		}
	}
	return false
}
