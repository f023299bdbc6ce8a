// Package image is the artifact for a container image: a registry reference,
// a `docker save` tarball, an OCI image layout directory or an OCI archive.
//
// Layers are streamed straight from their source, never unpacked to disk;
// every regular file of every layer is handed to the walk together with the
// layer that added it and the history entry that created that layer, and
// Visible tells afterwards which of those files the squashed tree still has.
package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/finding"
)

// Default limits, used where an Options field is zero.
const (
	DefaultMaxFileSize  int64 = 512 << 20 // 512 MiB read into memory for one file
	DefaultMaxLayerSize int64 = 8 << 30   // 8 GiB uncompressed per layer
	DefaultMaxImageSize int64 = 10 << 30  // 10 GiB uncompressed per image
	DefaultMaxEntries         = 1_000_000 // tar entries per image, all layers together
	DefaultParallel           = 2         // layers streamed at once
)

// ErrLimit is wrapped by every error caused by an Options limit, so that a
// caller can tell a hostile or oversized image from a broken one.
var ErrLimit = errors.New("limit exceeded")

// Options say how to find and read an image. Zero values mean the defaults.
type Options struct {
	// Platform picks one image of a multi-platform index, as
	// "os/arch[/variant]". Empty means linux on the host's architecture;
	// when no image of the index matches that default and the index holds a
	// single image, that image is used. An explicit Platform never falls back.
	Platform string
	// Insecure allows plain HTTP and unverified TLS for the registry.
	// localhost, loopback and private addresses use HTTP without it.
	Insecure bool
	// MaxFileSize is the largest file Entry.Open reads into memory
	// (default DefaultMaxFileSize); a bigger file is refused, not read.
	MaxFileSize int64
	// MaxLayerSize bounds the uncompressed bytes of one layer
	// (default DefaultMaxLayerSize). A negative value means no limit.
	MaxLayerSize int64
	// MaxImageSize bounds the uncompressed bytes of all layers together
	// (default DefaultMaxImageSize). A negative value means no limit.
	MaxImageSize int64
	// MaxEntries bounds the tar entries of all layers together
	// (default DefaultMaxEntries). A negative value means no limit.
	MaxEntries int
	// Parallel is the number of layers streamed at once (default DefaultParallel).
	Parallel int
	// Logger receives warnings about skipped entries; nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxLayerSize == 0 {
		o.MaxLayerSize = DefaultMaxLayerSize
	}
	if o.MaxImageSize == 0 {
		o.MaxImageSize = DefaultMaxImageSize
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// DefaultPlatform is the platform picked from an index when Options.Platform
// is empty: linux on the host's architecture, because images are linux
// images even when the scan runs on a Mac or Windows laptop.
func DefaultPlatform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// Metadata describes an opened image for reports.
type Metadata struct {
	Kind Kind `json:"kind"`
	// Reference is the reference as the user gave it, without a kind prefix.
	Reference string `json:"reference"`
	// ManifestDigest is the digest of the image manifest; empty for a
	// docker-archive, which stores no manifest of its own.
	ManifestDigest string `json:"manifest_digest,omitempty"`
	// ConfigDigest is the digest of the image configuration (Docker's image ID).
	ConfigDigest string `json:"config_digest"`
	OS           string `json:"os,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	Variant      string `json:"variant,omitempty"`
	// Created is when the image was built, as its configuration says; zero
	// when it does not say.
	Created time.Time `json:"created,omitzero"`
	// Layers are the layers, base layer first.
	Layers []Layer `json:"layers"`
}

// Layer describes one layer of an image.
type Layer struct {
	// Digest is the digest of the layer blob as stored (usually compressed);
	// empty when the source does not record it cheaply (docker-archive).
	Digest string `json:"digest,omitempty"`
	// DiffID is the digest of the uncompressed layer tar. It identifies the
	// layer in Entry.Layer and Visible, because it is the same whether the
	// image came from a registry, a layout or `docker save`.
	DiffID string `json:"diff_id"`
	// Size is the stored size of the layer blob; 0 when unknown.
	Size int64 `json:"size,omitempty"`
	// CreatedBy is the history entry that created the layer.
	CreatedBy string `json:"created_by,omitempty"`
}

// Image is an opened container image. It implements artifact.Artifact and
// artifact.Layered.
type Image struct {
	name string
	img  v1.Image
	meta Metadata
	opts Options

	mu  sync.Mutex
	vis *visibility // set by a completed Walk
}

var (
	_ artifact.Artifact = (*Image)(nil)
	_ artifact.Layered  = (*Image)(nil)
)

// Open finds the image ref names and reads its manifest and configuration;
// layers are read only by Walk. ref is a registry reference, a path, or
// either with a "registry:", "docker-archive:", "oci-dir:" or "oci-archive:"
// prefix (see ParseRef for how a kind is chosen).
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	opts = opts.withDefaults()
	src, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	var (
		img            v1.Image
		blobs          map[v1.Hash]string
		manifestDigest string
	)
	switch src.Kind {
	case KindRegistry:
		img, err = openRegistry(ctx, src, opts)
	case KindDockerArchive:
		img, blobs, err = openDockerArchive(src)
	case KindOCIDir:
		img, err = openOCIDir(src, opts)
	case KindOCIArchive:
		img, err = openOCIArchive(src, opts)
	default:
		err = fmt.Errorf("unknown image source kind %q", src.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("open image %s: %w", ref, err)
	}
	if src.Kind != KindDockerArchive {
		d, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("open image %s: manifest digest: %w", ref, err)
		}
		manifestDigest = d.String()
	}
	meta, err := readMetadata(img, src, manifestDigest, blobs)
	if err != nil {
		return nil, fmt.Errorf("open image %s: %w", ref, err)
	}
	if opts.Platform != "" {
		want, _ := v1.ParsePlatform(opts.Platform)
		if want != nil && (want.OS != meta.OS || want.Architecture != meta.Architecture) {
			opts.Logger.Warn("image platform differs from the one asked for",
				"image", ref, "platform", meta.OS+"/"+meta.Architecture, "asked", opts.Platform)
		}
	}
	return &Image{name: src.Path, img: img, meta: meta, opts: opts}, nil
}

// Target describes the image: its reference as given and its manifest
// digest (the configuration digest for a docker-archive).
func (im *Image) Target() finding.Target {
	d := im.meta.ManifestDigest
	if d == "" {
		d = im.meta.ConfigDigest
	}
	return finding.Target{Kind: "image", Name: im.name, Digest: d}
}

// Metadata returns the image's platform, digests and layers.
func (im *Image) Metadata() Metadata {
	m := im.meta
	m.Layers = append([]Layer(nil), im.meta.Layers...)
	return m
}

// Visible reports whether the file at path, as added by the layer with the
// given diff ID, is part of the squashed tree: no higher layer replaced or
// deleted it or one of its directories. Before a Walk has completed it
// reports true for every file.
func (im *Image) Visible(path, layer string) bool {
	im.mu.Lock()
	v := im.vis
	im.mu.Unlock()
	if v == nil {
		return true
	}
	return v.visible(path, layer)
}

// readMetadata reads the configuration and maps history entries to layers.
// blobs maps diff IDs to blob digests where the source knows them without
// hashing (docker-archive).
func readMetadata(img v1.Image, src Ref, manifestDigest string, blobs map[v1.Hash]string) (Metadata, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return Metadata{}, fmt.Errorf("read config: %w", err)
	}
	cfgDigest, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return Metadata{}, fmt.Errorf("hash config: %w", err)
	}
	if src.Kind != KindDockerArchive {
		m, err := img.Manifest()
		if err != nil {
			return Metadata{}, fmt.Errorf("read manifest: %w", err)
		}
		if m.Config.Digest != cfgDigest {
			return Metadata{}, fmt.Errorf("config digest is %s, manifest says %s", cfgDigest, m.Config.Digest)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return Metadata{}, fmt.Errorf("parse config: %w", err)
	}
	meta := Metadata{
		Kind:           src.Kind,
		Reference:      src.Path,
		ManifestDigest: manifestDigest,
		ConfigDigest:   cfgDigest.String(),
		OS:             cfg.OS,
		Architecture:   cfg.Architecture,
		Variant:        cfg.Variant,
		Created:        cfg.Created.Time.UTC(),
	}
	history := layerHistory(cfg.History)
	for i, diffID := range cfg.RootFS.DiffIDs {
		l := Layer{DiffID: diffID.String()}
		if i < len(history) {
			l.CreatedBy = history[i]
		}
		if src.Kind == KindDockerArchive {
			l.Digest = blobs[diffID]
		} else {
			layer, err := img.LayerByDiffID(diffID)
			if err != nil {
				return Metadata{}, fmt.Errorf("layer %s: %w", diffID, err)
			}
			d, err := layer.Digest()
			if err != nil {
				return Metadata{}, fmt.Errorf("layer %s: digest: %w", diffID, err)
			}
			l.Digest = d.String()
			if l.Size, err = layer.Size(); err != nil {
				return Metadata{}, fmt.Errorf("layer %s: size: %w", diffID, err)
			}
		}
		meta.Layers = append(meta.Layers, l)
	}
	return meta, nil
}

// layerHistory returns the created_by of the history entries that made a
// layer, base layer first. Entries marked empty_layer made none. When the
// history is shorter than the layer list, the later layers have none.
func layerHistory(h []v1.History) []string {
	var out []string
	for _, e := range h {
		if e.EmptyLayer {
			continue
		}
		out = append(out, e.CreatedBy)
	}
	return out
}
