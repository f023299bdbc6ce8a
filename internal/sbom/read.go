package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// Limits on the SBOMs Read accepts.
const (
	// MaxSize is the largest SBOM read, in bytes.
	MaxSize = 128 << 20
	// MaxComponents is the most components or packages one SBOM may hold.
	MaxComponents = 200_000
	// MaxDepth is the deepest nesting of CycloneDX components.
	MaxDepth = 32
)

// CatalogerName is the name of the SBOM cataloger; packages read from a
// third-party SBOM carry it.
const CatalogerName = "sbom"

// Read returns the packages a CycloneDX (1.2 to 1.7) or SPDX (2.2, 2.3)
// JSON SBOM lists, merged and sorted. path names the SBOM in errors and is
// the location of packages the SBOM gives no location for. The format is
// detected from the content. Components are read from their purls (see
// EcosystemFromPURL); those without a purl, or whose purl maps to no OSV
// ecosystem, are skipped. Redline's own properties restore ecosystem,
// name, version, locations, platform and source package exactly; Syft's
// and Trivy's properties give locations, layers and source packages.
// Packages read before an invalid purl is met are returned with an
// *inventory.ParseError.
func Read(ctx context.Context, r io.Reader, path string) ([]inventory.Package, error) {
	return defaultLimits().read(ctx, r, path)
}

// limits are the bounds of one read; tests lower them.
type limits struct {
	size       int64
	components int
	depth      int
}

func defaultLimits() limits { return limits{size: MaxSize, components: MaxComponents, depth: MaxDepth} }

