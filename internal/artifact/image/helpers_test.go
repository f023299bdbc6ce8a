package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/redline-sec/redline/internal/artifact"
)

// tent is one entry of a test layer.
type tent struct {
	name string
	typ  byte // tar.TypeReg when zero
	body string
	link string
	mode int64
}

func tarBytes(t testing.TB, ents []tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatalf("tar body %s: %v", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerOf(t testing.TB, ents []tent) v1.Layer {
	t.Helper()
	b := tarBytes(t, ents)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// buildImage stacks the layers, each with a history entry "step N", plus an
// empty-layer history entry first, on linux/arch.
func buildImage(t testing.TB, arch string, layers ...[]tent) v1.Image {
	t.Helper()
	img, err := mutate.Append(empty.Image, mutate.Addendum{History: v1.History{CreatedBy: "ENV A=1", EmptyLayer: true}})
	if err != nil {
		t.Fatal(err)
	}
	for i, ents := range layers {
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   layerOf(t, ents),
			History: v1.History{CreatedBy: "step " + string(rune('1'+i))},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	if arch == "arm64" {
		cfg.Variant = "v8"
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// seen is a walk result: "path layerIndex createdBy size body" lines, sorted.
type seen struct {
	mu    sync.Mutex
	lines []string
}

func walkAll(t testing.TB, im *Image, open bool) ([]string, error) {
	t.Helper()
	idx := map[string]int{}
	for i, l := range im.Metadata().Layers {
		idx[l.DiffID] = i
	}
	var s seen
	err := im.Walk(context.Background(), func(e artifact.Entry) error {
		line := e.Path + " L" + string(rune('0'+idx[e.Layer])) + " " + e.CreatedBy + " " + e.Info.Mode().String()
		if open {
			c, err := e.Open()
			if err != nil {
				line += " open: " + err.Error()
			} else {
				b := make([]byte, c.Size())
				if _, err := c.ReadAt(b, 0); err != nil && err != io.EOF {
					t.Errorf("read %s: %v", e.Path, err)
				}
				c.Close()
				line += " =" + string(b)
			}
		}
		s.mu.Lock()
		s.lines = append(s.lines, line)
		s.mu.Unlock()
		return nil
	})
	sort.Strings(s.lines)
	return s.lines, err
}

func imageFrom(t testing.TB, img v1.Image, opts Options) *Image {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	im, err := Open(context.Background(), writeLayout(t, img, t.TempDir()), opts)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// writeLayout writes img as the only image of a new OCI layout under dir.
func writeLayout(t testing.TB, img v1.Image, dir string) string {
	t.Helper()
	p := dir + "/layout"
	lp, err := layout.Write(p, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return p
}

// appendRaw adds a layer made of the raw (uncompressed) bytes b.
func appendRaw(t testing.TB, img v1.Image, b []byte) v1.Image {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "raw"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}
