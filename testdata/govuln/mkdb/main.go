// Command mkdb turns an OSV all.zip of the Go ecosystem into a directory in
// the layout of the Go vulnerability database's v1 API, which is what
// `govulncheck -db file://DIR` reads:
//
//	DIR/index/db.json       {"modified": <latest entry modification>}
//	DIR/index/modules.json  [{"path", "vulns": [{"id", "modified", "fixed"}]}], sorted
//	DIR/index/vulns.json    [{"id", "modified", "aliases"}], sorted (not read by govulncheck v1.9.0)
//	DIR/ID/<id>.json        each OSV record, byte for byte
//
// govulncheck v1.9.0 (golang.org/x/vuln internal/client) treats a directory
// as a v1 database when index/modules.json exists; it reads index/db.json for
// the "last modified" it prints and ID/<id>.json for each candidate entry.
// "fixed" in modules.json is the latest fix not superseded by a later
// introduction, as internal/semver.NonSupersededFix computes it; govulncheck
// only uses it to skip entries when it queries a module at a known version.
//
// Usage: go run ./testdata/govuln/mkdb -zip ZIP -out DIR
//
// It lives under testdata so that ./... does not build it.
package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// Limits for hostile zips: the real Go all.zip holds ~4,300 records of at
// most a few hundred KiB each.
const (
	maxEntries   = 100_000
	maxEntrySize = 8 << 20
)

type entry struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	Aliases   []string   `json:"aliases,omitempty"`
	Affected  []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	} `json:"events"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	zipPath := flag.String("zip", "", "OSV all.zip of the Go ecosystem")
	out := flag.String("out", "", "directory to write (created; must not exist or be empty)")
	flag.Parse()
	if *zipPath == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := build(*zipPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkdb:", err)
		os.Exit(1)
	}
}

func build(zipPath, out string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("open %s: %w", zipPath, err)
	}
	defer zr.Close()
	if len(zr.File) > maxEntries {
		return fmt.Errorf("%s: %d files is over the limit of %d", zipPath, len(zr.File), maxEntries)
	}
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return err
	}

	var (
		db      dbMeta
		modules = map[string]*moduleMeta{}
		vulns   []vulnMeta
	)
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || path.Ext(zf.Name) != ".json" {
			continue
		}
		raw, err := readZipFile(zf)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("%s: %w", zf.Name, err)
		}
		if e.ID == "" || strings.ContainsAny(e.ID, `/\`) || e.ID != strings.TrimSuffix(path.Base(zf.Name), ".json") {
			return fmt.Errorf("%s: id %q does not match the file name", zf.Name, e.ID)
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), raw, 0o644); err != nil {
			return err
		}
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: nonSupersededFix(a.Ranges)})
		}
	}

	mods := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		sort.SliceStable(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })

	if err := writeJSON(filepath.Join(out, "index", "db.json"), db); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "index", "modules.json"), mods); err != nil {
		return err
	}
	return writeJSON(filepath.Join(out, "index", "vulns.json"), vulns)
}

func readZipFile(zf *zip.File) ([]byte, error) {
	if zf.UncompressedSize64 > maxEntrySize {
		return nil, fmt.Errorf("%s: %d bytes is over the limit of %d", zf.Name, zf.UncompressedSize64, maxEntrySize)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", zf.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxEntrySize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", zf.Name, err)
	}
	if len(b) > maxEntrySize {
		return nil, errors.New(zf.Name + ": over the size limit")
	}
	return b, nil
}

func writeJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return os.WriteFile(name, b, 0o644)
}

// nonSupersededFix mirrors golang.org/x/vuln internal/semver.NonSupersededFix:
// the latest SEMVER "fixed" event, or "" when a later "introduced" reopens it.
func nonSupersededFix(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && less(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && less(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// less compares Go-style semver strings with or without a "v" or "go"
// prefix, as golang.org/x/vuln internal/semver.Less does.
func less(a, b string) bool {
	return semver.Compare(canonical(a), canonical(b)) < 0
}

func canonical(s string) string {
	s = strings.TrimPrefix(s, "v")
	s = strings.TrimPrefix(s, "go")
	return "v" + s
}
