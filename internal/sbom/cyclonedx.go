package sbom

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/redline-sec/redline/internal/inventory"
)

// CycloneDX references of the target and operating-system components.
const (
	cdxTargetRef = "redline-target"
	cdxOSRef     = "redline-os"
)

// WriteCycloneDX writes doc as a CycloneDX 1.6 JSON BOM. The target is the
// metadata component and depends on every package; the serial number is a
// UUIDv5 of the rest of the BOM, so the same document gives the same bytes.
func WriteCycloneDX(w io.Writer, doc *Document) error {
	if doc.Created.IsZero() {
		return fmt.Errorf("write CycloneDX: %w", errNoCreated)
	}
	bom := cycloneDXBOM(doc)
	var body bytes.Buffer
	if err := encodeCycloneDX(&body, bom); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	bom.SerialNumber = "urn:uuid:" + contentUUID(body.Bytes())
	body.Reset()
	if err := encodeCycloneDX(&body, bom); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	return nil
}

func encodeCycloneDX(w io.Writer, bom *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	return enc.Encode(bom)
}

func cycloneDXBOM(doc *Document) *cdx.BOM {
	es := entries(doc.Packages)
	bom := &cdx.BOM{
		JSONSchema:  "http://cyclonedx.org/schema/bom-1.6.schema.json",
		BOMFormat:   cdx.BOMFormat,
		SpecVersion: cdx.SpecVersion1_6,
		Version:     1,
	}
	toolName := doc.Tool.Name
	if toolName == "" {
		toolName = "redline"
	}
	target := cycloneDXTarget(doc)
	bom.Metadata = &cdx.Metadata{
		Timestamp: doc.Created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type:    cdx.ComponentTypeApplication,
			Name:    toolName,
			Version: doc.Tool.Version,
		}}},
		Component: target,
	}

	comps := make([]cdx.Component, 0, len(es)+1)
	refs := make([]string, 0, len(es)+1)
	if doc.OS != nil && doc.OS.Name != "" {
		comps = append(comps, cdx.Component{
			BOMRef:  cdxOSRef,
			Type:    cdx.ComponentTypeOS,
			Name:    doc.OS.Name,
			Version: doc.OS.Version,
		})
		refs = append(refs, cdxOSRef)
	}
	for i := range es {
		c := cycloneDXComponent(&es[i])
		comps = append(comps, c)
		refs = append(refs, c.BOMRef)
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	deps := []cdx.Dependency{{Ref: cdxTargetRef}}
	if len(refs) > 0 {
		deps[0].Dependencies = &refs
	}
	bom.Dependencies = &deps
	return bom
}

func cycloneDXTarget(doc *Document) *cdx.Component {
	c := &cdx.Component{
		BOMRef: cdxTargetRef,
		Type:   cdx.ComponentTypeApplication,
		Name:   doc.Target.Name,
	}
	switch doc.Target.Kind {
	case "image":
		c.Type = cdx.ComponentTypeContainer
	case "filesystem", "directory", "rootfs":
		c.Type = cdx.ComponentTypeFile
	}
	if c.Name == "" {
		c.Name = "unknown"
	}
	var props []cdx.Property
	if doc.Target.Kind != "" {
		props = append(props, cdx.Property{Name: PropTargetKind, Value: doc.Target.Kind})
	}
	if doc.Target.Digest != "" {
		c.Version = doc.Target.Digest
		props = append(props, cdx.Property{Name: PropTargetDigest, Value: doc.Target.Digest})
		if h := sha256Hex(doc.Target.Digest); h != "" {
			c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}
		}
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

func cycloneDXComponent(e *entry) cdx.Component {
	p := &e.pkg
	c := cdx.Component{
		BOMRef:     "redline:pkg:" + e.id,
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: p.PURL,
		Licenses:   cycloneDXLicenses(p.Licenses),
	}
	if p.Ecosystem == inventory.EcosystemMaven {
		if g, a, ok := strings.Cut(p.Name, ":"); ok {
			c.Group, c.Name = g, a
		}
	}
	if c.Name == "" {
		c.Name = "unknown"
	}
	props := packageProperties(p)
	if len(props) > 0 {
		cp := make([]cdx.Property, len(props))
		for i, pr := range props {
			cp[i] = cdx.Property{Name: pr.name, Value: pr.value}
		}
		c.Properties = &cp
	}
	return c
}

type property struct{ name, value string }

// packageProperties lists a package's provenance in a fixed order; both
// writers emit it and the reader restores it.
func packageProperties(p *inventory.Package) []property {
	var ps []property
	add := func(name, value string) {
		if value != "" {
			ps = append(ps, property{name, value})
		}
	}
	add(PropEcosystem, p.Ecosystem)
	for _, c := range p.Catalogers {
		add(PropCataloger, c)
	}
	add(PropGOOS, p.GOOS)
	add(PropGOARCH, p.GOARCH)
	add(PropSourceName, p.SourceName)
	add(PropSourceVersion, p.SourceVersion)
	if p.Dev {
		add(PropDev, "true")
	}
	for i, l := range p.Locations {
		add(LocationProp(i, locPath), l.Path)
		if l.Line > 0 {
			add(LocationProp(i, locLine), strconv.Itoa(l.Line))
		}
		add(LocationProp(i, locLayer), l.Layer)
		add(LocationProp(i, locCreatedBy), l.CreatedBy)
	}
	return ps
}

// cycloneDXLicenses turns a package's licenses into CycloneDX license
// choices: list identifiers as license ids, free text as license names,
// and compound expressions as one expression when every license is valid
// SPDX (the schema allows either a list of licenses or one expression).
func cycloneDXLicenses(ls []string) *cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	kinds := make([]licenseKind, len(ls))
	canon := make([]string, len(ls))
	compound, allSPDX := false, true
	for i, l := range ls {
		kinds[i], canon[i] = classifyLicense(l)
		switch kinds[i] {
		case licenseExpression:
			compound = true
		case licenseText:
			allSPDX = false
		}
	}
	if compound && allSPDX {
		return &cdx.Licenses{{
			Expression:      joinExpressions(canon),
			Acknowledgement: ptr(cdx.LicenseAcknowledgementDeclared),
		}}
	}
	out := make(cdx.Licenses, 0, len(ls))
	for i := range ls {
		lic := &cdx.License{Acknowledgement: cdx.LicenseAcknowledgementDeclared}
		if kinds[i] == licenseID {
			lic.ID = canon[i]
		} else {
			lic.Name = canon[i]
		}
		if lic.ID == "" && lic.Name == "" {
			continue
		}
		out = append(out, cdx.LicenseChoice{License: lic})
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

func ptr[T any](v T) *T { return &v }
