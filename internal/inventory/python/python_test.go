package python

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// pkg is the part of a package the tests compare.
type pkg struct {
	Name    string
	Version string
	Line    int
	Dev     bool
}

func summarize(pkgs []inventory.Package) []pkg {
	out := make([]pkg, 0, len(pkgs))
	for _, p := range pkgs {
		line := -1
		if len(p.Locations) == 1 {
			line = p.Locations[0].Line
		}
		out = append(out, pkg{p.Name, p.Version, line, p.Dev})
	}
	return out
}

// catalogFile runs c on testdata/<rel>, with rel as the file's path.
func catalogFile(t *testing.T, c inventory.Cataloger, rel string) ([]inventory.Package, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Wants(rel, nil) {
		t.Fatalf("%s does not want %s", c.Name(), rel)
	}
	return c.Catalog(context.Background(), walk.BytesFile(rel, data))
}

func assertPackages(t *testing.T, got []inventory.Package, want []pkg) {
	t.Helper()
	if g := summarize(got); !slices.Equal(g, want) {
		t.Errorf("packages differ\n got: %+v\nwant: %+v", g, want)
	}
}

// assertParseError checks that err is a *inventory.ParseError at path:line
// whose message contains substr.
func assertParseError(t *testing.T, err error, path string, line int, substr string) {
	t.Helper()
	var pe *inventory.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *inventory.ParseError", err)
	}
	if pe.Path != path || pe.Line != line || !strings.Contains(pe.Error(), substr) {
		t.Errorf("error = %q (path %q, line %d), want path %q, line %d, containing %q", pe.Error(), pe.Path, pe.Line, path, line, substr)
	}
}

// checkInvariants asserts what must hold for any input: fuzz targets use it.
func checkInvariants(t *testing.T, path string, data []byte, pkgs []inventory.Package, err error) {
	t.Helper()
	if err != nil {
		var pe *inventory.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *inventory.ParseError", err)
		}
		if pe.Path != path {
			t.Fatalf("error path %q, want %q", pe.Path, path)
		}
	}
	lines := strings.Count(string(data), "\n") + 1
	for _, p := range pkgs {
		if p.Name == "" || p.Name != inventory.NormalizePyPI(p.Name) {
			t.Fatalf("name %q is not normalized", p.Name)
		}
		if !validVersion(p.Version) {
			t.Fatalf("invalid version %q", p.Version)
		}
		if p.Ecosystem != inventory.EcosystemPyPI || !strings.HasPrefix(p.PURL, "pkg:pypi/") {
			t.Fatalf("bad ecosystem or PURL: %+v", p)
		}
		if len(p.Locations) != 1 || p.Locations[0].Path != path || p.Locations[0].Line < 0 || p.Locations[0].Line > lines {
			t.Fatalf("bad location %+v for %d lines", p.Locations, lines)
		}
	}
	if len(pkgs) > maxPackages {
		t.Fatalf("%d packages, over the limit", len(pkgs))
	}
}

// addSeeds adds every file under testdata/<dir> to the fuzz corpus.
func addSeeds(f *testing.F, dir string) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

func TestCatalogers(t *testing.T) {
	var names []string
	for _, c := range Catalogers() {
		names = append(names, c.Name())
	}
	want := []string{"requirements", "poetry-lock", "pipfile-lock", "uv-lock", "python-installed"}
	if !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		want string // the cataloger that wants it, "" for none
	}{
		{"requirements.txt", "requirements"},
		{"app/requirements-dev.txt", "requirements"},
		{"app/requirements_test.txt", "requirements"},
		{"app/Requirements.txt", "requirements"},
		{"app/dev-requirements.txt", "requirements"},
		{"app/test_requirements.txt", "requirements"},
		{"requirements/base.txt", "requirements"},
		{"src/requirements/prod.txt", "requirements"},
		{"requirements.in", ""},
		{"requirements/base.in", ""},
		{"requirements.txt.orig", ""},
		{"docs/notes.txt", ""},
		{"foo.egg-info/requires.txt", ""},
		{"poetry.lock", "poetry-lock"},
		{"svc/poetry.lock", "poetry-lock"},
		{"poetry.lock.bak", ""},
		{"Pipfile.lock", "pipfile-lock"},
		{"svc/Pipfile.lock", "pipfile-lock"},
		{"Pipfile", ""},
		{"pipfile.lock", ""},
		{"uv.lock", "uv-lock"},
		{"svc/uv.lock", "uv-lock"},
		{"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", "python-installed"},
		{"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO", "python-installed"},
		{"usr/lib/python2.7/wsgiref.egg-info", "python-installed"},
		{"site-packages/foo-1.0-py2.7.egg/EGG-INFO/PKG-INFO", "python-installed"},
		{"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD", ""},
		{"src/foo-1.0/PKG-INFO", ""},
		{"METADATA", ""},
		{"site-packages/foo/METADATA", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range Catalogers() {
			if c.Wants(tt.path, nil) {
				got = append(got, c.Name())
			}
		}
		var want []string
		if tt.want != "" {
			want = []string{tt.want}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s wanted by %v, want %v", tt.path, got, want)
		}
	}
}

