package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
)

func TestTruncatedLayer(t *testing.T) {
	b := tarBytes(t, []tent{{name: "a", body: "aaaa"}, {name: "big", body: strings.Repeat("b", 4096)}})
	b = b[:len(b)-3000]
	err := readLayerBytes(t, b, 0)
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("truncated tar: %v", err)
	}
	img := buildImage(t, "amd64", []tent{{name: "ok", body: "1"}})
	img = appendRaw(t, img, b) // a layer whose bytes end in the middle of a file
	im := imageFrom(t, img, quiet)
	_, err = walkAll(t, im, false)
	diffID := im.Metadata().Layers[1].DiffID
	if err == nil || !strings.Contains(err.Error(), "layer "+diffID) || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("walk of truncated layer: %v", err)
	}
}

func TestTamperedLayout(t *testing.T) {
	img := buildImage(t, "amd64", smallTree...)
	dir := t.TempDir()
	lp := writeLayout(t, img, dir)
	m, _ := img.Manifest()
	// A layer blob replaced by another valid gzip tar: the diff ID check fails.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarBytes(t, []tent{{name: "etc/os-release", body: "ID=evil"}}))
	zw.Close()
	blob := filepath.Join(lp, "blobs", "sha256", m.Layers[1].Digest.Hex)
	if err := os.WriteFile(blob, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := Open(context.Background(), lp, quiet)
	if err != nil {
		t.Fatal(err)
	}
	_, err = walkAll(t, im, false)
	if err == nil || !strings.Contains(err.Error(), "the image configuration does not match its layer") {
		t.Errorf("tampered layer: %v", err)
	}
	// A config that does not hash to its digest.
	cfg := filepath.Join(lp, "blobs", "sha256", m.Config.Digest.Hex)
	raw, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, bytes.Replace(raw, []byte("amd64"), []byte("arm64"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), lp, quiet); err == nil || !strings.Contains(err.Error(), "config digest is") {
		t.Errorf("tampered config: %v", err)
	}
	// A manifest that does not hash to the digest the index gives.
	d, _ := img.Digest()
	man := filepath.Join(lp, "blobs", "sha256", d.Hex)
	raw, _ = os.ReadFile(man)
	if err := os.WriteFile(man, append(raw, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), lp, quiet); err == nil || !strings.Contains(err.Error(), "has digest") {
		t.Errorf("tampered manifest: %v", err)
	}
}

func TestSparseHugeFile(t *testing.T) {
	// A PAX 1.0 GNU sparse file: 10 GiB logically, one byte of data.
	// archive/tar cannot write one, so patch a regular entry's header into
	// a PAX extended header carrying the GNU.sparse records.
	var recs string
	for _, kv := range [][2]string{{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.name", "huge"}, {"GNU.sparse.realsize", "10737418240"}} {
		rec := " " + kv[0] + "=" + kv[1] + "\n"
		n := len(rec) + 2
		recs += strconv.Itoa(n) + rec
	}
	sparseMap := "1\n10737418239\n1\n"
	body := sparseMap + strings.Repeat("\x00", 512-len(sparseMap)) + "x"
	b := tarBytes(t, []tent{
		{name: "pax", body: recs},
		{name: "GNUSparseFile.0/huge", body: body},
		{name: "after", body: "ok"},
	})
	b[156] = 'x'
	copy(b[148:156], "        ")
	var sum int
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	var got []string
	_, err := readLayer(context.Background(), bytes.NewReader(b), layerInfo{diffID: "sha256:x"}, newBudget(Options{MaxFileSize: 1 << 20}.withDefaults()), slog.New(slog.DiscardHandler), func(e artifact.Entry) error {
		c, err := e.Open()
		if err != nil {
			if !errors.Is(err, ErrLimit) {
				t.Errorf("open %s: %v", e.Path, err)
			}
			got = append(got, e.Path+" refused")
			return nil
		}
		defer c.Close()
		got = append(got, e.Path+" read")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "huge refused,after read" {
		t.Errorf("got %q", got)
	}
}

func TestGzipBomb(t *testing.T) {
	// 64 MiB of zeros compresses to ~64 KiB; the layer limit stops it early.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	tw := tarBytes(t, []tent{{name: "zeros", body: strings.Repeat("\x00", 64<<20)}})
	zw.Write(tw)
	zw.Close()
	zr, err := gzip.NewReader(bytes.NewReader(gz.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	b := newBudget(Options{MaxLayerSize: 1 << 20}.withDefaults())
	mr := &meteredReader{r: zr, b: b}
	_, err = readLayer(context.Background(), mr, layerInfo{diffID: "sha256:x"}, b, slog.New(slog.DiscardHandler), func(artifact.Entry) error { return nil })
	if err == nil || !errors.Is(err, ErrLimit) || mr.n > 2<<20 {
		t.Errorf("err %v after %d bytes", err, mr.n)
	}
}

func TestOpenAfterCallback(t *testing.T) {
	b := tarBytes(t, []tent{{name: "a", body: "1"}})
	var open func() (artifact.Content, error)
	_, err := readLayer(context.Background(), bytes.NewReader(b), layerInfo{}, newBudget(Options{}.withDefaults()), slog.New(slog.DiscardHandler), func(e artifact.Entry) error {
		open = e.Open
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(); err == nil {
		t.Error("Open after the callback returned succeeded")
	}
}

func readLayerBytes(t *testing.T, b []byte, maxFile int64) error {
	t.Helper()
	_, err := readLayer(context.Background(), bytes.NewReader(b), layerInfo{diffID: "sha256:x"}, newBudget(Options{MaxFileSize: maxFile}.withDefaults()), slog.New(slog.DiscardHandler), func(e artifact.Entry) error {
		c, err := e.Open()
		if err == nil {
			c.Close()
		}
		return nil
	})
	return err
}
