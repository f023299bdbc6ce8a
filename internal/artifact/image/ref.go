package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Kind is where an image comes from.
type Kind string

// The image source kinds, also the prefixes that force them.
const (
	KindRegistry      Kind = "registry"
	KindDockerArchive Kind = "docker-archive"
	KindOCIDir        Kind = "oci-dir"
	KindOCIArchive    Kind = "oci-archive"
)

// maxProbeEntries bounds the tar headers read to tell a docker-archive from
// an OCI archive.
const maxProbeEntries = 100_000

// Ref is a parsed image argument.
type Ref struct {
	Kind Kind
	// Path is the registry reference, or the file or directory path.
	Path string
	// Name picks one image of an archive or layout holding several: a
	// repository tag of a docker-archive ("alpine:3.19"), or the
	// org.opencontainers.image.ref.name annotation of an OCI index. Empty
	// when not given.
	Name string
}

// ParseRef tells what kind of image source arg names. An explicit
// "registry:", "docker-archive:", "oci-dir:" or "oci-archive:" prefix wins.
// Otherwise an existing directory is an OCI layout, an existing file is a
// docker-archive when its tar holds manifest.json and an OCI archive when it
// holds index.json and oci-layout, and anything else is a registry
// reference. A file or layout path may end in ":NAME" to pick one image of
// several (as in skopeo); the suffix is only split off when the whole
// argument does not exist.
func ParseRef(arg string) (Ref, error) {
	if arg == "" {
		return Ref{}, errors.New("empty image reference")
	}
	for _, k := range []Kind{KindRegistry, KindDockerArchive, KindOCIDir, KindOCIArchive} {
		rest, ok := strings.CutPrefix(arg, string(k)+":")
		if !ok {
			continue
		}
		if rest == "" {
			return Ref{}, fmt.Errorf("%s: missing reference after the prefix", arg)
		}
		if k == KindRegistry {
			return Ref{Kind: k, Path: rest}, nil
		}
		p, name := splitName(rest)
		return Ref{Kind: k, Path: p, Name: name}, nil
	}
	p, name := splitName(arg)
	fi, err := os.Stat(p)
	if err != nil {
		return Ref{Kind: KindRegistry, Path: arg}, nil
	}
	if fi.IsDir() {
		if !isLayoutDir(p) {
			return Ref{}, fmt.Errorf("%s is a directory but not an OCI image layout (no index.json or oci-layout)", p)
		}
		return Ref{Kind: KindOCIDir, Path: p, Name: name}, nil
	}
	k, err := probeArchive(p)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Kind: k, Path: p, Name: name}, nil
}

// splitName splits "path:name" when path exists and the whole does not.
func splitName(s string) (string, string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	p, name, ok := strings.Cut(s, ":")
	if !ok || p == "" || name == "" {
		return s, ""
	}
	if _, err := os.Stat(p); err != nil {
		return s, ""
	}
	return p, name
}

func isLayoutDir(p string) bool {
	for _, f := range []string{"index.json", "oci-layout"} {
		if fi, err := os.Stat(filepath.Join(p, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// probeArchive reads the tar headers of the file at p (seeking past the
// contents) to tell a docker-archive from an OCI archive.
func probeArchive(p string) (Kind, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var index, layout bool
	for n := 0; ; n++ {
		if n >= maxProbeEntries {
			return "", fmt.Errorf("%s: more than %d tar entries before a manifest: %w", p, maxProbeEntries, ErrLimit)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: not a docker-archive or OCI archive: read tar: %w", p, err)
		}
		switch memberName(hdr.Name) {
		case "manifest.json":
			return KindDockerArchive, nil
		case "index.json":
			index = true
		case "oci-layout":
			layout = true
		}
	}
	if index && layout {
		return KindOCIArchive, nil
	}
	return "", fmt.Errorf("%s: a tar without manifest.json (docker-archive) or index.json and oci-layout (OCI archive)", p)
}

// memberName cleans an archive member name: no leading "./" or "/".
func memberName(n string) string {
	n = strings.TrimLeft(n, "/")
	for strings.HasPrefix(n, "./") {
		n = strings.TrimLeft(n[2:], "/")
	}
	return n
}