func TestWantsDirectory(t *testing.T) {
	info, err := os.Stat("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if (installedCataloger{}).Wants("site-packages/foo.egg-info", info) {
		t.Error("a directory named *.egg-info is wanted; only its PKG-INFO should be")
	}
}

func TestPURL(t *testing.T) {
	tests := []struct{ name, version, want string }{
		{"requests", "2.28.1", "pkg:pypi/requests@2.28.1"},
		{"PyYAML", "6.0", "pkg:pypi/pyyaml@6.0"},
		{"Flask_Cors", "3.0.9", "pkg:pypi/flask-cors@3.0.9"},
		{"zope.interface", "5.2.0", "pkg:pypi/zope.interface@5.2.0"},
		{"foo", "1.0+local.1", "pkg:pypi/foo@1.0%2Blocal.1"},
	}
	for _, tt := range tests {
		p := newPackage("test", tt.name, tt.version, "x", 1, false)
		if p.PURL != tt.want {
			t.Errorf("purl(%q, %q) = %q, want %q", tt.name, tt.version, p.PURL, tt.want)
		}
		if p.Name != inventory.NormalizePyPI(tt.name) {
			t.Errorf("name %q, want %q", p.Name, inventory.NormalizePyPI(tt.name))
		}
	}
}

func TestSizeLimit(t *testing.T) {
	tests := []struct {
		c     inventory.Cataloger
		path  string
		limit int
	}{
		{requirementsCataloger{}, "requirements.txt", maxRequirementsSize},
		{poetryCataloger{}, "poetry.lock", maxTOMLSize},
		{pipfileCataloger{}, "Pipfile.lock", maxJSONSize},
		{uvCataloger{}, "uv.lock", maxTOMLSize},
	}
	for _, tt := range tests {
		big := make([]byte, tt.limit+1)
		pkgs, err := tt.c.Catalog(context.Background(), walk.BytesFile(tt.path, big))
		if len(pkgs) != 0 {
			t.Errorf("%s: %d packages from an oversized file", tt.c.Name(), len(pkgs))
		}
		assertParseError(t, err, tt.path, 0, "limit")
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	for range 3 * ctxEvery {
		b.WriteString("a==1\n")
	}
	_, err := parseRequirements(ctx, "requirements.txt", strings.NewReader(b.String()))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPackageLimit(t *testing.T) {
	var toml, json strings.Builder
	json.WriteString("{\"default\": {\n")
	for i := range maxPackages + 1 {
		fmt.Fprintf(&toml, "[[package]]\nname = \"p%d\"\nversion = \"1\"\n", i)
		fmt.Fprintf(&json, "\"p%d\": {\"version\": \"==1\"},\n", i)
	}
	json.WriteString("\"last\": {}}}")
	for _, c := range []inventory.Cataloger{poetryCataloger{}, uvCataloger{}} {
		path := map[string]string{"poetry-lock": "poetry.lock", "uv-lock": "uv.lock"}[c.Name()]
		pkgs, err := c.Catalog(context.Background(), walk.BytesFile(path, []byte(toml.String())))
		if len(pkgs) != 0 {
			t.Errorf("%s: %d packages", c.Name(), len(pkgs))
		}
		assertParseError(t, err, path, 3*maxPackages+1, "more than 100000 packages")
	}
	pkgs, err := (pipfileCataloger{}).Catalog(context.Background(), walk.BytesFile("Pipfile.lock", []byte(json.String())))
	if len(pkgs) != maxPackages {
		t.Errorf("pipfile-lock: %d packages", len(pkgs))
	}
	assertParseError(t, err, "Pipfile.lock", maxPackages+2, "more than 100000 packages; the rest are ignored")
}
