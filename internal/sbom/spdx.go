package sbom

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

// SPDX values the writer uses.
const (
	noAssertion    = "NOASSERTION"
	spdxTargetID   = "DocumentRoot"
	spdxOSID       = "OperatingSystem"
	spdxNamespace  = "https://github.com/redline-sec/redline/spdxdocs/"
	spdxDateLayout = "2006-01-02T15:04:05Z"
)

// WriteSPDX writes doc as an SPDX 2.3 JSON document. The document
// DESCRIBES the target package, which CONTAINS every package. Redline's
// provenance is in package annotations ("redline:…: value"). The document
// namespace ends in a UUIDv5 of the rest of the document, so it is unique
// per content and the same document gives the same bytes.
func WriteSPDX(w io.Writer, doc *Document) error {
	if doc.Created.IsZero() {
		return fmt.Errorf("write SPDX: %w", errNoCreated)
	}
	sd := spdxDocument(doc)
	var body bytes.Buffer
	if err := spdxjson.Write(sd, &body, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("write SPDX: %w", err)
	}
	sd.DocumentNamespace += "-" + contentUUID(body.Bytes())
	body.Reset()
	if err := spdxjson.Write(sd, &body, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("write SPDX: %w", err)
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		return fmt.Errorf("write SPDX: %w", err)
	}
	return nil
}

func spdxDocument(doc *Document) *spdx.Document {
	created := doc.Created.UTC().Format(spdxDateLayout)
	tool := doc.Tool.toolString()
	name := doc.Target.Name
	if name == "" {
		name = "unknown"
	}
	kind := doc.Target.Kind
	if kind == "" {
		kind = "target"
	}
	sd := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: spdxNamespace + spdxIDString(kind) + "/" + spdxIDString(name),
		CreationInfo: &spdx.CreationInfo{
			LicenseListVersion: spdxLicenseListVersion(),
			Creators: []common.Creator{
				{CreatorType: "Organization", Creator: "Redline"},
				{CreatorType: "Tool", Creator: tool},
			},
			Created: created,
		},
	}

	target := &spdx.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   spdxTargetID,
		PackageVersion:          doc.Target.Digest,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "OTHER",
	}
	switch doc.Target.Kind {
	case "image":
		target.PrimaryPackagePurpose = "CONTAINER"
	case "filesystem", "directory", "rootfs":
		target.PrimaryPackagePurpose = "SOURCE"
	}
	if h := sha256Hex(doc.Target.Digest); h != "" {
		target.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: h}}
	}
	sd.Packages = append(sd.Packages, target)
	sd.Relationships = append(sd.Relationships, &spdx.Relationship{
		RefA:         common.MakeDocElementID("", "DOCUMENT"),
		RefB:         common.MakeDocElementID("", spdxTargetID),
		Relationship: common.TypeRelationshipDescribe,
	})
	contains := func(id common.ElementID) {
		sd.Relationships = append(sd.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", spdxTargetID),
			RefB:         common.MakeDocElementID("", string(id)),
			Relationship: common.TypeRelationshipContains,
		})
	}

	if doc.OS != nil && doc.OS.Name != "" {
		sd.Packages = append(sd.Packages, &spdx.Package{
			PackageName:             doc.OS.Name,
			PackageSPDXIdentifier:   spdxOSID,
			PackageVersion:          doc.OS.Version,
			PackageDownloadLocation: noAssertion,
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  noAssertion,
			PackageCopyrightText:    noAssertion,
			PrimaryPackagePurpose:   "OPERATING_SYSTEM",
		})
		contains(spdxOSID)
	}

	extracted := make(map[string]string) // LicenseRef id → text
	for _, e := range entries(doc.Packages) {
		p := spdxPackageOf(&e, created, tool, extracted)
		sd.Packages = append(sd.Packages, p)
		contains(p.PackageSPDXIdentifier)
	}
	ids := make([]string, 0, len(extracted))
	for id := range extracted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		sd.OtherLicenses = append(sd.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: id,
			ExtractedText:     extracted[id],
			LicenseName:       extracted[id],
		})
	}
	return sd
}

func spdxPackageOf(e *entry, created, tool string, extracted map[string]string) *spdx.Package {
	p := &e.pkg
	sp := &spdx.Package{
		PackageName:             p.Name,
		PackageSPDXIdentifier:   common.ElementID("Package-" + spdxIDString(p.Name) + "-" + e.id),
		PackageVersion:          p.Version,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  spdxDeclared(p.Licenses, extracted),
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "LIBRARY",
	}
	if sp.PackageName == "" {
		sp.PackageName = "unknown"
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager,
			RefType:  common.TypePackageManagerPURL,
			Locator:  p.PURL,
		}}
	}
	if len(p.Locations) > 0 {
		paths := make([]string, 0, len(p.Locations))
		for _, l := range p.Locations {
			if l.Path != "" && !slices.Contains(paths, l.Path) {
				paths = append(paths, l.Path)
			}
		}
		if len(paths) > 0 {
			sp.PackageSourceInfo = "acquired package info from " + strings.Join(p.Catalogers, ", ") + ": " + strings.Join(paths, ", ")
		}
	}
	for _, pr := range packageProperties(p) {
		sp.Annotations = append(sp.Annotations, spdx.Annotation{
			Annotator:         common.Annotator{AnnotatorType: "Tool", Annotator: tool},
			AnnotationDate:    created,
			AnnotationType:    "OTHER",
			AnnotationComment: pr.name + ": " + pr.value,
		})
	}
	return sp
}

// spdxDeclared returns the licenseDeclared expression of a package's
// licenses: valid SPDX expressions as they are, free text as a LicenseRef
// recorded in extracted, all joined with AND; NOASSERTION when none.
func spdxDeclared(ls []string, extracted map[string]string) string {
	var exprs []string
	for _, l := range ls {
		kind, canon := classifyLicense(l)
		if canon == "" {
			continue
		}
		if kind == licenseText {
			id := licenseRef(canon)
			extracted[id] = canon
			canon = id
		}
		if !slices.Contains(exprs, canon) {
			exprs = append(exprs, canon)
		}
	}
	if len(exprs) == 0 {
		return noAssertion
	}
	return joinExpressions(exprs)
}

// spdxIDString reduces s to the letters, digits, "." and "-" that SPDX
// identifiers allow, at most 64 of them.
func spdxIDString(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if b.Len() >= 64 {
			break
		}
		if r < 128 && (r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return "x"
	}
	return out
}

func spdxLicenseListVersion() string {
	v := spdxlicenses.LicenseListVersion()
	// The schema's field is "M.N"; the generated list says "M.N.P".
	if parts := strings.Split(v, "."); len(parts) > 2 {
		v = parts[0] + "." + parts[1]
	}
	return v
}
