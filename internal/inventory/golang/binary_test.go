package golang

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// sampleInfo is the build information of a binary with a tagged main
// module and every kind of dependency: plain, replaced by another version,
// replaced by a fork, and replaced by a local directory.
func sampleInfo(goos, goarch string) *debug.BuildInfo {
	bi := &debug.BuildInfo{
		Path: "example.com/app/cmd/app",
		Main: debug.Module{Path: "example.com/app", Version: "v1.2.3", Sum: "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		Deps: []*debug.Module{
			{Path: "example.com/forked", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1-fix"}},
			{Path: "example.com/local", Version: "v1.0.0", Replace: &debug.Module{Path: "../local"}},
			{Path: "github.com/BurntSushi/toml", Version: "v1.6.0", Sum: "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
			{Path: "golang.org/x/text", Version: "v0.3.8", Replace: &debug.Module{Path: "golang.org/x/text", Version: "v0.3.5"}},
		},
		Settings: []debug.BuildSetting{{Key: "-compiler", Value: "gc"}, {Key: "CGO_ENABLED", Value: "0"}},
	}
	if goarch != "" {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "GOARCH", Value: goarch})
	}
	if goos != "" {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "GOOS", Value: goos})
	}
	return bi
}

// samplePackages is what the go-binary cataloger reports for sampleInfo.
func samplePackages(path, platform string) []string {
	return []string{
		"example.com/app v1.2.3 pkg:golang/example.com/app@v1.2.3 " + path + platform,
		"example.com/fork v1.0.1-fix pkg:golang/example.com/fork@v1.0.1-fix " + path + platform,
		"github.com/BurntSushi/toml v1.6.0 pkg:golang/github.com/burntsushi/toml@v1.6.0 " + path + platform,
		"golang.org/x/text v0.3.5 pkg:golang/golang.org/x/text@v0.3.5 " + path + platform,
		"stdlib 1.21.3 pkg:golang/stdlib@v1.21.3 " + path + platform,
	}
}

func catalogBinary(t testing.TB, path string, data []byte) ([]inventory.Package, error) {
	t.Helper()
	return BinaryCataloger{}.Catalog(context.Background(), walk.BytesFile(path, data))
}

func TestBinaryCatalogerFormats(t *testing.T) {
	tests := []struct {
		name, path string
		exe        func(blob []byte) []byte
		goos       string
		goarch     string
	}{
		{"ELF", "usr/bin/app", func(b []byte) []byte { return elfExe(b, true) }, "linux", "amd64"},
		{"ELF without sections", "usr/bin/app", func(b []byte) []byte { return elfExe(b, false) }, "linux", "arm64"},
		{"Mach-O", "Applications/app", machoExe, "darwin", "arm64"},
		{"universal Mach-O", "Applications/app", func(b []byte) []byte { return fatExe(machoExe(b)) }, "darwin", "arm64"},
		{"PE", "Program Files/app.exe", peExe, "windows", "amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.exe(buildInfoBlob("go1.21.3", sampleInfo(tt.goos, tt.goarch)))
			pkgs, err := catalogBinary(t, tt.path, data)
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			diffLines(t, describe(pkgs), samplePackages(tt.path, " "+tt.goos+"/"+tt.goarch))
		})
	}
}

