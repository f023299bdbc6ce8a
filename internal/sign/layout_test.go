package sign

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// pushLayout pushes every manifest index.json of an OCI layout lists into
// repo, byte for byte, with its blobs. The tag comes from the
// org.opencontainers.image.ref.name annotation (crane pull) or from cosign
// save's "kind" annotation.
func pushLayout(t *testing.T, r *testRegistry, dir, repo string) {
	t.Helper()
	p, err := layout.FromPath(filepath.Join(fixtures, "layouts", dir))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var image string // kind=image digest, for the kind=sigs/atts tags
	for _, d := range im.Manifests {
		if d.Annotations["kind"] == "dev.cosignproject.cosign/image" {
			image = d.Digest.String()
		}
	}
	for _, d := range im.Manifests {
		raw, err := p.Bytes(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		var ref string
		switch kind, name := d.Annotations["kind"], d.Annotations["org.opencontainers.image.ref.name"]; {
		case kind == "dev.cosignproject.cosign/image":
			ref = "v1"
		case kind == "dev.cosignproject.cosign/sigs":
			ref = fallbackTag(image) + ".sig"
		case kind == "dev.cosignproject.cosign/atts":
			ref = fallbackTag(image) + ".att"
		case strings.Contains(name, "@"):
			ref = name[strings.LastIndex(name, "@")+1:]
		case name != "":
			ref = name[strings.LastIndex(name, ":")+1:]
		default:
			t.Fatalf("%s: no tag for %s", dir, d.Digest)
		}
		if !d.MediaType.IsIndex() {
			var m v1.Manifest
			mustJSON(t, raw, &m)
			for _, b := range append([]v1.Descriptor{m.Config}, m.Layers...) {
				blob, err := p.Bytes(b.Digest)
				if err != nil {
					t.Fatal(err)
				}
				r.pushBlob(repo, blob)
			}
		}
		r.putManifest(repo, ref, raw)
	}
}

// TestInteropFromLayouts verifies what cosign wrote, loaded from the
// fixtures' OCI layouts into an in-process registry.
func TestInteropFromLayouts(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, false)
	pushLayout(t, reg, "cosign-save-legacy", "legacy")
	pushLayout(t, reg, "crane-bundle", "bundle")
	cosign, other := verifierFixture(t, "cosign"), verifierFixture(t, "other")
	for _, tc := range []struct {
		ref, format string
	}{
		{reg.host + "/legacy:v1", "legacy"},
		{reg.host + "/bundle:v2-bundle", "bundle"},
	} {
		res, err := Verify(ctx, tc.ref, cosign, VerifyOptions{Annotations: map[string]string{"env": "test"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Signatures) != 1 || string(res.Signatures[0].Format) != tc.format {
			t.Fatalf("%s: %+v", tc.ref, res)
		}
		if _, err := Verify(ctx, tc.ref, other, VerifyOptions{}); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("%s other.pub: %v", tc.ref, err)
		}
		for _, typ := range []string{"cyclonedx", "vuln"} {
			pt, _ := PredicateType(typ)
			ar, err := VerifyAttestation(ctx, tc.ref, cosign, AttestationOptions{PredicateType: pt})
			if err != nil || len(ar.Attestations) != 1 {
				t.Fatalf("%s %s: %+v %v", tc.ref, typ, ar, err)
			}
			if _, err := VerifyAttestation(ctx, tc.ref, other, AttestationOptions{PredicateType: pt}); !errors.Is(err, ErrNotVerified) {
				t.Fatalf("%s %s other.pub: %v", tc.ref, typ, err)
			}
		}
	}
}
