package image

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var quiet = Options{Logger: slog.New(slog.DiscardHandler)}

var smallTree = [][]tent{
	{{name: "etc/os-release", body: "ID=one"}, {name: "bin/sh", body: "sh", mode: 0o755}},
	{{name: "etc/os-release", body: "ID=two"}},
}

const smallWant = "bin/sh L0 step 1 -rwxr-xr-x =sh\netc/os-release L0 step 1 -rw-r--r-- =ID=one\netc/os-release L1 step 2 -rw-r--r-- =ID=two"

func checkSmall(t *testing.T, ref string, opts Options, wantKind Kind) *Image {
	t.Helper()
	im, err := Open(context.Background(), ref, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", ref, err)
	}
	got, err := walkAll(t, im, true)
	if err != nil {
		t.Fatalf("walk %s: %v", ref, err)
	}
	if g := strings.Join(got, "\n"); g != smallWant {
		t.Errorf("walk %s:\n%s\nwant:\n%s", ref, g, smallWant)
	}
	if im.Metadata().Kind != wantKind {
		t.Errorf("kind %s, want %s", im.Metadata().Kind, wantKind)
	}
	if !im.Visible("etc/os-release", im.Metadata().Layers[1].DiffID) || im.Visible("etc/os-release", im.Metadata().Layers[0].DiffID) {
		t.Error("visibility of etc/os-release wrong")
	}
	return im
}

func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestRegistry(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := startRegistry(t, nil)
	img := buildImage(t, "amd64", smallTree...)
	ref := host + "/test/small:1"
	if err := remote.Write(mustRef(t, ref), img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	im := checkSmall(t, ref, quiet, KindRegistry)
	if tg := im.Target(); tg.Name != ref || tg.Digest != d.String() {
		t.Errorf("target %+v", tg)
	}
	checkSmall(t, "registry:"+host+"/test/small@"+d.String(), quiet, KindRegistry)
	if _, err := Open(context.Background(), host+"/test/small:missing", quiet); err == nil {
		t.Error("missing tag opened")
	}
}

func TestRegistryBasicAuth(t *testing.T) {
	host := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ref := host + "/private/small:1"
	img := buildImage(t, "amd64", smallTree...)
	if err := remote.Write(mustRef(t, ref), img, remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"})); err != nil {
		t.Fatal(err)
	}
	// No credentials: refused.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := Open(context.Background(), ref, quiet); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Fatalf("without credentials: %v", err)
	}
	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfgDir)
	checkSmall(t, ref, quiet, KindRegistry)
}

func TestMultiArch(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	amd := buildImage(t, "amd64", smallTree...)
	arm := buildImage(t, "arm64", smallTree...)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	host := startRegistry(t, nil)
	ref := host + "/multi:1"
	if err := remote.WriteIndex(mustRef(t, ref), idx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ref, dir} {
		for plat, want := range map[string]v1.Image{"linux/arm64": arm, "linux/arm64/v8": arm, "linux/amd64": amd} {
			o := quiet
			o.Platform = plat
			im, err := Open(context.Background(), r, o)
			if err != nil {
				t.Fatalf("%s %s: %v", r, plat, err)
			}
			d, _ := want.Digest()
			if im.Target().Digest != d.String() {
				t.Errorf("%s %s: picked %s, want %s", r, plat, im.Target().Digest, d)
			}
		}
		o := quiet
		o.Platform = "linux/s390x"
		_, err := Open(context.Background(), r, o)
		if err == nil || !strings.Contains(err.Error(), "no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8") {
			t.Errorf("%s: missing platform: %v", r, err)
		}
	}
}

func TestDockerArchive(t *testing.T) {
	img := buildImage(t, "amd64", smallTree...)
	other := buildImage(t, "arm64", smallTree[:1]...)
	dir := t.TempDir()
	one := filepath.Join(dir, "one.tar")
	if err := tarball.WriteToFile(one, mustTag(t, "example.com/small:1"), img); err != nil {
		t.Fatal(err)
	}
	im := checkSmall(t, one, quiet, KindDockerArchive)
	cd, _ := img.ConfigName()
	if im.Target().Digest != cd.String() || im.Metadata().ManifestDigest != "" {
		t.Errorf("target %+v", im.Target())
	}
	two := filepath.Join(dir, "two.tar")
	err := tarball.MultiRefWriteToFile(two, map[name.Reference]v1.Image{
		mustTag(t, "example.com/small:1"): img,
		mustTag(t, "example.com/other:2"): other,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), two, quiet)
	if err == nil || !strings.Contains(err.Error(), "holds 2 images") || !strings.Contains(err.Error(), "example.com/other:2, example.com/small:1") {
		t.Errorf("multi-image without tag: %v", err)
	}
	checkSmall(t, two+":example.com/small:1", quiet, KindDockerArchive)
	checkSmall(t, "docker-archive:"+two+":example.com/small:1", quiet, KindDockerArchive)
	if _, err := Open(context.Background(), two+":example.com/none:1", quiet); err == nil || !strings.Contains(err.Error(), "no image tagged") {
		t.Errorf("unknown tag: %v", err)
	}
}

