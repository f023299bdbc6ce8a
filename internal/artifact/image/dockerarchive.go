package image

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// blobPath matches a layer stored by digest in a docker-archive (Docker 25
// and later write an OCI layout inside the tarball).
var blobPath = regexp.MustCompile(`^blobs/sha256/([0-9a-f]{64})$`)

// openDockerArchive opens a `docker save` tarball. A tarball of several
// images needs src.Name, one of their repository tags. It returns, besides
// the image, the blob digests of the layers the archive names by digest.
func openDockerArchive(src Ref) (v1.Image, map[v1.Hash]string, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(src.Path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest.json: %w", err)
	}
	var (
		tag  *name.Tag
		desc *tarball.Descriptor
	)
	switch {
	case src.Name != "":
		t, err := name.NewTag(src.Name)
		if err != nil {
			return nil, nil, fmt.Errorf("bad tag %q: %w", src.Name, err)
		}
		tag = &t
		for i := range m {
			for _, rt := range m[i].RepoTags {
				if t2, err := name.NewTag(rt); err == nil && t2.Name() == t.Name() {
					desc = &m[i]
				}
			}
		}
		if desc == nil {
			return nil, nil, fmt.Errorf("no image tagged %s; the archive holds: %s", src.Name, archiveTags(m))
		}
	case len(m) == 1:
		desc = &m[0]
	case len(m) == 0:
		return nil, nil, fmt.Errorf("manifest.json lists no image")
	default:
		return nil, nil, fmt.Errorf("the archive holds %d images; pick one with %s:%s:TAG, one of: %s",
			len(m), KindDockerArchive, src.Path, archiveTags(m))
	}
	img, err := tarball.Image(opener, tag)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	blobs := map[v1.Hash]string{}
	for i, l := range desc.Layers {
		if i >= len(cfg.RootFS.DiffIDs) {
			break
		}
		if g := blobPath.FindStringSubmatch(memberName(l)); g != nil {
			blobs[cfg.RootFS.DiffIDs[i]] = "sha256:" + g[1]
		}
	}
	return img, blobs, nil
}

func archiveTags(m tarball.Manifest) string {
	var tags []string
	for i, d := range m {
		if len(d.RepoTags) == 0 {
			tags = append(tags, fmt.Sprintf("(untagged image %d)", i+1))
		}
		tags = append(tags, d.RepoTags...)
	}
	sort.Strings(tags)
	return strings.Join(tags, ", ")
}