func TestBinaryCatalogerBuildInfo(t *testing.T) {
	devel := sampleInfo("linux", "amd64")
	devel.Main.Version = "(devel)"
	noVersion := sampleInfo("linux", "amd64")
	noVersion.Main.Version = ""
	noPlatform := sampleInfo("", "")
	onlyStd := &debug.BuildInfo{Path: "command-line-arguments"}

	tests := []struct {
		name      string
		goVersion string
		info      *debug.BuildInfo
		want      []string
	}{
		{"tagged main module", "go1.21.3", sampleInfo("linux", "amd64"), samplePackages("bin", " linux/amd64")},
		{"(devel) main module is left out", "go1.21.3", devel, samplePackages("bin", " linux/amd64")[1:]},
		{"main module without version is left out", "go1.21.3", noVersion, samplePackages("bin", " linux/amd64")[1:]},
		{"no GOOS and GOARCH settings", "go1.21.3", noPlatform, samplePackages("bin", "")},
		{"GOEXPERIMENT suffix", "go1.22.1 X:boringcrypto", onlyStd, []string{"stdlib 1.22.1 pkg:golang/stdlib@v1.22.1 bin"}},
		{"vendor suffix", "go1.21.3-bigcorp", onlyStd, []string{"stdlib 1.21.3 pkg:golang/stdlib@v1.21.3 bin"}},
		{"release candidate", "go1.21rc2", onlyStd, []string{"stdlib 1.21.0-rc.2 pkg:golang/stdlib@v1.21.0-rc.2 bin"}},
		{"development toolchain has no stdlib", "devel go1.23-8c5e8a3 Mon Jan 1 00:00:00 2024 +0000", onlyStd, []string{}},
		{"built without modules", "go1.20.4", nil, []string{"stdlib 1.20.4 pkg:golang/stdlib@v1.20.4 bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalogBinary(t, "bin", elfExe(buildInfoBlob(tt.goVersion, tt.info), true))
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			diffLines(t, describe(pkgs), tt.want)
		})
	}
}

func TestBinaryCatalogerNotGo(t *testing.T) {
	zeros := make([]byte, 4096)
	// A Mach-O header claiming 12 million load commands in 152 bytes.
	tooManyCmds := machoExe(buildInfoBlob("go1.21.3", sampleInfo("darwin", "arm64")))
	copy(tooManyCmds[16:], "\x01\x00\xba\x00")
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"shell script", []byte("#!/bin/sh\necho hello\n")},
		{"two bytes of ELF magic", []byte("\x7fE")},
		{"truncated ELF header", []byte("\x7fELF\x02\x01\x01\x00\x00")},
		{"Java class file (same magic as universal Mach-O)", append([]byte("\xca\xfe\xba\xbe\x00\x00\x00\x34"), zeros...)},
		{"ELF without Go build info", elfExe(zeros, false)},
		{"Mach-O without Go build info", bytes.Replace(machoExe(zeros), []byte("__go_buildinfo"), []byte("__data\x00\x00\x00\x00\x00\x00\x00\x00"), 1)},
		{"PE without Go build info", peExe(zeros)},
		{"Mach-O with more load commands than bytes", tooManyCmds},
		{"MZ only", []byte("MZ this is not a PE file")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalogBinary(t, "bin", tt.data)
			if err != nil || len(pkgs) != 0 {
				t.Errorf("Catalog = %q, %v; want nothing and no error", describe(pkgs), err)
			}
		})
	}
}

func TestBinaryCatalogerCorrupt(t *testing.T) {
	good := buildInfoBlob("go1.21.3", sampleInfo("linux", "amd64"))
	badModInfo := rawBuildInfoBlob("go1.21.3", "path\texample.com/app\nmod\texample.com/app\n")
	truncated := good[:40] // header and the start of the version string

	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"Go section without build info", elfExe(make([]byte, 256), true), "bin: read Go build info: not a Go executable"},
		{"strings cut short", elfExe(truncated, true), "bin: read Go build info: not a Go executable"},
		{"unparsable module info", elfExe(badModInfo, true), "bin: read Go build info: could not parse Go build info: line 2: expected 2 or 3 columns; got 1"},
		{"Mach-O section without build info", machoExe(make([]byte, 256)), "bin: read Go build info: not a Go executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := catalogBinary(t, "bin", tt.data)
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "bin" {
				t.Fatalf("error = %v (%T), want a *inventory.ParseError for bin", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want prefix %q", err, tt.wantErr)
			}
			if len(pkgs) != 0 {
				t.Errorf("got packages %q", describe(pkgs))
			}
		})
	}
}

func TestBinaryCatalogerCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := elfExe(buildInfoBlob("go1.21.3", sampleInfo("linux", "amd64")), true)
	if _, err := (BinaryCataloger{}).Catalog(ctx, walk.BytesFile("bin", data)); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestBinaryCatalogerWants(t *testing.T) {
	const big = 2 << 20
	tests := []struct {
		path string
		info *fakeInfo
		want bool
	}{
		{"usr/bin/app", regular(big, 0o755), true},
		{"usr/bin/app", regular(big, 0o700), true},
		{"usr/bin/app", regular(big, 0o001), true},
		{"usr/bin/app", regular(big, 0o644), false},
		{"app/server.exe", regular(big, 0o644), true},
		{"app/SERVER.EXE", regular(big, 0o644), true},
		{"usr/bin/script", regular(4<<10, 0o755), false},
		{"usr/bin/app", regular(minBinarySize, 0o755), true},
		{"usr/bin/app", regular(minBinarySize-1, 0o755), false},
		{"usr/bin/huge", regular(maxBinarySize+1, 0o755), false},
		{"usr/bin/link", &fakeInfo{mode: os.ModeSymlink | 0o777, size: big}, false},
		{"usr/bin", &fakeInfo{mode: os.ModeDir | 0o755, size: big}, false},
		{"dev/null", &fakeInfo{mode: os.ModeDevice | os.ModeCharDevice | 0o666, size: big}, false},
	}
	for _, tt := range tests {
		if got := (BinaryCataloger{}).Wants(tt.path, tt.info); got != tt.want {
			t.Errorf("Wants(%q, mode %v size %d) = %v, want %v", tt.path, tt.info.mode, tt.info.size, got, tt.want)
		}
	}
	if (BinaryCataloger{}).Wants("x", nil) {
		t.Error("Wants with nil info = true")
	}
}

