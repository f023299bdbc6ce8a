package scan

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact/image"
	"github.com/redline-sec/redline/internal/artifact/image/imagetest"
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/vulndb"
)

var (
	debianRoot = filepath.Join("..", "inventory", "dpkg", "testdata", "bookworm-minbase")
	alpineRoot = filepath.Join("..", "inventory", "apk", "testdata", "alpine-3.11")
	nodeRoot   = filepath.Join("..", "inventory", "npm", "testdata", "node_modules")
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestImageInventory is issue 3's "done when" on an image built from real
// parts: a Debian 12 minbase root (the real dpkg status of a debootstrap),
// a layer with a real Go binary and a real node_modules tree. Every package
// dpkg-query lists is found with its version and source package, every
// module `go version -m` lists, and every installed npm package; the Go
// findings are govulncheck's.
func TestImageInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program and imports the Go corpus")
	}
	db := goDB(t)
	binDir := t.TempDir()
	bin := filepath.Join(binDir, "govulnapp")
	buildFixture(t, bin)
	app := imagetest.FromDir(t, binDir, "usr/local/bin")
	app = append(app, imagetest.FromDir(t, nodeRoot, "srv/app/node_modules")...)
	path := imagetest.DockerArchive(t,
		imagetest.Layer{CreatedBy: "debootstrap --variant=minbase bookworm", Files: imagetest.FromDir(t, debianRoot, "")},
		imagetest.Layer{CreatedBy: "COPY app /", Files: app},
	)
	img, err := image.Open(context.Background(), "docker-archive:"+path, image.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Catalog(context.Background(), img, Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Distro == nil || inv.Distro.Ecosystem != "Debian:12" {
		t.Fatalf("distro = %+v, want Debian:12", inv.Distro)
	}
	byCataloger := func(name string) []inventory.Package {
		var out []inventory.Package
		for _, p := range inv.Packages {
			if slices.Contains(p.Catalogers, name) {
				out = append(out, p)
			}
		}
		return out
	}

	// dpkg: exactly what dpkg-query printed for that root.
	var gotDeb []string
	for _, p := range byCataloger("dpkg") {
		if p.Ecosystem != "Debian:12" {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		gotDeb = append(gotDeb, strings.Join([]string{p.Name, p.Version, p.SourceName, p.SourceVersion}, " "))
	}
	sort.Strings(gotDeb)
	if want := readLines(t, filepath.Join(debianRoot, "dpkg-query.txt")); !slices.Equal(gotDeb, want) {
		t.Errorf("dpkg packages differ from dpkg-query:\n%s", diff(gotDeb, want))
	}

	// Go: exactly the modules `go version -m` lists, and the stdlib.
	var gotGo []string
	for _, p := range byCataloger("go-binary") {
		gotGo = append(gotGo, p.Name+" "+p.Version)
		if p.Locations[0].Path != "usr/local/bin/govulnapp" || p.Locations[0].CreatedBy != "COPY app /" {
			t.Errorf("%s located at %+v", p.Name, p.Locations[0])
		}
	}
	sort.Strings(gotGo)
	if want := goVersionM(t, bin); !slices.Equal(gotGo, want) {
		t.Errorf("Go modules differ from go version -m:\n%s", diff(gotGo, want))
	}

	// npm: every installed package.json under node_modules.
	var gotNPM []string
	for _, p := range byCataloger("node-modules") {
		gotNPM = append(gotNPM, p.Name+"@"+p.Version)
	}
	sort.Strings(gotNPM)
	if want := installedNPM(t, nodeRoot); !slices.Equal(gotNPM, want) {
		t.Errorf("npm packages differ:\n%s", diff(gotNPM, want))
	}

	// The binary's findings in the image are govulncheck's.
	r, err := Assess(context.Background(), inv, Options{DB: db, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range r.Findings {
		if f.Location.Path == "usr/local/bin/govulnapp" {
			ids = append(ids, f.RuleID)
		}
	}
	sort.Strings(ids)
	if want := readExpected(t, "expected-binary.json").IDs; !slices.Equal(slices.Compact(ids), want) {
		t.Errorf("ids in the image differ from govulncheck:\n%s", diff(slices.Compact(ids), want))
	}
}

// TestImageAlpine matches an Alpine 3.11 package database on the real
// Alpine OSV records (keyed by source package).
func TestImageAlpine(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "shared", "corpus", "osv", "Alpine", "all.zip")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("needs the OSV corpus at %s: %v", corpus, err)
	}
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := vulndb.Import(context.Background(), dbPath, []string{corpus}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := imagetest.DockerArchive(t, imagetest.Layer{CreatedBy: "FROM alpine:3.11", Files: imagetest.FromDir(t, alpineRoot, "")})
	img, err := image.Open(context.Background(), path, image.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), img, Options{DB: db, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range r.Findings {
		if f.Package.Ecosystem != "Alpine:v3.11" {
			t.Errorf("%s: ecosystem %q", f.RuleID, f.Package.Ecosystem)
		}
		got[f.Package.Name] = append(got[f.Package.Name], f.RuleID)
	}
	// openssl 1.1.1d-r0 is in these four Alpine v3.11 records; both binary
	// packages built from it are reported.
	for _, pkg := range []string{"libcrypto1.1", "libssl1.1"} {
		for _, id := range []string{"ALPINE-CVE-2019-1547", "ALPINE-CVE-2019-1549", "ALPINE-CVE-2019-1551", "ALPINE-CVE-2019-1563"} {
			if !slices.Contains(got[pkg], id) {
				t.Errorf("%s: %s not reported (got %v)", pkg, id, got[pkg])
			}
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return lines
}

// goVersionM lists "module version" as `go version -m` prints them for the
// binary (replacements applied), plus "stdlib <go version>".
func goVersionM(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && strings.HasSuffix(f[0], ":"):
			lines = append(lines, "stdlib "+strings.TrimPrefix(f[1], "go"))
		case len(f) >= 3 && f[0] == "dep":
			lines = append(lines, f[1]+" "+f[2])
		case len(f) >= 3 && f[0] == "=>":
			lines[len(lines)-1] = f[1] + " " + f[2]
		}
	}
	sort.Strings(lines)
	return lines
}

// installedNPM reads name@version of every node_modules/<pkg>/package.json
// and node_modules/@scope/<pkg>/package.json at any depth below root (itself
// a node_modules directory).
func installedNPM(t *testing.T, root string) []string {
	t.Helper()
	var out, files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "package.json" {
			return err
		}
		dir := filepath.Dir(p)
		parent := filepath.Dir(dir)
		if strings.HasPrefix(filepath.Base(parent), "@") {
			parent = filepath.Dir(parent)
		}
		if parent == root || filepath.Base(parent) == "node_modules" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range files {
		f, err := os.Open(m)
		if err != nil {
			t.Fatal(err)
		}
		var pj struct{ Name, Version string }
		err = json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&pj)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		out = append(out, fmt.Sprintf("%s@%s", pj.Name, pj.Version))
	}
	sort.Strings(out)
	return slices.Compact(out)
}
