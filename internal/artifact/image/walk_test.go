package image

import (
	"archive/tar"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

var layersTree = [][]tent{
	{ // L0
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/os-release", body: "ID=test1"},
		{name: "etc/passwd", body: "root"},
		{name: "usr/bin/app", body: "ELF", mode: 0o755},
		{name: "usr/bin/app2", typ: tar.TypeLink, link: "usr/bin/app"},
		{name: "usr/bin/gone", typ: tar.TypeLink, link: "usr/bin/missing"},
		{name: "opt/old/a", body: "a"},
		{name: "opt/keep/x", body: "x"},
		{name: "var/dir/f", body: "f"},
		{name: "loop1", typ: tar.TypeSymlink, link: "loop2"},
		{name: "loop2", typ: tar.TypeSymlink, link: "loop1"},
		{name: "srv/out", typ: tar.TypeSymlink, link: "../../../etc/shadow"},
		{name: "srv/w/in", body: "w"},
	},
	{ // L1
		{name: "etc/.wh.passwd"},
		{name: "opt/old/.wh..wh..opq"},
		{name: "opt/old/b", body: "b"},
		{name: "etc/os-release", body: "ID=test2"},
		{name: "var/dir", body: "now a file"},
		{name: "../escape", body: "no"},
		{name: "/abs/file", body: "abs"},
		{name: "./dot/file", body: "dot"},
		{name: "a/../../evil", body: "no"},
		{name: "/../evil2", body: "no"},
		{name: ".wh..wh.plnk/123", body: "aufs"},
		{name: "srv/.wh.w"},
	},
	{ // L2
		{name: "opt/keep/x", typ: tar.TypeDir},
		{name: "srv/w/new", body: "n"},
	},
}

func TestWalkAndVisible(t *testing.T) {
	im := imageFrom(t, buildImage(t, "amd64", layersTree...), Options{})
	got, err := walkAll(t, im, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"abs/file L1 step 2 -rw-r--r-- =abs",
		"dot/file L1 step 2 -rw-r--r-- =dot",
		"etc/os-release L0 step 1 -rw-r--r-- =ID=test1",
		"etc/os-release L1 step 2 -rw-r--r-- =ID=test2",
		"etc/passwd L0 step 1 -rw-r--r-- =root",
		"opt/keep/x L0 step 1 -rw-r--r-- =x",
		"opt/old/a L0 step 1 -rw-r--r-- =a",
		"opt/old/b L1 step 2 -rw-r--r-- =b",
		"srv/w/in L0 step 1 -rw-r--r-- =w",
		"srv/w/new L2 step 3 -rw-r--r-- =n",
		"usr/bin/app L0 step 1 -rwxr-xr-x =ELF",
		"var/dir L1 step 2 -rw-r--r-- =now a file",
		"var/dir/f L0 step 1 -rw-r--r-- =f",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("walk:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ls := im.Metadata().Layers
	vis := []struct {
		path  string
		layer int
		want  bool
	}{
		{"etc/os-release", 0, false},
		{"etc/os-release", 1, true},
		{"etc/passwd", 0, false},
		{"opt/old/a", 0, false},
		{"opt/old/b", 1, true},
		{"opt/keep/x", 0, false}, // replaced by a directory
		{"var/dir/f", 0, false},  // its directory replaced by a file
		{"var/dir", 1, true},
		{"usr/bin/app", 0, true},
		{"srv/w/in", 0, false}, // directory whited out
		{"srv/w/new", 2, true}, // recreated above the whiteout
		{"abs/file", 1, true},
		{"etc/os-release", 2, false}, // not added by that layer, but nothing above it
	}
	for _, c := range vis {
		if c.path == "etc/os-release" && c.layer == 2 {
			// A layer that never had the path: Visible only answers for
			// files a layer added, so any answer is acceptable; it must not panic.
			im.Visible(c.path, ls[c.layer].DiffID)
			continue
		}
		if got := im.Visible(c.path, ls[c.layer].DiffID); got != c.want {
			t.Errorf("Visible(%s, L%d) = %v, want %v", c.path, c.layer, got, c.want)
		}
	}
	if im.Visible("usr/bin/app", "sha256:nope") {
		t.Error("Visible with an unknown layer is true")
	}
}

func TestMetadata(t *testing.T) {
	img := buildImage(t, "amd64", layersTree...)
	im := imageFrom(t, img, Options{})
	m := im.Metadata()
	d, _ := img.Digest()
	if m.ManifestDigest != d.String() || im.Target().Digest != d.String() || im.Target().Kind != "image" {
		t.Errorf("digest %s target %+v, want %s", m.ManifestDigest, im.Target(), d)
	}
	if m.OS != "linux" || m.Architecture != "amd64" || m.Kind != KindOCIDir {
		t.Errorf("meta %+v", m)
	}
	if len(m.Layers) != 3 {
		t.Fatalf("%d layers", len(m.Layers))
	}
	for i, l := range m.Layers {
		want := "step " + string(rune('1'+i))
		if l.CreatedBy != want || l.Size == 0 || !strings.HasPrefix(l.Digest, "sha256:") || !strings.HasPrefix(l.DiffID, "sha256:") {
			t.Errorf("layer %d: %+v", i, l)
		}
	}
}

func TestLayerHistoryShort(t *testing.T) {
	img := buildImage(t, "amd64", layersTree...)
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.History = cfg.History[:2] // the empty entry and "step 1"
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := imageFrom(t, img, Options{}).Metadata()
	var got []string
	for _, l := range m.Layers {
		got = append(got, l.CreatedBy)
	}
	if strings.Join(got, "|") != "step 1||" {
		t.Errorf("created_by %q", got)
	}
}

func TestDuplicateLayer(t *testing.T) {
	ents := []tent{{name: "f", body: "1"}}
	img := buildImage(t, "amd64", ents, []tent{{name: ".wh.f"}}, ents)
	im := imageFrom(t, img, Options{})
	got, err := walkAll(t, im, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "\n") != "f L2 step 3 -rw-r--r--" {
		t.Errorf("walk %q", got)
	}
	if !im.Visible("f", im.Metadata().Layers[0].DiffID) {
		t.Error("f of the repeated layer is hidden")
	}
}

func TestLimits(t *testing.T) {
	big := strings.Repeat("x", 4096)
	img := buildImage(t, "amd64",
		[]tent{{name: "a", body: big}, {name: "b", body: "small"}},
		[]tent{{name: "c", body: big}, {name: "d", body: big}},
	)
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"file", Options{MaxFileSize: 100}, ""},
		{"layer", Options{MaxLayerSize: 6000}, "MaxLayerSize"},
		{"image", Options{MaxImageSize: 14000, Parallel: 1}, "MaxImageSize"},
		{"entries", Options{MaxEntries: 3}, "MaxEntries"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := imageFrom(t, img, c.opts)
			got, err := walkAll(t, im, true)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(strings.Join(got, "\n"), "a L0 step 1 -rw-r--r-- open: a is 4096 bytes, more than the 100-byte limit (MaxFileSize)") {
					t.Errorf("walk %q", got)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %s", err, c.want)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"a/b": "a/b", "/a/b": "a/b", "./a//b/": "a/b", "a/./b/../c": "a/c", "/": "", ".": "",
		"..": "!", "../a": "!", "/../a": "!", "a/../../b": "!", "a/..": "",
	} {
		p, ok := cleanPath(in)
		if !ok {
			p = "!"
		}
		if p != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, p, want)
		}
	}
}
