package inventory

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

func TestMerge(t *testing.T) {
	loc := func(p string, line int) finding.Location { return finding.Location{Path: p, Line: line} }
	in := []Package{
		{Name: "lodash", Version: "4.17.15", Ecosystem: EcosystemNPM, PURL: "pkg:npm/lodash@4.17.15", Locations: []finding.Location{loc("package-lock.json", 12)}, Catalogers: []string{"package-lock"}, Dev: true},
		{Name: "lodash", Version: "4.17.15", Ecosystem: EcosystemNPM, Locations: []finding.Location{loc("node_modules/lodash/package.json", 0)}, Catalogers: []string{"node-modules"}, Licenses: []string{"MIT"}},
		{Name: "lodash", Version: "4.17.15", Ecosystem: EcosystemNPM, Locations: []finding.Location{loc("package-lock.json", 12)}, Catalogers: []string{"package-lock"}, Dev: true},
		{Name: "lodash", Version: "4.17.11", Ecosystem: EcosystemNPM, Locations: []finding.Location{loc("package-lock.json", 40)}, Catalogers: []string{"package-lock"}, Dev: true},
		{Name: "stdlib", Version: "1.21.3", Ecosystem: EcosystemGo, GOOS: "linux", GOARCH: "amd64", Locations: []finding.Location{loc("bin/a", 0)}},
		{Name: "stdlib", Version: "1.21.3", Ecosystem: EcosystemGo, GOOS: "windows", GOARCH: "amd64", Locations: []finding.Location{loc("bin/a.exe", 0)}},
	}
	got := Merge(in)
	if len(got) != 4 {
		t.Fatalf("Merge gave %d packages, want 4: %+v", len(got), got)
	}
	// Sorted by ecosystem, name, version, platform.
	var keys []string
	for _, p := range got {
		keys = append(keys, p.Ecosystem+" "+p.Name+" "+p.Version+" "+p.GOOS)
	}
	want := []string{"Go stdlib 1.21.3 linux", "Go stdlib 1.21.3 windows", "npm lodash 4.17.11 ", "npm lodash 4.17.15 "}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("order = %q, want %q", keys, want)
	}
	l := got[3]
	if !reflect.DeepEqual(l.Locations, []finding.Location{loc("node_modules/lodash/package.json", 0), loc("package-lock.json", 12)}) {
		t.Errorf("locations = %+v", l.Locations)
	}
	if !reflect.DeepEqual(l.Catalogers, []string{"node-modules", "package-lock"}) {
		t.Errorf("catalogers = %v", l.Catalogers)
	}
	if l.Dev {
		t.Error("installed copy is not dev, so the merged package is not dev")
	}
	if !reflect.DeepEqual(l.Licenses, []string{"MIT"}) {
		t.Errorf("licenses = %v: the lockfile's report (none) must not hide node_modules' MIT", l.Licenses)
	}
	if l.PURL != "pkg:npm/lodash@4.17.15" {
		t.Errorf("purl = %q", l.PURL)
	}
	if !got[2].Dev {
		t.Error("a package every report calls dev stays dev")
	}
	// The input is not modified.
	if len(in[0].Locations) != 1 || len(in[0].Catalogers) != 1 {
		t.Error("Merge modified its input")
	}
}

func TestNormalizePyPI(t *testing.T) {
	for in, want := range map[string]string{
		"Django": "django", "zope.interface": "zope-interface", "Foo__Bar-.baz": "foo-bar-baz",
		" PyYAML ": "pyyaml", "a_b": "a-b", "-lead": "lead",
	} {
		if got := NormalizePyPI(in); got != want {
			t.Errorf("NormalizePyPI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseError(t *testing.T) {
	base := errors.New("bad")
	e := &ParseError{Path: "a/go.mod", Line: 3, Err: base}
	if e.Error() != "a/go.mod:3: bad" || !errors.Is(e, base) {
		t.Errorf("ParseError = %q", e.Error())
	}
	if (&ParseError{Path: "x", Err: base}).Error() != "x: bad" {
		t.Error("ParseError without a line")
	}
}

// fakeCataloger reports one package per file whose name ends in suffix.
type fakeCataloger struct {
	name, suffix string
	err          error
}

func (c fakeCataloger) Name() string { return c.name }
func (c fakeCataloger) Wants(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, c.suffix)
}
func (c fakeCataloger) Catalog(_ context.Context, f *walk.File) ([]Package, error) {
	return []Package{{Name: "p", Version: "1", Ecosystem: "npm", Locations: []finding.Location{{Path: f.Path}}}}, c.err
}

func TestCollector(t *testing.T) {
	bad := errors.New("truncated")
	c := NewCollector(fakeCataloger{name: "a", suffix: ".lock"}, fakeCataloger{name: "b", suffix: "x.lock", err: bad})
	if !c.Wants("x.lock", nil) || c.Wants("x.txt", nil) {
		t.Error("Wants")
	}
	f := walk.BytesFile("x.lock", nil)
	f.Layer = "sha256:abc"
	if err := c.Analyze(context.Background(), f); !errors.Is(err, bad) {
		t.Errorf("Analyze = %v, want the cataloger's error", err)
	}
	got := c.Packages()
	if len(got) != 1 || !reflect.DeepEqual(got[0].Catalogers, []string{"a", "b"}) || got[0].Locations[0].Layer != "sha256:abc" {
		t.Errorf("Packages = %+v", got)
	}
}

func TestCleanLicenses(t *testing.T) {
	long := strings.Repeat("x", MaxLicenseLen+1)
	got := CleanLicenses([]string{" MIT ", "", "Apache-2.0", "MIT", long, "bad\x00", "\xff"})
	if !reflect.DeepEqual(got, []string{"Apache-2.0", "MIT"}) {
		t.Errorf("CleanLicenses = %q", got)
	}
	if CleanLicenses([]string{" "}) != nil {
		t.Error("nothing left must be nil")
	}
	many := make([]string, MaxLicenses+5)
	for i := range many {
		many[i] = strings.Repeat("a", i+1)
	}
	if n := len(CleanLicenses(many)); n != MaxLicenses {
		t.Errorf("kept %d licenses, want %d", n, MaxLicenses)
	}
}
