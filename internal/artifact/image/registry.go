package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// openRegistry resolves a tag or digest reference on a registry, with
// credentials from the default keychain (~/.docker/config.json, or
// $DOCKER_CONFIG/config.json, and its credential helpers). go-containerregistry
// verifies the digest and size of every manifest and blob it fetches.
func openRegistry(ctx context.Context, src Ref, opts Options) (v1.Image, error) {
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(src.Path, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("parse reference: %w", err)
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
	}
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		return selectImage(idx, "", opts)
	}
	return desc.Image()
}
