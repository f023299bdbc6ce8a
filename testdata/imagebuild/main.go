// Command imagebuild packs directories into a container image, one layer per
// directory (the first is the base), and writes it as a `docker save`
// tarball or an OCI layout. It is how the benchmark and test images are made
// from real root filesystems (a debootstrap) without a Docker engine.
//
// Usage:
//
//	go run ./testdata/imagebuild -o debian.tar -tag bench/debian:12 /tmp/rootfs [/tmp/extra-layer …]
//	go run ./testdata/imagebuild -format oci -o debian-oci /tmp/rootfs
//
// It lives under testdata so that ./... does not build it.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	out := flag.String("o", "", "output: a tarball file (docker) or a directory (oci)")
	tag := flag.String("tag", "redline.test/image:latest", "image reference recorded in the docker tarball")
	format := flag.String("format", "docker", "docker (a `docker save` tarball) or oci (an OCI layout directory)")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: imagebuild -o OUT [-tag REF] [-format docker|oci] DIR [DIR …]")
		os.Exit(2)
	}
	if err := run(*out, *tag, *format, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(out, tag, format string, dirs []string) error {
	epoch := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	img := empty.Image
	var adds []mutate.Addendum
	for _, dir := range dirs {
		data, err := tarDir(dir, epoch)
		if err != nil {
			return err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		})
		if err != nil {
			return fmt.Errorf("layer of %s: %w", dir, err)
		}
		adds = append(adds, mutate.Addendum{
			Layer:   layer,
			History: v1.History{CreatedBy: "COPY " + filepath.Base(dir) + " / # imagebuild", Created: v1.Time{Time: epoch}},
		})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: epoch}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	switch format {
	case "docker":
		ref, err := name.NewTag(tag)
		if err != nil {
			return err
		}
		return tarball.WriteToFile(out, ref, img)
	case "oci":
		p, err := layout.Write(out, empty.Index)
		if err != nil {
			return err
		}
		return p.AppendImage(img)
	}
	return fmt.Errorf("unknown format %q", format)
}

// tarDir writes dir as an uncompressed layer: regular files, directories and
// symbolic links (not followed), with fixed times so the digest is stable.
func tarDir(dir string, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !info.Mode().IsRegular() && !info.IsDir() {
			return nil // devices, sockets, pipes
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = mtime, time.Time{}, time.Time{}
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tar %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