func TestStdlibVersion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"go1.21.3", "1.21.3", true},
		{"go1.26.8", "1.26.8", true},
		{"go1.21", "1.21.0", true},
		{"go1.20", "1.20.0", true},
		{"go1", "1.0.0", true},
		{"go1.21rc2", "1.21.0-rc.2", true},
		{"go1.19beta1", "1.19.0-beta.1", true},
		{"go1.20-pre3", "1.20.0-pre.3", true},
		{"go1.22.1 X:boringcrypto", "1.22.1", true},
		{"go1.21.3-bigcorp", "1.21.3", true},
		{"go1.21.3+build1", "1.21.3", true},
		{"devel go1.23-8c5e8a3 Mon Jan 1 00:00:00 2024 +0000", "", false},
		{"", "", false},
		{"1.21.3", "", false},
		{"go", "", false},
		{"go1..3", "", false},
		{"go1.2.3.4", "", false},
		{"go1.21rc", "", false},
		{"go1.21x", "", false},
	}
	for _, tt := range tests {
		got, ok := stdlibVersion(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("stdlibVersion(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPURL(t *testing.T) {
	tests := []struct{ path, version, want string }{
		{"github.com/gin-gonic/gin", "v1.4.0", "pkg:golang/github.com/gin-gonic/gin@v1.4.0"},
		{"github.com/BurntSushi/toml", "v1.6.0", "pkg:golang/github.com/burntsushi/toml@v1.6.0"},
		{"gopkg.in/yaml.v2", "v2.2.2", "pkg:golang/gopkg.in/yaml.v2@v2.2.2"},
		{"github.com/docker/docker", "v28.0.0+incompatible", "pkg:golang/github.com/docker/docker@v28.0.0%2Bincompatible"},
		{"stdlib", "v1.21.3", "pkg:golang/stdlib@v1.21.3"},
		{"example.com", "v1.0.0", "pkg:golang/example.com@v1.0.0"},
		{"example.com/", "v1.0.0", ""},
	}
	for _, tt := range tests {
		if got := purl(tt.path, tt.version); got != tt.want {
			t.Errorf("purl(%q, %q) = %q, want %q", tt.path, tt.version, got, tt.want)
		}
	}
}

func TestCatalogers(t *testing.T) {
	var names []string
	for _, c := range Catalogers() {
		names = append(names, c.Name())
	}
	if got := strings.Join(names, ","); got != "go-binary,go-mod" {
		t.Errorf("Catalogers() = %s", got)
	}
}

func FuzzGoBinary(f *testing.F) {
	blob := buildInfoBlob("go1.21.3", sampleInfo("linux", "amd64"))
	f.Add(elfExe(blob, true))
	f.Add(elfExe(blob, false))
	f.Add(machoExe(blob))
	f.Add(fatExe(machoExe(blob)))
	f.Add(peExe(blob))
	f.Add(elfExe(buildInfoBlob("go1.20", nil), true))
	f.Add([]byte("\x7fELF"))
	f.Add([]byte("MZ"))
	f.Add([]byte("\xca\xfe\xba\xbe\x00\x00\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := BinaryCataloger{}.Catalog(context.Background(), walk.BytesFile("bin", data))
		if err != nil {
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.Path != "bin" {
				t.Fatalf("error %v (%T) is not a ParseError naming bin", err, err)
			}
			if len(pkgs) != 0 {
				t.Fatalf("packages with an error: %q", describe(pkgs))
			}
		}
		for i, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Version == devel || p.Ecosystem != inventory.EcosystemGo {
				t.Fatalf("bad package %+v", p)
			}
			if p.PURL != "" && !strings.HasPrefix(p.PURL, "pkg:golang/") {
				t.Fatalf("bad purl %q", p.PURL)
			}
			if p.Name == Stdlib {
				if _, ok := stdlibVersion("go" + p.Version); !ok {
					t.Fatalf("stdlib version %q does not parse back", p.Version)
				}
			}
			if len(p.Locations) != 1 || p.Locations[0].Path != "bin" {
				t.Fatalf("bad locations %+v", p.Locations)
			}
			if i > 0 && pkgs[i-1].Key() > p.Key() {
				t.Fatalf("packages not sorted: %q before %q", pkgs[i-1].Key(), p.Key())
			}
		}
	})
}

// BenchmarkGoBinary reads a binary with 300 dependencies.
func BenchmarkGoBinary(b *testing.B) {
	bi := sampleInfo("linux", "amd64")
	for i := range 300 {
		bi.Deps = append(bi.Deps, &debug.Module{Path: fmt.Sprintf("example.com/dep%03d", i), Version: "v1.0.0", Sum: "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
	}
	data := elfExe(buildInfoBlob("go1.21.3", bi), true)
	f := walk.BytesFile("bin", data)
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := (BinaryCataloger{}).Catalog(context.Background(), f)
		if err != nil || len(pkgs) != 305 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}

// BenchmarkGoBinaryNotGo measures the cost of an executable that is not a
// Go program (8 MiB of a data segment without build info).
func BenchmarkGoBinaryNotGo(b *testing.B) {
	f := walk.BytesFile("bin", elfExe(make([]byte, 8<<20), false))
	b.ReportAllocs()
	for b.Loop() {
		if pkgs, err := (BinaryCataloger{}).Catalog(context.Background(), f); err != nil || pkgs != nil {
			b.Fatal(pkgs, err)
		}
	}
}

// BenchmarkGoBinaryNotExecutable measures the magic-number check alone.
func BenchmarkGoBinaryNotExecutable(b *testing.B) {
	f := walk.BytesFile("script", bytes.Repeat([]byte("#!/bin/sh\n"), 1<<16))
	b.ReportAllocs()
	for b.Loop() {
		if pkgs, err := (BinaryCataloger{}).Catalog(context.Background(), f); err != nil || pkgs != nil {
			b.Fatal(pkgs, err)
		}
	}
}