// writeOCIArchive tars an OCI layout directory.
func writeOCIArchive(t *testing.T, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOCIDirAndArchive(t *testing.T) {
	img := buildImage(t, "amd64", smallTree...)
	dir := t.TempDir()
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v1"})); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	for _, ref := range []string{filepath.Join(dir, "layout"), "oci-dir:" + filepath.Join(dir, "layout") + ":v1"} {
		if im := checkSmall(t, ref, quiet, KindOCIDir); im.Target().Digest != d.String() {
			t.Errorf("%s: digest %s", ref, im.Target().Digest)
		}
	}
	arch := filepath.Join(dir, "img.oci.tar")
	writeOCIArchive(t, filepath.Join(dir, "layout"), arch)
	for _, ref := range []string{arch, "oci-archive:" + arch, arch + ":v1"} {
		if im := checkSmall(t, ref, quiet, KindOCIArchive); im.Target().Digest != d.String() {
			t.Errorf("%s: digest %s", ref, im.Target().Digest)
		}
	}
	if _, err := Open(context.Background(), arch+":v2", quiet); err == nil || !strings.Contains(err.Error(), `no image named "v2"`) {
		t.Errorf("unknown name: %v", err)
	}
}

func TestParseRef(t *testing.T) {
	dir := t.TempDir()
	lay := filepath.Join(dir, "layout")
	if _, err := layout.Write(lay, empty.Index); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	docker := filepath.Join(dir, "d.tar")
	if err := tarball.WriteToFile(docker, mustTag(t, "x/y:1"), buildImage(t, "amd64", smallTree[:1]...)); err != nil {
		t.Fatal(err)
	}
	oci := filepath.Join(dir, "o.tar")
	writeOCIArchive(t, lay, oci)
	junk := filepath.Join(dir, "junk.tar")
	if err := os.WriteFile(junk, []byte("not a tar at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		arg  string
		want Ref
		err  string
	}{
		{arg: "alpine:3.19", want: Ref{Kind: KindRegistry, Path: "alpine:3.19"}},
		{arg: "localhost:5000/a/b@sha256:" + strings.Repeat("a", 64), want: Ref{Kind: KindRegistry, Path: "localhost:5000/a/b@sha256:" + strings.Repeat("a", 64)}},
		{arg: "registry:" + docker, want: Ref{Kind: KindRegistry, Path: docker}},
		{arg: lay, want: Ref{Kind: KindOCIDir, Path: lay}},
		{arg: lay + ":latest", want: Ref{Kind: KindOCIDir, Path: lay, Name: "latest"}},
		{arg: docker, want: Ref{Kind: KindDockerArchive, Path: docker}},
		{arg: docker + ":x/y:1", want: Ref{Kind: KindDockerArchive, Path: docker, Name: "x/y:1"}},
		{arg: oci, want: Ref{Kind: KindOCIArchive, Path: oci}},
		{arg: "oci-archive:" + docker, want: Ref{Kind: KindOCIArchive, Path: docker}},
		{arg: "docker-archive:/no/such.tar", want: Ref{Kind: KindDockerArchive, Path: "/no/such.tar"}},
		{arg: "oci-dir:" + plain, want: Ref{Kind: KindOCIDir, Path: plain}},
		{arg: plain, err: "not an OCI image layout"},
		{arg: junk, err: "not a docker-archive or OCI archive"},
		{arg: "", err: "empty image reference"},
		{arg: "oci-dir:", err: "missing reference"},
	}
	for _, c := range cases {
		got, err := ParseRef(c.arg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRef(%q) err = %v, want %q", c.arg, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", c.arg, got, err, c.want)
		}
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	r, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
