package golang

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// describe renders packages one per line so that tests compare every field
// that matters: "name version purl path:line goos/goarch".
func describe(pkgs []inventory.Package) []string {
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		locs := make([]string, 0, len(p.Locations))
		for _, l := range p.Locations {
			locs = append(locs, l.String())
		}
		s := fmt.Sprintf("%s %s %s %s", p.Name, p.Version, p.PURL, strings.Join(locs, ","))
		if p.GOOS != "" || p.GOARCH != "" {
			s += " " + p.GOOS + "/" + p.GOARCH
		}
		if p.Ecosystem != inventory.EcosystemGo {
			s += " ecosystem=" + p.Ecosystem
		}
		out = append(out, s)
	}
	return out
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("packages differ\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestModCatalogerRealFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{
			// Three requirements are replaced by local directories: left out.
			file: "testdata/gomod/depsdev-resolve.mod",
			want: []string{
				"deps.dev/api/v3 v3.0.0-20260225062937-bb3cf65ba738 pkg:golang/deps.dev/api/v3@v3.0.0-20260225062937-bb3cf65ba738 go.mod:12",
				"github.com/golang/groupcache v0.0.0-20241129210726-2c02b8208cf8 pkg:golang/github.com/golang/groupcache@v0.0.0-20241129210726-2c02b8208cf8 go.mod:16",
				"github.com/google/go-cmp v0.7.0 pkg:golang/github.com/google/go-cmp@v0.7.0 go.mod:17",
				"golang.org/x/net v0.49.0 pkg:golang/golang.org/x/net@v0.49.0 go.mod:22",
				"golang.org/x/sys v0.40.0 pkg:golang/golang.org/x/sys@v0.40.0 go.mod:23",
				"golang.org/x/text v0.33.0 pkg:golang/golang.org/x/text@v0.33.0 go.mod:24",
				"google.golang.org/genproto v0.0.0-20230410155749-daa745c078e1 pkg:golang/google.golang.org/genproto@v0.0.0-20230410155749-daa745c078e1 go.mod:25",
				"google.golang.org/grpc v1.80.0 pkg:golang/google.golang.org/grpc@v1.80.0 go.mod:18",
				"google.golang.org/protobuf v1.36.11 pkg:golang/google.golang.org/protobuf@v1.36.11 go.mod:26",
			},
		},
		{
			file: "testdata/gomod/otel.mod",
			want: []string{
				"github.com/cespare/xxhash/v2 v2.3.0 pkg:golang/github.com/cespare/xxhash/v2@v2.3.0 go.mod:6",
				"github.com/davecgh/go-spew v1.1.1 pkg:golang/github.com/davecgh/go-spew@v1.1.1 go.mod:17",
				"github.com/go-logr/logr v1.4.3 pkg:golang/github.com/go-logr/logr@v1.4.3 go.mod:7",
				"github.com/go-logr/stdr v1.2.2 pkg:golang/github.com/go-logr/stdr@v1.2.2 go.mod:8",
				"github.com/google/go-cmp v0.7.0 pkg:golang/github.com/google/go-cmp@v0.7.0 go.mod:9",
				"github.com/kr/text v0.2.0 pkg:golang/github.com/kr/text@v0.2.0 go.mod:18",
				"github.com/pmezard/go-difflib v1.0.0 pkg:golang/github.com/pmezard/go-difflib@v1.0.0 go.mod:19",
				"github.com/stretchr/testify v1.11.1 pkg:golang/github.com/stretchr/testify@v1.11.1 go.mod:10",
				"go.opentelemetry.io/auto/sdk v1.2.1 pkg:golang/go.opentelemetry.io/auto/sdk@v1.2.1 go.mod:11",
				"gopkg.in/yaml.v3 v3.0.1 pkg:golang/gopkg.in/yaml.v3@v3.0.1 go.mod:20",
			},
		},
		{
			// The vulnerable fixture: x/text is required at v0.3.8 and
			// replaced by v0.3.5 on line 28.
			file: "../../../testdata/govuln/app/go.mod",
			want: []string{
				"github.com/gin-contrib/sse v0.0.0-20190301062529-5545eab6dad3 pkg:golang/github.com/gin-contrib/sse@v0.0.0-20190301062529-5545eab6dad3 go.mod:15",
				"github.com/gin-gonic/gin v1.4.0 pkg:golang/github.com/gin-gonic/gin@v1.4.0 go.mod:6",
				"github.com/golang/protobuf v1.3.1 pkg:golang/github.com/golang/protobuf@v1.3.1 go.mod:16",
				"github.com/gorilla/websocket v1.4.0 pkg:golang/github.com/gorilla/websocket@v1.4.0 go.mod:7",
				"github.com/json-iterator/go v1.1.6 pkg:golang/github.com/json-iterator/go@v1.1.6 go.mod:17",
				"github.com/mattn/go-isatty v0.0.7 pkg:golang/github.com/mattn/go-isatty@v0.0.7 go.mod:18",
				"github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd pkg:golang/github.com/modern-go/concurrent@v0.0.0-20180306012644-bacd9c7ef1dd go.mod:19",
				"github.com/modern-go/reflect2 v1.0.1 pkg:golang/github.com/modern-go/reflect2@v1.0.1 go.mod:20",
				"github.com/ugorji/go v1.1.4 pkg:golang/github.com/ugorji/go@v1.1.4 go.mod:21",
				"golang.org/x/crypto v0.0.0-20190308221718-c2843e01d9a2 pkg:golang/golang.org/x/crypto@v0.0.0-20190308221718-c2843e01d9a2 go.mod:8",
				"golang.org/x/net v0.0.0-20210226172049-e18ecbb05110 pkg:golang/golang.org/x/net@v0.0.0-20210226172049-e18ecbb05110 go.mod:9",
				"golang.org/x/sys v0.0.0-20201119102817-f84b799fce68 pkg:golang/golang.org/x/sys@v0.0.0-20201119102817-f84b799fce68 go.mod:22",
				"golang.org/x/text v0.3.5 pkg:golang/golang.org/x/text@v0.3.5 go.mod:28",
				"gopkg.in/go-playground/validator.v8 v8.18.2 pkg:golang/gopkg.in/go-playground/validator.v8@v8.18.2 go.mod:23",
				"gopkg.in/yaml.v2 v2.2.2 pkg:golang/gopkg.in/yaml.v2@v2.2.2 go.mod:11",
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			pkgs, err := ModCataloger{}.Catalog(context.Background(), walk.BytesFile("go.mod", readTestdata(t, tt.file)))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			diffLines(t, describe(pkgs), tt.want)
		})
	}
}

