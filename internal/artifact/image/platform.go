package image

import (
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexDepth bounds nested indexes (an index of indexes of images).
const maxIndexDepth = 4

// refNameAnnotations name an image inside an OCI index.
var refNameAnnotations = []string{"org.opencontainers.image.ref.name", "io.containerd.image.name"}

// candidate is one image manifest found in an index.
type candidate struct {
	idx  v1.ImageIndex
	desc v1.Descriptor
}

// selectImage picks the image of idx for the platform in opts and, when
// name is set, with that ref-name annotation. It checks that the manifest
// it reads has the digest the index gives.
func selectImage(idx v1.ImageIndex, name string, opts Options) (v1.Image, error) {
	var cands []candidate
	if err := collect(idx, name, 0, &cands); err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		if name != "" {
			return nil, fmt.Errorf("no image named %q in the index", name)
		}
		return nil, fmt.Errorf("the index holds no image")
	}
	want := DefaultPlatform()
	if opts.Platform != "" {
		p, err := v1.ParsePlatform(opts.Platform)
		if err != nil {
			return nil, fmt.Errorf("bad platform %q: %w", opts.Platform, err)
		}
		want = *p
	}
	var pick *candidate
	for i, c := range cands {
		if c.desc.Platform != nil && c.desc.Platform.Satisfies(want) {
			pick = &cands[i]
			break
		}
	}
	if pick == nil && opts.Platform == "" && len(cands) == 1 {
		pick = &cands[0]
	}
	if pick == nil {
		return nil, fmt.Errorf("no image for platform %s; available: %s", want.String(), platformList(cands))
	}
	img, err := pick.idx.Image(pick.desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", pick.desc.Digest, err)
	}
	got, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", pick.desc.Digest, err)
	}
	if got != pick.desc.Digest {
		return nil, fmt.Errorf("manifest %s has digest %s", pick.desc.Digest, got)
	}
	return img, nil
}

// collect gathers the image manifests of idx and its nested indexes,
// leaving out attestation manifests and, when name is set, images of
// another name.
func collect(idx v1.ImageIndex, name string, depth int, out *[]candidate) error {
	if depth >= maxIndexDepth {
		return fmt.Errorf("indexes nested deeper than %d: %w", maxIndexDepth, ErrLimit)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("read index: %w", err)
	}
	for _, d := range im.Manifests {
		if name != "" && depth == 0 && !hasRefName(d, name) {
			continue
		}
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return fmt.Errorf("index %s: %w", d.Digest, err)
			}
			if err := collect(child, "", depth+1, out); err != nil {
				return err
			}
		case d.MediaType.IsImage():
			if isAttestation(d) {
				continue
			}
			*out = append(*out, candidate{idx: idx, desc: d})
		}
	}
	return nil
}

func hasRefName(d v1.Descriptor, name string) bool {
	for _, a := range refNameAnnotations {
		if v, ok := d.Annotations[a]; ok && (v == name || strings.HasSuffix(v, ":"+name) || strings.HasSuffix(v, "/"+name)) {
			return true
		}
	}
	return false
}

// isAttestation reports a buildkit attestation manifest, which an index
// lists as platform unknown/unknown.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

func platformList(cands []candidate) string {
	var ps []string
	for _, c := range cands {
		if c.desc.Platform == nil {
			ps = append(ps, "(unspecified) "+c.desc.Digest.String())
			continue
		}
		ps = append(ps, c.desc.Platform.String())
	}
	sort.Strings(ps)
	return strings.Join(ps, ", ")
}
