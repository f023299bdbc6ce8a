package cli

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact/image/imagetest"
)

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exampleApp, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exampleImage writes a docker-save tarball: the example app in layer 1,
// and layer 2 deleting its requirements.txt (a whiteout).
func exampleImage(t *testing.T) string {
	t.Helper()
	return imagetest.DockerArchive(t,
		imagetest.Layer{CreatedBy: "COPY . /app", Files: []imagetest.File{
			{Name: "app/"},
			{Name: "app/go.mod", Body: []byte(readExample(t, "go.mod"))},
			{Name: "app/requirements.txt", Body: []byte(readExample(t, "requirements.txt"))},
			{Name: "app/Cargo.lock", Body: []byte(readExample(t, "Cargo.lock"))},
		}},
		imagetest.Layer{CreatedBy: "RUN rm /app/requirements.txt", Files: []imagetest.File{{Name: "app/.wh.requirements.txt"}}},
		imagetest.Layer{CreatedBy: "RUN pip install urllib3==1.26.4", Files: []imagetest.File{{
			Name: "usr/lib/python3/dist-packages/urllib3-1.26.4.dist-info/METADATA",
			Body: []byte("Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.4\nLicense: MIT\n\nurllib3 is a powerful HTTP client.\n"),
		}}},
	)
}

func findingKeys(r jsonReport) []string {
	var keys []string
	for _, f := range r.Findings {
		keys = append(keys, f.RuleID+" "+f.Package.Name+"@"+f.Package.Version+" "+f.Location.Path)
	}
	sort.Strings(keys)
	return keys
}

// TestScanImage: packages deleted by a later layer are gone, the rest is
// found with the layer and Dockerfile line that added it; the SBOM of the
// image, scanned, gives the same findings in both formats.
func TestScanImage(t *testing.T) {
	db := mustDB(t)
	img := exampleImage(t)

	code, out, stderr := run(t, "scan", "image", "--db", db, "-f", "json", "docker-archive:"+img)
	if code != ExitOK {
		t.Fatalf("scan image: exit %d: %s", code, stderr)
	}
	r := decode(t, out)
	keys := findingKeys(r)
	if len(keys) == 0 {
		t.Fatal("no findings")
	}
	for _, k := range keys {
		if strings.Contains(k, "requirements.txt") {
			t.Errorf("finding in a deleted file: %s", k)
		}
	}
	// Go, crates.io and PyPI, each on real OSV records.
	for _, want := range []string{
		"GO-2022-0969 golang.org/x/net@v0.0.0-20210226172049-e18ecbb05110 app/go.mod",
		"RUSTSEC-2021-0003 smallvec@0.6.13 app/Cargo.lock",
		"PYSEC-2023-192 urllib3@1.26.4 usr/lib/python3/dist-packages/urllib3-1.26.4.dist-info/METADATA",
	} {
		if !slices.Contains(keys, want) {
			t.Errorf("missing finding %q", want)
		}
	}
	var report struct {
		Packages []struct {
			Name      string
			Locations []struct {
				Path      string `json:"path"`
				Layer     string `json:"layer"`
				CreatedBy string `json:"created_by"`
			} `json:"locations"`
		} `json:"packages"`
	}
	if err := jsonUnmarshal(out, &report); err != nil {
		t.Fatal(err)
	}
	for _, p := range report.Packages {
		for _, l := range p.Locations {
			wantBy := "COPY . /app"
			if p.Name == "urllib3" {
				wantBy = "RUN pip install urllib3==1.26.4"
			}
			if !strings.HasPrefix(l.Layer, "sha256:") || l.CreatedBy != wantBy {
				t.Errorf("%s at %s: layer %q created_by %q", p.Name, l.Path, l.Layer, l.CreatedBy)
			}
		}
	}

	for _, format := range []string{"cyclonedx-json", "spdx-json"} {
		sbomFile := filepath.Join(t.TempDir(), "app.json")
		if code, _, stderr := run(t, "sbom", "-f", format, "-o", sbomFile, img); code != ExitOK {
			t.Fatalf("sbom %s: exit %d: %s", format, code, stderr)
		}
		first, _ := os.ReadFile(sbomFile)
		if code, again, _ := run(t, "sbom", "-f", format, img); code != ExitOK || again != string(first) {
			t.Errorf("sbom %s is not reproducible", format)
		}
		code, out, stderr := run(t, "scan", "sbom", "--db", db, "-f", "json", sbomFile)
		if code != ExitOK {
			t.Fatalf("scan sbom %s: exit %d: %s", format, code, stderr)
		}
		if got := findingKeys(decode(t, out)); strings.Join(got, "\n") != strings.Join(keys, "\n") {
			t.Errorf("scan sbom (%s) findings differ from scan image:\n%s\nwant:\n%s", format, strings.Join(got, "\n"), strings.Join(keys, "\n"))
		}
	}
}

func TestScanImageErrors(t *testing.T) {
	db := mustDB(t)
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"scan", "image", "--db", db, "docker-archive:/nonexistent.tar"}, "nonexistent.tar"},
		{[]string{"scan", "image", "--db", db, "--max-file-size", "lots", exampleImage(t)}, "--max-file-size"},
		{[]string{"sbom", "-f", "xml", exampleApp}, "unknown format"},
		{[]string{"scan", "sbom", "--db", db, "/nonexistent.cdx.json"}, "open SBOM"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != ExitError || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: exit %d, stderr %q (want 2 and %q)", c.args, code, stderr, c.stderr)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "512MiB": 512 << 20, "10GiB": 10 << 30, "2GB": 2e9, "0": 0, "1 KiB": 1024} {
		if got, err := parseSize("--x", in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "lots", "1.5GiB", "99999999999TiB"} {
		if _, err := parseSize("--x", bad); err == nil {
			t.Errorf("parseSize(%q): want an error", bad)
		}
	}
}
