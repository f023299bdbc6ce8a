package sbom

import (
	"fmt"
	"io"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// benchDocument is an image of about 2000 packages with layers.
func benchDocument() *Document {
	doc := fixtureDocument()
	doc.Packages = nil
	for i := range 2000 {
		doc.Packages = append(doc.Packages, inventory.Package{
			Name: fmt.Sprintf("github.com/example/mod%04d", i), Version: fmt.Sprintf("v1.%d.0", i%50),
			Ecosystem: "Go", PURL: fmt.Sprintf("pkg:golang/github.com/example/mod%04d@v1.%d.0", i, i%50),
			Locations:  []finding.Location{{Path: fmt.Sprintf("usr/bin/app%d", i%20), Layer: layerApp, CreatedBy: "COPY . /usr/bin"}},
			Catalogers: []string{"go-binary"}, GOOS: "linux", GOARCH: "amd64",
			Licenses: []string{[]string{"MIT", "Apache-2.0", "BSD-3-Clause OR MIT", "Custom licence"}[i%4]},
		})
	}
	return doc
}

func BenchmarkWriteCycloneDX(b *testing.B) {
	doc := benchDocument()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCycloneDX(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSPDX(b *testing.B) {
	doc := benchDocument()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteSPDX(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}
