package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/redline-sec/redline/internal/artifact"
)

// walkLayer is a distinct layer to stream. A layer listed twice (the same
// diff ID) is read once and counts at its highest position.
type walkLayer struct {
	diffID    string
	createdBy string
	index     int
}

func (im *Image) walkLayers() []walkLayer {
	top := map[string]int{}
	for i, l := range im.meta.Layers {
		top[l.DiffID] = i
	}
	var out []walkLayer
	for i, l := range im.meta.Layers {
		if top[l.DiffID] == i {
			out = append(out, walkLayer{diffID: l.DiffID, createdBy: l.CreatedBy, index: i})
		}
	}
	return out
}

// Walk streams the layers, Options.Parallel at a time and base layer first,
// and calls fn for every regular file of every layer, including files a
// higher layer replaces or deletes (see Visible). fn is called from several
// goroutines at once. Each layer is read once; its diff ID is checked at
// its end, so a layer whose content differs from the image configuration
// fails the walk.
func (im *Image) Walk(ctx context.Context, fn func(artifact.Entry) error) error {
	layers := im.walkLayers()
	b := newBudget(im.opts)
	recs := make([][]record, len(layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(im.opts.Parallel)
	for i, l := range layers {
		g.Go(func() error {
			r, err := im.walkLayer(gctx, l, b, fn)
			recs[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	v := newVisibility(layers, recs)
	im.mu.Lock()
	im.vis = v
	im.mu.Unlock()
	return nil
}

func (im *Image) walkLayer(ctx context.Context, l walkLayer, b *budget, fn func(artifact.Entry) error) ([]record, error) {
	h, err := v1.NewHash(l.diffID)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.diffID, err)
	}
	layer, err := im.img.LayerByDiffID(h)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.diffID, err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("layer %s: open: %w", l.diffID, err)
	}
	defer rc.Close()
	sum := sha256.New()
	mr := &meteredReader{r: io.TeeReader(rc, sum), b: b}
	recs, err := readLayer(ctx, mr, layerInfo{diffID: l.diffID, createdBy: l.createdBy}, b, im.opts.Logger, fn)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.diffID, err)
	}
	// Read to the end: the tar's end marker may come before the end of the
	// stream, and a registry blob's digest is checked only at its end.
	if _, err := io.Copy(io.Discard, mr); err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.diffID, err)
	}
	if h.Algorithm == "sha256" {
		if got := hex.EncodeToString(sum.Sum(nil)); got != h.Hex {
			return nil, fmt.Errorf("layer %s: content has diff ID sha256:%s; the image configuration does not match its layer", l.diffID, got)
		}
	}
	return recs, nil
}
