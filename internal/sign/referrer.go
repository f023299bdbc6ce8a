package sign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations and constants of cosign's bundle referrers.
const (
	// SignPredicateType is the predicate type of the statement a
	// bundle-format image signature signs.
	SignPredicateType = "https://sigstore.dev/cosign/sign/v1"

	bundleContentAnnotation       = "dev.sigstore.bundle.content"
	bundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType"
	createdAnnotation             = "org.opencontainers.image.created"

	emptyMediaType types.MediaType = "application/vnd.oci.empty.v1+json"
)

// emptyConfig is the OCI empty JSON blob.
var emptyConfig = []byte("{}")

// referrerManifest returns the OCI 1.1 manifest cosign writes for a bundle:
// empty config (with artifactType), one bundle layer, the content and
// predicate-type annotations, the creation time (seconds, UTC) and subject.
func referrerManifest(bundle []byte, predicateType string, created time.Time, subject v1.Descriptor) ([]byte, error) {
	cfg := descriptorOf(emptyConfig, emptyMediaType)
	cfg.ArtifactType = BundleMediaType
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        cfg,
		Layers:        []v1.Descriptor{descriptorOf(bundle, BundleMediaType)},
		Annotations: map[string]string{
			bundleContentAnnotation:       "dsse-envelope",
			bundlePredicateTypeAnnotation: predicateType,
			createdAnnotation:             created.UTC().Truncate(time.Second).Format(time.RFC3339),
		},
		Subject:      &v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest},
		ArtifactType: BundleMediaType,
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode referrer manifest: %w", err)
	}
	return b, nil
}

// referrer is a bundle found for an image.
type referrer struct {
	manifest v1.Hash
	// predicateType is the manifest's annotation: a hint for filtering
	// only; the signed statement decides.
	predicateType string
	bundle        []byte
	// err is set when the bundle was over its size limit.
	err error
}

// bundleReferrers lists the bundles attached to d through the referrers
// API or the fallback tag. Manifests whose subject is not d, or that are
// not bundles, are skipped; more than MaxReferrers candidates is an error.
// limit says, from a manifest's predicate-type annotation ("" when
// absent), how large a bundle to read; 0 skips the manifest.
func (c *client) bundleReferrers(ctx context.Context, d name.Digest, limit func(predicateType string) int64) ([]referrer, error) {
	idx, err := remote.Referrers(d, c.opts...)
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", d, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", d, err)
	}
	if len(im.Manifests) > MaxReferrers {
		return nil, fmt.Errorf("%s has %d referrers, more than the limit %d: %w", d, len(im.Manifests), MaxReferrers, ErrLimit)
	}
	var out []referrer
	for _, desc := range im.Manifests {
		// Registries differ in the artifactType they report (some give the
		// config media type), so only obvious non-bundles are skipped here;
		// the manifest itself decides.
		if desc.ArtifactType != "" && desc.ArtifactType != BundleMediaType && desc.ArtifactType != string(emptyMediaType) {
			continue
		}
		raw, _, err := c.manifest(ctx, d.Context().Digest(desc.Digest.String()))
		if err != nil {
			return nil, err
		}
		if raw == nil {
			continue
		}
		var m v1.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("decode referrer %s: %w", desc.Digest, err)
		}
		if m.Subject == nil || m.Subject.Digest.String() != d.DigestStr() {
			continue
		}
		if len(m.Layers) != 1 || !strings.HasPrefix(string(m.Layers[0].MediaType), "application/vnd.dev.sigstore.bundle") {
			continue
		}
		pt := m.Annotations[bundlePredicateTypeAnnotation]
		max := limit(pt)
		if max == 0 {
			continue
		}
		b, err := c.blob(ctx, d.Context(), m.Layers[0], max)
		if err != nil && !errors.Is(err, ErrLimit) {
			return nil, fmt.Errorf("referrer %s: %w", desc.Digest, err)
		}
		out = append(out, referrer{manifest: desc.Digest, predicateType: pt, bundle: b, err: err})
	}
	return out, nil
}
