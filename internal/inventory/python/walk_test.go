package python

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// TestWalkTestdata runs every cataloger inside the real walk over testdata/
// and checks what merging the reports gives.
func TestWalkTestdata(t *testing.T) {
	a, err := dir.Open("testdata", dir.Options{SkipDirs: []string{"fuzz"}})
	if err != nil {
		t.Fatal(err)
	}
	c := inventory.NewCollector(Catalogers()...)
	res, err := walk.Run(context.Background(), a, []walk.Analyzer{c}, walk.Options{Workers: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []walk.Warning{{
		Path:     "pip/malformed/requirements.txt",
		Analyzer: "inventory",
		Message:  `pip/malformed/requirements.txt:2: unclosed extras in "foo[bar==1.0" (and 2 more problems)`,
	}}
	if !slices.Equal(res.Warnings, wantWarnings) {
		t.Errorf("warnings = %+v, want %+v", res.Warnings, wantWarnings)
	}
	if res.Stats.Analyzed != 23 {
		t.Errorf("%d files analyzed, want 23", res.Stats.Analyzed)
	}

	pkgs := c.Packages()
	byKey := map[string]inventory.Package{}
	for _, p := range pkgs {
		byKey[p.Name+"@"+p.Version] = p
	}
	const debian = "installed/usr/lib/python3/dist-packages/"
	tests := []struct {
		key        string
		locations  []finding.Location
		catalogers []string
		dev        bool
	}{
		{
			key: "cryptography@38.0.4",
			locations: []finding.Location{
				{Path: debian + "cryptography-38.0.4.dist-info/METADATA", Line: 2},
				{Path: debian + "cryptography.egg-info/PKG-INFO", Line: 2},
			},
			catalogers: []string{"python-installed"},
		},
		{
			// default and develop in one Pipfile.lock, and a requirements file.
			key: "requests@2.25.1",
			locations: []finding.Location{
				{Path: "pip/edge/requirements-dev.txt", Line: 9},
				{Path: "pipfile/edge/Pipfile.lock", Line: 37},
				{Path: "pipfile/edge/Pipfile.lock", Line: 58},
			},
			catalogers: []string{"pipfile-lock", "requirements"},
		},
		{
			key:        "pytest@7.4.0",
			locations:  []finding.Location{{Path: "uv/workspace/uv.lock", Line: 99}},
			catalogers: []string{"uv-lock"},
			dev:        true,
		},
		{
			// Dev in both lock files that list it.
			key: "click@8.1.3",
			locations: []finding.Location{
				{Path: "poetry/groups/poetry.lock", Line: 36},
				{Path: "poetry/python-project-49/poetry.lock", Line: 39},
			},
			catalogers: []string{"poetry-lock"},
			dev:        true,
		},
	}
	for _, tt := range tests {
		p, ok := byKey[tt.key]
		if !ok {
			t.Errorf("%s not found", tt.key)
			continue
		}
		if !slices.Equal(p.Locations, tt.locations) || !slices.Equal(p.Catalogers, tt.catalogers) || p.Dev != tt.dev {
			t.Errorf("%s = locations %+v, catalogers %v, dev %v; want %+v, %v, %v", tt.key, p.Locations, p.Catalogers, p.Dev, tt.locations, tt.catalogers, tt.dev)
		}
	}
	// 155 reports (152 from the valid files, 3 from the malformed one) of
	// 143 distinct name@version pairs.
	if len(pkgs) != 143 {
		t.Errorf("%d packages, want 143", len(pkgs))
	}
}
