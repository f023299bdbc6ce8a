package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/artifact/image"
)

// imageFlags are the flags of every command that opens an image.
type imageFlags struct {
	platform                    string
	insecure                    bool
	maxFile, maxLayer, maxImage string
	maxEntries                  int
	parallel                    int
}

func (f *imageFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.platform, "platform", "", "os/arch[/variant] to pick from a multi-platform image (default: linux on this machine's architecture)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and unverified TLS to the registry (localhost and loopback use HTTP anyway)")
	fl.StringVar(&f.maxFile, "max-file-size", "512MiB", "largest file read from a layer; bigger files are skipped with a warning")
	fl.StringVar(&f.maxLayer, "max-layer-size", "8GiB", "largest uncompressed layer; a bigger one fails the scan (0: no limit)")
	fl.StringVar(&f.maxImage, "max-image-size", "10GiB", "largest uncompressed image; a bigger one fails the scan (0: no limit)")
	fl.IntVar(&f.maxEntries, "max-entries", image.DefaultMaxEntries, "most tar entries in all layers together (0: no limit)")
	fl.IntVar(&f.parallel, "parallel-layers", image.DefaultParallel, "layers decompressed at once")
}

// options turns the flags into image.Options.
func (f *imageFlags) options(g *globals) (image.Options, error) {
	o := image.Options{Platform: f.platform, Insecure: f.insecure, Parallel: f.parallel, Logger: g.log}
	var err error
	if o.MaxFileSize, err = parseSize("--max-file-size", f.maxFile); err != nil {
		return o, err
	}
	if o.MaxFileSize == 0 {
		return o, errors.New("--max-file-size must be more than 0")
	}
	if o.MaxLayerSize, err = parseSize("--max-layer-size", f.maxLayer); err != nil {
		return o, err
	}
	if o.MaxImageSize, err = parseSize("--max-image-size", f.maxImage); err != nil {
		return o, err
	}
	o.MaxEntries = f.maxEntries
	// The flags say 0 for "no limit"; image.Options says so with a negative value.
	if o.MaxLayerSize == 0 {
		o.MaxLayerSize = -1
	}
	if o.MaxImageSize == 0 {
		o.MaxImageSize = -1
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = -1
	}
	return o, nil
}

// parseSize reads a byte count such as 4096, 512MiB, 10GiB or 2GB.
func parseSize(flag, s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return 0, fmt.Errorf("%s %q: want a size such as 4096, 512MiB or 10GiB", flag, s)
	}
	return n * mult, nil
}

func newScanImageCmd(g *globals) *cobra.Command {
	var (
		sf  scanFlags
		imf imageFlags
		psf pipelineSignFlags
	)
	cmd := &cobra.Command{
		Use:   "image IMAGE",
		Short: "Scan a container image: OS packages, language packages and binaries in every layer",
		Long: `Scan a container image without a Docker engine and without unpacking it to disk.
Layers are streamed (several at once), whiteouts and opaque directories are
applied, and every package is reported with the layer that added it and the
history entry (the Dockerfile line) that created that layer.

IMAGE is one of (the kind is detected; a prefix forces it):
  registry:REF        a registry reference by tag or digest, e.g. ghcr.io/org/app:1.2
                      (credentials from ~/.docker/config.json and credential helpers)
  docker-archive:FILE a 'docker save' tarball (FILE:TAG picks one of several images)
  oci-dir:DIR         an OCI image layout directory (DIR:NAME picks by ref name)
  oci-archive:FILE    a tar of an OCI image layout

Limits guard against hostile images; a file over --max-file-size is skipped
with a warning, a layer or image over its limit fails the scan.

With --sign and/or --attest (registry images only, --key required), an image
that passes the gate is signed by the digest that was scanned, and gets a
vulnerability attestation (this scan's JSON report) and a CycloneDX SBOM
attestation, in cosign's formats; a blocked image gets neither.`,
		Example: `  redline scan image alpine:3.19
  redline scan image docker-archive:app.tar --fail-on critical
  redline scan image localhost:5000/app:dev --insecure -f sarif -o app.sarif
  redline scan image oci-dir:./build/app --platform linux/arm64
  redline scan image ghcr.io/org/app:1.2 --fail-on high --sign --attest --key cosign.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := imf.options(g)
			if err != nil {
				return usageErr(err)
			}
			img, err := image.Open(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			md := img.Metadata()
			done, err := psf.prepare(cmd.Context(), g, md, imf.insecure, &sf)
			if err != nil {
				return err
			}
			defer done()
			if sf.platform == "" && md.OS != "" && md.Architecture != "" {
				// go.mod files inside the image are built for the image's platform.
				sf.platform = md.OS + "/" + md.Architecture
			}
			return g.runScan(cmd.Context(), img, "", &sf)
		},
	}
	sf.register(cmd)
	imf.register(cmd)
	psf.register(cmd)
	return cmd
}
