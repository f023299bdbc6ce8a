package golang

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/walk"
)

// fixtureApp is the vulnerable test program shared with the end-to-end
// check (see testdata/govuln/README.md at the repository root).
const fixtureApp = "../../../testdata/govuln/app"

// TestBinaryCatalogerFixture builds the real fixture program and checks that
// the go-binary cataloger reports exactly the modules `go version -m` lists
// for it, the standard library and the platform included. Set
// REDLINE_FIXTURE_CROSS=1 to also build and check a Windows (PE) and a macOS
// (Mach-O) binary; cross-compiling the standard library takes minutes on a
// cold build cache, so it is off by default.
func TestBinaryCatalogerFixture(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; install Go to build the fixture binary")
	}
	dir, err := filepath.Abs(fixtureApp)
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")

	if out, err := goCommand(t, goTool, dir, env, "mod", "download"); err != nil {
		t.Skipf("cannot download the fixture's modules (needs the Go module proxy or a filled module cache): %v\n%s", err, out)
	}

	platforms := []string{"linux/amd64"}
	if os.Getenv("REDLINE_FIXTURE_CROSS") == "1" {
		platforms = append(platforms, "windows/arm64", "darwin/arm64")
	}
	for _, platform := range platforms {
		t.Run(platform, func(t *testing.T) {
			goos, goarch, _ := strings.Cut(platform, "/")
			name := "govulnapp"
			if goos == "windows" {
				name += ".exe"
			}
			bin := filepath.Join(t.TempDir(), name)
			buildEnv := append(slices.Clone(env), "GOOS="+goos, "GOARCH="+goarch)
			if out, err := goCommand(t, goTool, dir, buildEnv, "build", "-trimpath", "-buildvcs=false", "-o", bin, "."); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			out, err := goCommand(t, goTool, dir, env, "version", "-m", bin)
			if err != nil {
				t.Fatalf("go version -m: %v\n%s", err, out)
			}
			want := versionMPackages(t, string(out), name)

			got := catalogFile(t, bin, name)
			slices.Sort(got)
			slices.Sort(want)
			diffLines(t, got, want)

			// The facts the end-to-end check relies on, spelled out.
			for _, line := range []string{
				"golang.org/x/text v0.3.5 pkg:golang/golang.org/x/text@v0.3.5 " + name + " " + platform,
				"gopkg.in/yaml.v2 v2.2.2 pkg:golang/gopkg.in/yaml.v2@v2.2.2 " + name + " " + platform,
			} {
				if !slices.Contains(got, line) {
					t.Errorf("missing %q", line)
				}
			}
		})
	}
}

// goCommand runs the go command in dir and returns its combined output. A
// cold cross-compile of the standard library takes minutes on two cores,
// hence the generous timeout.
func goCommand(t *testing.T, goTool, dir string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir, cmd.Env = dir, env
	return cmd.CombinedOutput()
}

// catalogFile runs the go-binary cataloger on a file on disk as the walk
// would, reporting it under the name rel.
func catalogFile(t *testing.T, path, rel string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	c := BinaryCataloger{}
	if !c.Wants(rel, info) {
		t.Fatalf("Wants(%q, %v, %d bytes) = false", rel, info.Mode(), info.Size())
	}
	pkgs, err := c.Catalog(context.Background(), walk.NewFile(rel, info, f, info.Size()))
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	return describe(pkgs)
}

var releaseGo = regexp.MustCompile(`^go(\d+\.\d+\.\d+)$`)

// versionMPackages turns `go version -m` output into the lines describe
// gives for the packages the go-binary cataloger should report: the main
// module unless its version is (devel), each dep after its "=>"
// replacement (left out when the replacement is a directory), and stdlib.
func versionMPackages(t *testing.T, out, rel string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	i := strings.LastIndex(lines[0], ": ")
	if i < 0 {
		t.Fatalf("unexpected first line of go version -m: %q", lines[0])
	}
	goVersion := lines[0][i+2:]
	m := releaseGo.FindStringSubmatch(goVersion)
	if m == nil {
		t.Skipf("toolchain %s is not a release; this test compares release versions only", goVersion)
	}

	type mod struct{ path, version string }
	var (
		mods     []mod
		settings = map[string]string{}
	)
	for _, line := range lines[1:] {
		f := strings.Split(strings.TrimPrefix(line, "\t"), "\t")
		switch f[0] {
		case "mod":
			if f[2] != "(devel)" {
				mods = append(mods, mod{f[1], f[2]})
			}
		case "dep":
			mods = append(mods, mod{f[1], f[2]})
		case "=>":
			last := &mods[len(mods)-1]
			if len(f) < 3 || f[2] == "" {
				mods = mods[:len(mods)-1] // directory replacement
			} else {
				*last = mod{f[1], f[2]}
			}
		case "build":
			k, v, _ := strings.Cut(f[1], "=")
			settings[k] = v
		}
	}
	platform := settings["GOOS"] + "/" + settings["GOARCH"]
	if platform == "/" {
		t.Fatal("go version -m printed no GOOS and GOARCH")
	}
	want := []string{"stdlib " + m[1] + " pkg:golang/stdlib@v" + m[1] + " " + rel + " " + platform}
	for _, md := range mods {
		want = append(want, md.path+" "+md.version+" pkg:golang/"+strings.ToLower(md.path)+"@"+md.version+" "+rel+" "+platform)
	}
	return want
}
