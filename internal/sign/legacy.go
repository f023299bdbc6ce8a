package sign

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and annotations of cosign's legacy tag scheme.
const (
	// SimpleSigningMediaType is the layer media type of a legacy signature.
	SimpleSigningMediaType types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is the layer media type of a legacy attestation.
	DSSEMediaType types.MediaType = "application/vnd.dsse.envelope.v1+json"
	// SignatureAnnotation holds the base64 signature of a legacy layer
	// (empty for attestations, whose signature is in the envelope).
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PredicateTypeAnnotation is the predicate type of a legacy
	// attestation layer.
	PredicateTypeAnnotation = "predicateType"
)

// legacyManifest returns the manifest and config cosign writes for layers:
// an OCI manifest over a dummy image config whose diff_ids are the layer
// digests, one empty history entry per layer. The bytes are the same as
// cosign's for the same layers.
func legacyManifest(layers []v1.Descriptor) (manifest, config []byte, err error) {
	cf := v1.ConfigFile{RootFS: v1.RootFS{Type: "layers"}}
	for _, l := range layers {
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, l.Digest)
		cf.History = append(cf.History, v1.History{})
	}
	config, err = json.Marshal(cf)
	if err != nil {
		return nil, nil, fmt.Errorf("encode signature config: %w", err)
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        descriptorOf(config, types.OCIConfigJSON),
		Layers:        layers,
	}
	manifest, err = json.Marshal(m)
	if err != nil {
		return nil, nil, fmt.Errorf("encode signature manifest: %w", err)
	}
	return manifest, config, nil
}

// parseLegacyManifest decodes a .sig/.att manifest and enforces the layer
// limit.
func parseLegacyManifest(raw []byte) (*v1.Manifest, error) {
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode signature manifest: %w", err)
	}
	if len(m.Layers) > MaxSignatureLayers {
		return nil, fmt.Errorf("signature manifest has %d layers, more than the limit %d: %w", len(m.Layers), MaxSignatureLayers, ErrLimit)
	}
	return &m, nil
}
