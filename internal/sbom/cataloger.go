package sbom

import (
	"bytes"
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

// Catalogers returns the SBOM cataloger.
func Catalogers() []inventory.Cataloger { return []inventory.Cataloger{Cataloger{}} }

// Cataloger reads CycloneDX and SPDX JSON SBOMs found in a target.
type Cataloger struct{}

// Name is "sbom".
func (Cataloger) Name() string { return CatalogerName }

// Wants SBOM files by their conventional names: *.cdx.json,
// *.cyclonedx.json, *.spdx.json, *.bom.json, *.sbom.json, bom.json and
// sbom.json.
func (Cataloger) Wants(p string, info fs.FileInfo) bool {
	if info != nil && (info.IsDir() || info.Size() > MaxSize) {
		return false
	}
	base := strings.ToLower(path.Base(p))
	if base == "bom.json" || base == "sbom.json" {
		return true
	}
	for _, suffix := range []string{".cdx.json", ".cyclonedx.json", ".spdx.json", ".bom.json", ".sbom.json"} {
		if strings.HasSuffix(base, suffix) {
			return true
		}
	}
	return false
}

// Catalog reads the packages of one SBOM file.
func (Cataloger) Catalog(ctx context.Context, f *walk.File) ([]inventory.Package, error) {
	data, err := f.ReadAll(MaxSize)
	if err != nil {
		return nil, err
	}
	pkgs, err := Read(ctx, bytes.NewReader(data), f.Path)
	if f.Layer != "" {
		for i := range pkgs {
			for j := range pkgs[i].Locations {
				l := &pkgs[i].Locations[j]
				if l.Path == f.Path && l.Layer == "" {
					l.Layer, l.CreatedBy = f.Layer, f.CreatedBy
				}
			}
		}
	}
	return pkgs, err
}