func TestModCatalogerRedlineGoMod(t *testing.T) {
	// A snapshot of this project's own go.mod: 152 indirect requirements;
	// upper-case module paths are lower-cased in purls only.
	pkgs, err := ModCataloger{}.Catalog(context.Background(), walk.BytesFile("go.mod", readTestdata(t, "testdata/gomod/redline.mod")))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 152 {
		t.Errorf("got %d packages, want 152", len(pkgs))
	}
	got := describe(pkgs)
	for _, want := range []string{
		"github.com/BurntSushi/toml v1.6.0 pkg:golang/github.com/burntsushi/toml@v1.6.0 go.mod:14",
		"www.velocidex.com/golang/regparser v0.0.0-20250203141505-31e704a67ef7 pkg:golang/www.velocidex.com/golang/regparser@v0.0.0-20250203141505-31e704a67ef7 go.mod:157",
		"github.com/docker/cli v28.2.2+incompatible pkg:golang/github.com/docker/cli@v28.2.2%2Bincompatible go.mod:39",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestModCataloger(t *testing.T) {
	tests := []struct {
		name    string
		gomod   string
		want    []string
		wantErr string // ParseError text; "" for none
	}{
		{
			name: "directives that are not packages",
			gomod: `module example.com/m

go 1.22.1

toolchain go1.23.4

godebug default=go1.21

require example.com/a v1.0.0

exclude example.com/a v0.9.0

retract v0.1.0

tool example.com/a/cmd/x
`,
			want: []string{"example.com/a v1.0.0 pkg:golang/example.com/a@v1.0.0 go.mod:9"},
		},
		{
			name: "version-specific replace beats whole-module replace",
			gomod: `module example.com/m

require (
	example.com/a v1.0.0
	example.com/b v1.1.0 // indirect
	example.com/c v1.2.0
)

replace example.com/a v1.0.0 => example.com/fork/a v1.0.1
replace example.com/a => example.com/other v9.0.0
replace example.com/b v1.0.0 => example.com/never v1.0.0
replace example.com/c => ../c
replace example.com/unrequired => example.com/x v1.0.0
`,
			want: []string{
				"example.com/b v1.1.0 pkg:golang/example.com/b@v1.1.0 go.mod:5",
				"example.com/fork/a v1.0.1 pkg:golang/example.com/fork/a@v1.0.1 go.mod:9",
			},
		},
		{
			name:  "no module line and no requirements",
			gomod: "go 1.21\n",
			want:  []string{},
		},
		{
			name:  "empty file",
			gomod: "",
			want:  []string{},
		},
		{
			name:    "bad version keeps the other requirements",
			gomod:   "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b master\n\texample.com/c v1.2.3\n)\n",
			want:    []string{"example.com/a v1.0.0 pkg:golang/example.com/a@v1.0.0 go.mod:4", "example.com/c v1.2.3 pkg:golang/example.com/c@v1.2.3 go.mod:6"},
			wantErr: `go.mod:5: require example.com/b: version "master" invalid: must be of the form v1.2.3`,
		},
		{
			name:    "unknown directive",
			gomod:   "module m\nfrobnicate x\nrequire example.com/a v1.0.0\n",
			want:    []string{"example.com/a v1.0.0 pkg:golang/example.com/a@v1.0.0 go.mod:3"},
			wantErr: `go.mod:2: unknown directive: frobnicate`,
		},
		{
			name:    "syntax error",
			gomod:   "module m\nrequire example.com/a v1.0.0\nrequire \"unterminated\nrequire example.com/b v1.0.0\n",
			want:    []string{"example.com/a v1.0.0 pkg:golang/example.com/a@v1.0.0 go.mod:2", "example.com/b v1.0.0 pkg:golang/example.com/b@v1.0.0 go.mod:4"},
			wantErr: `go.mod:3: unexpected newline in string`,
		},
		{
			name:    "several errors are counted",
			gomod:   "module m\nrequire example.com/a vX\nrequire example.com/b vY\n",
			want:    []string{},
			wantErr: `go.mod:2: require example.com/a: version "vX" invalid: must be of the form v1.2.3 (and 1 more errors)`,
		},
		{
			name:    "unclosed block gives the error and nothing else",
			gomod:   "module m\nrequire (\n\texample.com/a v1.0.0\n",
			want:    nil,
			wantErr: `go.mod:4: syntax error (unterminated block started at go.mod:2:1)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := ModCataloger{}.Catalog(context.Background(), walk.BytesFile("go.mod", []byte(tt.gomod)))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Catalog: %v", err)
				}
			} else {
				var pe *inventory.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error = %v (%T), want a *inventory.ParseError", err, err)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("error = %q\n want %q", err.Error(), tt.wantErr)
				}
			}
			got := describe(pkgs)
			if tt.want == nil {
				if len(pkgs) != 0 {
					t.Errorf("got %q, want nothing", got)
				}
				return
			}
			diffLines(t, got, tt.want)
		})
	}
}

func TestModCatalogerLimits(t *testing.T) {
	big := make([]byte, maxModSize+1)
	_, err := ModCataloger{}.Catalog(context.Background(), walk.BytesFile("x/go.mod", big))
	if err == nil || !strings.Contains(err.Error(), "x/go.mod") || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized go.mod: error = %v, want one naming the file and the limit", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (ModCataloger{}).Catalog(ctx, walk.BytesFile("go.mod", []byte("module m\n"))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error = %v", err)
	}
}

func TestModCatalogerWants(t *testing.T) {
	tests := []struct {
		path string
		info *fakeInfo
		want bool
	}{
		{"go.mod", regular(100, 0o644), true},
		{"src/app/go.mod", regular(100, 0o644), true},
		{"testdata/govuln/app/go.mod", regular(100, 0o644), true},
		{"go.sum", regular(100, 0o644), false},
		{"app/go.mod.bak", regular(100, 0o644), false},
		{"xgo.mod", regular(100, 0o644), false},
		{"go.mod", &fakeInfo{mode: os.ModeSymlink | 0o777}, false},
		{"go.mod", &fakeInfo{mode: os.ModeDir | 0o755}, false},
		{"root/go/pkg/mod/golang.org/x/net@v0.1.0/go.mod", regular(100, 0o644), false},
		{"go/pkg/mod/github.com/a/b@v1.0.0/sub/go.mod", regular(100, 0o644), false},
		{"srv/pkg/mod/go.mod", regular(100, 0o644), true},
	}
	for _, tt := range tests {
		if got := (ModCataloger{}).Wants(tt.path, tt.info); got != tt.want {
			t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.info.mode, got, tt.want)
		}
	}
}

// fakeInfo is an fs.FileInfo for Wants tests.
type fakeInfo struct {
	mode os.FileMode
	size int64
}

func regular(size int64, perm os.FileMode) *fakeInfo { return &fakeInfo{mode: perm, size: size} }

func (f *fakeInfo) Name() string       { return "f" }
func (f *fakeInfo) Size() int64        { return f.size }
func (f *fakeInfo) Mode() os.FileMode  { return f.mode }
func (f *fakeInfo) ModTime() time.Time { return time.Time{} }
func (f *fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f *fakeInfo) Sys() any           { return nil }

func FuzzGoMod(f *testing.F) {
	for _, name := range []string{"testdata/gomod/depsdev-resolve.mod", "testdata/gomod/otel.mod", "testdata/gomod/redline.mod", "../../../testdata/govuln/app/go.mod"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("module m\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b master\n)\nreplace example.com/a v1.0.0 => example.com/c v1.0.1\n"))
	f.Add([]byte("module m\nrequire \"unterminated\nrequire example.com/b v1.0.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := ModCataloger{}.Catalog(context.Background(), walk.BytesFile("go.mod", data))
		if err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "go.mod" || pe.Line < 0 {
				t.Fatalf("error %v (%T) is not a ParseError naming go.mod", err, err)
			}
		}
		for i, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Ecosystem != inventory.EcosystemGo {
				t.Fatalf("bad package %+v", p)
			}
			if p.PURL != "" && !strings.HasPrefix(p.PURL, "pkg:golang/") {
				t.Fatalf("bad purl %q", p.PURL)
			}
			if len(p.Locations) != 1 || p.Locations[0].Path != "go.mod" || p.Locations[0].Line < 1 {
				t.Fatalf("bad location %+v", p.Locations)
			}
			if i > 0 && pkgs[i-1].Key() > p.Key() {
				t.Fatalf("packages not sorted: %q before %q", pkgs[i-1].Key(), p.Key())
			}
		}
	})
}

func BenchmarkGoMod(b *testing.B) {
	data := readTestdata(b, "testdata/gomod/redline.mod")
	f := walk.BytesFile("go.mod", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (ModCataloger{}).Catalog(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}