func (lim limits) read(ctx context.Context, r io.Reader, path string) ([]inventory.Package, error) {
	data, err := io.ReadAll(io.LimitReader(r, lim.size+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > lim.size {
		return nil, &inventory.ParseError{Path: path, Err: fmt.Errorf("SBOM is over the %d-byte limit", lim.size)}
	}
	return lim.parse(ctx, data, path)
}

// document holds the parts of a CycloneDX or SPDX JSON document Read uses;
// one decode serves both formats.
type document struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    *struct {
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components []cdxComponent `json:"components"`

	SPDXVersion string          `json:"spdxVersion"`
	Packages    []spdxPackage   `json:"packages"`
	Extracted   []spdxExtracted `json:"hasExtractedLicensingInfos"`
}

type cdxComponent struct {
	Type       string         `json:"type"`
	Group      string         `json:"group"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Licenses   []cdxLicense   `json:"licenses"`
	Properties []cdxProperty  `json:"properties"`
	Components []cdxComponent `json:"components"`
}

type cdxLicense struct {
	License *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"license"`
	Expression string `json:"expression"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type spdxPackage struct {
	Name            string `json:"name"`
	VersionInfo     string `json:"versionInfo"`
	LicenseDeclared string `json:"licenseDeclared"`
	SourceInfo      string `json:"sourceInfo"`
	ExternalRefs    []struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	} `json:"externalRefs"`
	Annotations []struct {
		Annotator string `json:"annotator"`
		Comment   string `json:"comment"`
	} `json:"annotations"`
}

type spdxExtracted struct {
	LicenseID     string `json:"licenseId"`
	ExtractedText string `json:"extractedText"`
	Name          string `json:"name"`
}

// record is one component or package, whatever the format.
type record struct {
	name, group, version, purl string
	licenses                   []string
	props                      []property
	sourceInfo                 string // SPDX sourceInfo, Syft's style
}

func (lim limits) parse(ctx context.Context, data []byte, path string) ([]inventory.Package, error) {
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(data, path, err)
	}
	var recs []record
	var err error
	switch {
	case doc.BOMFormat == "CycloneDX":
		recs, err = lim.cycloneDXRecords(ctx, &doc)
	case strings.HasPrefix(doc.SPDXVersion, "SPDX-"):
		recs, err = lim.spdxRecords(ctx, &doc)
	default:
		err = errors.New("not a CycloneDX or SPDX JSON document (no bomFormat or spdxVersion)")
	}
	if err != nil {
		return nil, &inventory.ParseError{Path: path, Err: err}
	}
	pkgs := make([]inventory.Package, 0, len(recs))
	var bad []string
	for i := range recs {
		p, ok, err := recs[i].pkg(path)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		if ok {
			slices.Sort(p.Licenses)
			pkgs = append(pkgs, p)
		}
	}
	pkgs = inventory.Merge(pkgs)
	if len(bad) > 0 {
		return pkgs, &inventory.ParseError{Path: path, Err: fmt.Errorf("skipped %d components with an invalid purl, the first: %s", len(bad), bad[0])}
	}
	return pkgs, nil
}

// jsonError names the line of a JSON syntax or type error.
func jsonError(data []byte, path string, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	line := 0
	if off >= 0 && off <= int64(len(data)) {
		line = 1 + bytes.Count(data[:off], []byte{'\n'})
	}
	return &inventory.ParseError{Path: path, Line: line, Err: fmt.Errorf("not valid SBOM JSON: %w", err)}
}

func (lim limits) cycloneDXRecords(ctx context.Context, doc *document) ([]record, error) {
	major, minor, _ := strings.Cut(doc.SpecVersion, ".")
	if n, err := strconv.Atoi(minor); major != "1" || err != nil || n < 2 {
		return nil, fmt.Errorf("CycloneDX specVersion %q is not supported (1.2 and later are)", doc.SpecVersion)
	}
	var recs []record
	count := 0
	var walk func(cs []cdxComponent, depth int) error
	walk = func(cs []cdxComponent, depth int) error {
		if depth > lim.depth {
			return fmt.Errorf("components nested deeper than %d levels", lim.depth)
		}
		for i := range cs {
			count++
			if count > lim.components {
				return fmt.Errorf("more than %d components", lim.components)
			}
			if count%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			c := &cs[i]
			if c.PURL != "" && c.Type != "operating-system" {
				recs = append(recs, cycloneDXRecord(c))
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if doc.Metadata != nil && doc.Metadata.Component != nil {
		if err := walk(doc.Metadata.Component.Components, 1); err != nil {
			return nil, err
		}
	}
	if err := walk(doc.Components, 0); err != nil {
		return nil, err
	}
	return recs, nil
}

func cycloneDXRecord(c *cdxComponent) record {
	r := record{name: c.Name, group: c.Group, version: c.Version, purl: c.PURL}
	for _, l := range c.Licenses {
		switch {
		case l.Expression != "":
			r.licenses = append(r.licenses, l.Expression)
		case l.License != nil && l.License.ID != "":
			r.licenses = append(r.licenses, l.License.ID)
		case l.License != nil && l.License.Name != "":
			r.licenses = append(r.licenses, l.License.Name)
		}
	}
	r.props = make([]property, len(c.Properties))
	for i, p := range c.Properties {
		r.props[i] = property{p.Name, p.Value}
	}
	return r
}

func (lim limits) spdxRecords(ctx context.Context, doc *document) ([]record, error) {
	if v := doc.SPDXVersion; v != "SPDX-2.2" && v != "SPDX-2.3" {
		return nil, fmt.Errorf("SPDX version %q is not supported (SPDX-2.2 and SPDX-2.3 are)", v)
	}
	if len(doc.Packages) > lim.components {
		return nil, fmt.Errorf("more than %d packages", lim.components)
	}
	refs := make(map[string]string, len(doc.Extracted))
	for _, e := range doc.Extracted {
		refs[e.LicenseID] = cmpOr(e.Name, e.ExtractedText)
	}
	recs := make([]record, 0, len(doc.Packages))
	for i := range doc.Packages {
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		sp := &doc.Packages[i]
		r := record{name: sp.Name, version: sp.VersionInfo, sourceInfo: sp.SourceInfo}
		for _, ref := range sp.ExternalRefs {
			cat := strings.ReplaceAll(ref.Category, "_", "-")
			if cat == "PACKAGE-MANAGER" && ref.Type == "purl" {
				r.purl = ref.Locator
				break
			}
		}
		if r.purl == "" {
			continue
		}
		if l := sp.LicenseDeclared; l != "" && l != noAssertion && l != "NONE" {
			if text, ok := refs[l]; ok && text != "" {
				l = text
			}
			r.licenses = []string{l}
		}
		for _, a := range sp.Annotations {
			name, value, ok := strings.Cut(a.Comment, ": ")
			if !ok {
				continue
			}
			if !strings.Contains(name, ":") && strings.Contains(strings.ToLower(a.Annotator), "trivy") {
				name = trivyPrefix + name
			}
			r.props = append(r.props, property{name, value})
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Property names Syft and Trivy write.
const (
	trivyPrefix          = "aquasecurity:trivy:"
	trivyFilePath        = trivyPrefix + "FilePath"
	trivyLayerDigest     = trivyPrefix + "LayerDigest"
	trivySrcName         = trivyPrefix + "SrcName"
	trivySrcVersion      = trivyPrefix + "SrcVersion"
	trivySrcRelease      = trivyPrefix + "SrcRelease"
	trivySrcEpoch        = trivyPrefix + "SrcEpoch"
	syftLocationPrefix   = "syft:location:"
	syftSource           = "syft:metadata:source"
	syftSourceVersion    = "syft:metadata:sourceVersion"
	syftOriginPackage    = "syft:metadata:originPackage"
	syftGoArchitecture   = "syft:metadata:architecture"
	syftSourceInfoPrefix = "acquired package info from "
)

// props is a record's properties by name, values in document order.
type props map[string][]string

func (ps props) get(name string) string {
	if v := ps[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// pkg turns a record into a package. ok is false for a record to skip.
func (r *record) pkg(path string) (inventory.Package, bool, error) {
	purl, err := packageurl.FromString(r.purl)
	if err != nil {
		return inventory.Package{}, false, fmt.Errorf("%q: %v", r.purl, err)
	}
	ps := make(props, len(r.props))
	for _, p := range r.props {
		ps[p.name] = append(ps[p.name], p.value)
	}
	eco, name, ok := ecosystemOf(&purl)
	if e := ps.get(PropEcosystem); e != "" {
		return r.redlinePackage(e, ps), true, nil
	}
	if !ok {
		return inventory.Package{}, false, nil
	}
	p := inventory.Package{
		Name:       name,
		Version:    cmpOr(purl.Version, r.version),
		Ecosystem:  eco,
		PURL:       r.purl,
		Licenses:   slices.Clone(r.licenses),
		Catalogers: []string{CatalogerName},
	}
	switch purl.Type {
	case packageurl.TypeGolang:
		if strings.EqualFold(r.name, name) {
			p.Name = r.name // the purl lower-cases module paths
		}
		if p.Name == "stdlib" {
			v := strings.TrimPrefix(p.Version, "go")
			p.Version = strings.TrimPrefix(v, "v")
		}
		p.GOARCH = ps.get(syftGoArchitecture)
	case packageurl.TypeDebian, packageurl.TypeRPM:
		if ep := qualifier(&purl, "epoch"); ep != "" && ep != "0" && !strings.Contains(p.Version, ":") {
			p.Version = ep + ":" + p.Version
		}
	}
	p.SourceName, p.SourceVersion = thirdPartySource(&purl, ps)
	if p.SourceName == p.Name && (p.SourceVersion == "" || p.SourceVersion == p.Version) {
		p.SourceName, p.SourceVersion = "", ""
	}
	p.Locations = thirdPartyLocations(ps, r.sourceInfo)
	if len(p.Locations) == 0 {
		p.Locations = []finding.Location{{Path: path}}
	}
	return p, true, nil
}

// redlinePackage restores a package Redline wrote.
func (r *record) redlinePackage(eco string, ps props) inventory.Package {
	p := inventory.Package{
		Name:          r.name,
		Version:       r.version,
		Ecosystem:     eco,
		PURL:          r.purl,
		Catalogers:    ps[PropCataloger],
		Licenses:      slices.Clone(r.licenses),
		GOOS:          ps.get(PropGOOS),
		GOARCH:        ps.get(PropGOARCH),
		SourceName:    ps.get(PropSourceName),
		SourceVersion: ps.get(PropSourceVersion),
		Dev:           ps.get(PropDev) == "true",
	}
	if eco == inventory.EcosystemMaven && r.group != "" {
		p.Name = r.group + ":" + r.name
	}
	locs := make(map[int]*finding.Location)
	for _, pr := range r.props {
		rest, ok := strings.CutPrefix(pr.name, propLocationPrefix)
		if !ok {
			continue
		}
		idx, key, ok := strings.Cut(rest, ":")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 || i > MaxComponents {
			continue
		}
		l := locs[i]
		if l == nil {
			l = &finding.Location{}
			locs[i] = l
		}
		switch key {
		case locPath:
			l.Path = pr.value
		case locLine:
			l.Line, _ = strconv.Atoi(pr.value)
		case locLayer:
			l.Layer = pr.value
		case locCreatedBy:
			l.CreatedBy = pr.value
		}
	}
	p.Locations = sortedLocations(locs)
	return p
}

func sortedLocations(locs map[int]*finding.Location) []finding.Location {
	if len(locs) == 0 {
		return nil
	}
	idx := make([]int, 0, len(locs))
	for i := range locs {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]finding.Location, len(idx))
	for j, i := range idx {
		out[j] = *locs[i]
	}
	return out
}

// thirdPartySource reads the source package from Syft's and Trivy's
// properties and from the purl's "upstream" qualifier.
func thirdPartySource(purl *packageurl.PackageURL, ps props) (name, version string) {
	if n := ps.get(trivySrcName); n != "" {
		v := ps.get(trivySrcVersion)
		if rel := ps.get(trivySrcRelease); rel != "" && v != "" {
			v += "-" + rel
		}
		if ep := ps.get(trivySrcEpoch); ep != "" && ep != "0" && v != "" {
			v = ep + ":" + v
		}
		return n, v
	}
	if n := cmpOr(ps.get(syftSource), ps.get(syftOriginPackage)); n != "" {
		return n, ps.get(syftSourceVersion)
	}
	if up := qualifier(purl, "upstream"); up != "" {
		n, v, _ := strings.Cut(up, "@")
		return n, v
	}
	return "", ""
}

// thirdPartyLocations reads locations from Syft's indexed location
// properties, Trivy's file path and layer, or Syft's SPDX sourceInfo.
// Absolute paths become relative to the root, as Redline records them.
func thirdPartyLocations(ps props, sourceInfo string) []finding.Location {
	locs := make(map[int]*finding.Location)
	for name, vals := range ps {
		rest, ok := strings.CutPrefix(name, syftLocationPrefix)
		if !ok || len(vals) == 0 {
			continue
		}
		idx, key, _ := strings.Cut(rest, ":")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i > MaxComponents {
			continue
		}
		l := locs[i]
		if l == nil {
			l = &finding.Location{}
			locs[i] = l
		}
		switch key {
		case "path":
			l.Path = relPath(vals[0])
		case "layerID":
			l.Layer = vals[0]
		}
	}
	if out := sortedLocations(locs); len(out) > 0 {
		return out
	}
	if p := ps.get(trivyFilePath); p != "" {
		return []finding.Location{{Path: relPath(p), Layer: ps.get(trivyLayerDigest)}}
	}
	if rest, ok := strings.CutPrefix(sourceInfo, syftSourceInfoPrefix); ok {
		if i := strings.LastIndex(rest, ": "); i >= 0 {
			var out []finding.Location
			for _, p := range strings.Split(rest[i+2:], ", ") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, finding.Location{Path: relPath(p)})
				}
			}
			return out
		}
	}
	if l := ps.get(trivyLayerDigest); l != "" {
		return []finding.Location{{Layer: l}}
	}
	return nil
}

func relPath(p string) string {
	if q := strings.TrimLeft(p, "/"); q != "" {
		return q
	}
	return p
}
