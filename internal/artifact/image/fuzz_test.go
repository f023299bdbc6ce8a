package image

import (
	"archive/tar"
	"bytes"
	"context"
	"log/slog"
	"path"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
)

// FuzzReadLayer feeds arbitrary bytes as an uncompressed layer tar.
func FuzzReadLayer(f *testing.F) {
	for _, l := range layersTree {
		f.Add(tarBytes(f, l))
	}
	f.Add(tarBytes(f, []tent{{name: "a/../../x", body: "1"}, {name: "d/.wh..wh..opq"}, {name: "l", typ: tar.TypeLink, link: "nowhere"}}))
	f.Add([]byte("not a tar"))
	const maxFile = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newBudget(Options{MaxFileSize: maxFile, MaxLayerSize: 1 << 22, MaxEntries: 10_000}.withDefaults())
		recs, err := readLayer(context.Background(), bytes.NewReader(data), layerInfo{diffID: "sha256:x"}, b, slog.New(slog.DiscardHandler), func(e artifact.Entry) error {
			checkPath(t, e.Path)
			c, err := e.Open()
			if err != nil {
				return nil
			}
			defer c.Close()
			if c.Size() > maxFile || c.Size() != e.Info.Size() {
				t.Fatalf("%s: content of %d bytes, header %d", e.Path, c.Size(), e.Info.Size())
			}
			return nil
		})
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.kind != kindOpaque || r.path != "" {
				checkPath(t, r.path)
			}
		}
	})
}

func checkPath(t *testing.T, p string) {
	t.Helper()
	if p == "" || p == "." || strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || path.Clean(p) != p {
		t.Fatalf("bad path %q", p)
	}
}
