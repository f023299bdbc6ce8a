package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/artifact/dir"
	"github.com/redline-sec/redline/internal/artifact/image"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/sbom"
	"github.com/redline-sec/redline/internal/scan"
	"github.com/redline-sec/redline/internal/walk"
)

// SBOM formats.
const (
	formatCycloneDX = "cyclonedx-json"
	formatSPDX      = "spdx-json"
)

func newSBOMCmd(g *globals) *cobra.Command {
	var (
		format, output string
		imf            imageFlags
	)
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "Write a software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON)",
		Long: `Write the inventory of a directory or a container image as an SBOM.

TARGET is a directory, or an image in any form 'redline scan image' takes.
Every package carries its PURL, licenses where its metadata states them, and
where it was found (path, line, and for images the layer and the history
entry that created it) as properties. No vulnerability database is needed.

The output is reproducible: the same target gives the same bytes. The one
timestamp the formats require is SOURCE_DATE_EPOCH when set, else the image's
creation time, else the newest modification time of the files packages were
found in.`,
		Example: `  redline sbom . > sbom.cdx.json
  redline sbom docker-archive:app.tar --format spdx-json -o app.spdx.json
  redline sbom ghcr.io/org/app:1.2 | redline scan sbom -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatCycloneDX && format != formatSPDX {
				return usageErr(fmt.Errorf("unknown format %q (want %s or %s)", format, formatCycloneDX, formatSPDX))
			}
			a, created, err := g.openTarget(cmd.Context(), args[0], &imf)
			if err != nil {
				return err
			}
			inv, err := scan.Catalog(cmd.Context(), a, scan.Options{Logger: g.log, Scanners: scan.Scanners{NoMisconfig: true, NoSecret: true}})
			if err != nil {
				return err
			}
			if t, set, err := sbom.SourceDateEpoch(os.Getenv); err != nil {
				return usageErr(err)
			} else if set {
				created = t
			}
			if created.IsZero() {
				created = newestPackageFile(args[0], inv)
			}
			doc := &sbom.Document{
				Tool:     sbom.Tool{Name: "redline", Version: readBuildInfo().Version},
				Target:   inv.Target,
				Packages: inv.Packages,
				Created:  created,
			}
			if inv.Distro != nil {
				doc.OS = &sbom.OS{Name: inv.Distro.ID, Version: inv.Distro.VersionID}
			}
			write := sbom.WriteCycloneDX
			if format == formatSPDX {
				write = sbom.WriteSPDX
			}
			return writeOutput(output, g.stdout, func(w io.Writer) error { return write(w, doc) })
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", formatCycloneDX, "SBOM format: "+formatCycloneDX+" or "+formatSPDX)
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the SBOM to this file instead of standard output")
	imf.register(cmd)
	return cmd
}

// openTarget opens a directory or an image. For an image it also returns
// the image's creation time.
func (g *globals) openTarget(ctx context.Context, target string, imf *imageFlags) (artifact.Artifact, time.Time, error) {
	if fi, err := os.Stat(target); err == nil && fi.IsDir() && !isOCILayout(target) {
		a, err := dir.Open(target, dir.Options{})
		if err != nil {
			return nil, time.Time{}, usageErr(err)
		}
		return a, time.Time{}, nil
	}
	opts, err := imf.options(g)
	if err != nil {
		return nil, time.Time{}, usageErr(err)
	}
	img, err := image.Open(ctx, target, opts)
	if err != nil {
		return nil, time.Time{}, err
	}
	return img, img.Metadata().Created, nil
}

func isOCILayout(path string) bool {
	_, err := os.Stat(filepath.Join(path, "oci-layout"))
	return err == nil
}

// newestPackageFile is the latest modification time of the files in root
// that packages were found in: a time that changes only when they do.
func newestPackageFile(root string, inv *scan.Inventory) time.Time {
	var newest time.Time
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		for _, l := range p.Locations {
			if seen[l.Path] {
				continue
			}
			seen[l.Path] = true
			if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(l.Path))); err == nil && fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
		}
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0)
	}
	return newest.UTC().Truncate(time.Second)
}

func newScanSBOMCmd(g *globals) *cobra.Command {
	var sf scanFlags
	cmd := &cobra.Command{
		Use:   "sbom FILE",
		Short: "Match an existing CycloneDX or SPDX JSON SBOM against the vulnerability database",
		Long: `Read a CycloneDX (1.2-1.6) or SPDX (2.2-2.3) JSON SBOM, as written by
Redline, syft or trivy, and match its packages (by PURL) against the
vulnerability database, with the same gate and reports as the other scans.
FILE '-' reads standard input.`,
		Example: `  redline scan sbom app.cdx.json --fail-on high
  redline sbom docker-archive:app.tar | redline scan sbom -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = g.stdin
			name := args[0]
			if name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return usageErr(fmt.Errorf("open SBOM: %w", err))
				}
				defer f.Close()
				r = f
			} else {
				name = "stdin"
			}
			if err := sf.check(); err != nil {
				return err
			}
			gate, err := sf.gate("")
			if err != nil {
				return usageErr(err)
			}
			pkgs, err := sbom.Read(cmd.Context(), r, name)
			inv := &scan.Inventory{Target: finding.Target{Kind: "sbom", Name: name}, Packages: pkgs}
			if err != nil {
				if len(pkgs) == 0 {
					return fmt.Errorf("read SBOM %s: %w", name, err)
				}
				g.log.Warn(err.Error())
				inv.Warnings = append(inv.Warnings, walk.Warning{Path: name, Analyzer: sbom.CatalogerName, Message: err.Error()})
			}
			return g.assess(cmd.Context(), inv, gate, &sf)
		},
	}
	sf.register(cmd)
	return cmd
}

// writeOutput writes with write to the named file, atomically (a new file
// renamed into place) when it is a regular file or missing, or to stdout.
func writeOutput(output string, stdout io.Writer, write func(io.Writer) error) error {
	if output == "" {
		return write(stdout)
	}
	if fi, err := os.Lstat(output); err == nil && !fi.Mode().IsRegular() {
		// A device (-o /dev/null), a named pipe or a symbolic link is written
		// through, never replaced: renaming over /dev/null as root would
		// turn it into a regular file.
		f, err := os.OpenFile(output, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", output, err)
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", output, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), ".redline-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("write %s: %w", output, err)
	}
	return nil
}
