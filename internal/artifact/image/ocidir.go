package image

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// openOCIDir opens an OCI image layout directory. go-containerregistry
// does not verify layout blobs; selectImage checks the manifest digest,
// readMetadata the config digest and Walk every layer's diff ID.
func openOCIDir(src Ref, opts Options) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(src.Path)
	if err != nil {
		return nil, err
	}
	return selectImage(idx, src.Name, opts)
}
