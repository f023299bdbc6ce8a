package sbom

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files")

type writer func(w *bytes.Buffer, doc *Document) error

var writers = map[string]writer{
	"cdx":  func(w *bytes.Buffer, doc *Document) error { return WriteCycloneDX(w, doc) },
	"spdx": func(w *bytes.Buffer, doc *Document) error { return WriteSPDX(w, doc) },
}

func render(t testing.TB, format string, doc *Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writers[format](&buf, doc); err != nil {
		t.Fatalf("write %s: %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for format := range writers {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, fixtureDocument())
			path := filepath.Join("testdata", "golden", "fixture."+format+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (run go test -update after checking the change)", format, path)
			}
		})
	}
}

// TestDeterministic writes the same packages in many orders and expects the
// same bytes; a different inventory must change the serial number and the
// document namespace.
func TestDeterministic(t *testing.T) {
	for format := range writers {
		t.Run(format, func(t *testing.T) {
			want := render(t, format, fixtureDocument())
			r := rand.New(rand.NewPCG(1, 2))
			for range 20 {
				doc := fixtureDocument()
				r.Shuffle(len(doc.Packages), func(i, j int) { doc.Packages[i], doc.Packages[j] = doc.Packages[j], doc.Packages[i] })
				for i := range doc.Packages {
					p := &doc.Packages[i]
					r.Shuffle(len(p.Locations), func(i, j int) { p.Locations[i], p.Locations[j] = p.Locations[j], p.Locations[i] })
				}
				if got := render(t, format, doc); !bytes.Equal(got, want) {
					t.Fatal("output depends on the order of the packages")
				}
			}
			doc := fixtureDocument()
			doc.Packages = doc.Packages[1:]
			other := render(t, format, doc)
			idRE := regexp.MustCompile(`"(serialNumber|documentNamespace)": "([^"]+)"`)
			a, b := idRE.FindSubmatch(want), idRE.FindSubmatch(other)
			if a == nil || b == nil {
				t.Fatal("no serialNumber or documentNamespace")
			}
			if bytes.Equal(a[2], b[2]) {
				t.Errorf("different documents share the id %s", a[2])
			}
		})
	}
}

func TestSerialNumberIsUUIDv5(t *testing.T) {
	var bom struct {
		SerialNumber string `json:"serialNumber"`
	}
	if err := json.Unmarshal(render(t, "cdx", fixtureDocument()), &bom); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(bom.SerialNumber) {
		t.Errorf("serialNumber %q is not a version 5 UUID URN", bom.SerialNumber)
	}
}

func TestUUIDv5(t *testing.T) {
	// uuidNamespace must be what its comment says: uuid5(NAMESPACE_URL, …).
	urlNS := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1Sum(append(urlNS[:], "https://github.com/redline-sec/redline/sbom"...))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	if !bytes.Equal(h[:16], uuidNamespace[:]) {
		t.Errorf("uuidNamespace = %x, want %x", uuidNamespace, h[:16])
	}
}

func TestCreatedRequired(t *testing.T) {
	for format := range writers {
		doc := fixtureDocument()
		doc.Created = time.Time{}
		var buf bytes.Buffer
		if err := writers[format](&buf, doc); err == nil || !strings.Contains(err.Error(), "creation time") {
			t.Errorf("%s: err = %v, want a missing creation time", format, err)
		}
	}
}

func TestSourceDateEpoch(t *testing.T) {
	tests := []struct {
		env    string
		want   time.Time
		set    bool
		hasErr bool
	}{
		{"", time.Time{}, false, false},
		{"1700000000", time.Unix(1700000000, 0).UTC(), true, false},
		{"-1", time.Time{}, false, true},
		{"soon", time.Time{}, false, true},
	}
	for _, tt := range tests {
		got, set, err := SourceDateEpoch(func(string) string { return tt.env })
		if !got.Equal(tt.want) || set != tt.set || (err != nil) != tt.hasErr {
			t.Errorf("SourceDateEpoch(%q) = %v, %v, %v", tt.env, got, set, err)
		}
	}
}

// compileSchemas compiles the official schemas in testdata/schema; the
// CycloneDX schema's references resolve to the files beside it.
func compileSchemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for file, url := range map[string]string{
		"bom-1.6.schema.json":  "http://cyclonedx.org/schema/bom-1.6.schema.json",
		"spdx.schema.json":     "http://cyclonedx.org/schema/spdx.schema.json",
		"jsf-0.82.schema.json": "http://cyclonedx.org/schema/jsf-0.82.schema.json",
		"spdx-schema-2.3.json": "http://spdx.org/rdf/terms/2.3",
	} {
		f, err := os.Open(filepath.Join("testdata", "schema", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	out := make(map[string]*jsonschema.Schema)
	for format, url := range map[string]string{
		"cdx":  "http://cyclonedx.org/schema/bom-1.6.schema.json",
		"spdx": "http://spdx.org/rdf/terms/2.3",
	} {
		s, err := c.Compile(url)
		if err != nil {
			t.Fatalf("compile %s: %v", url, err)
		}
		out[format] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestSchemas(t *testing.T) {
	schemas := compileSchemas(t)
	docs := map[string]*Document{
		"fixture": fixtureDocument(),
		"empty":   {Created: time.Unix(0, 0)},
		"odd": {
			Tool:    Tool{Name: "redline"},
			Target:  finding.Target{Kind: "filesystem", Name: "/src/my project/ü", Digest: "sha256:short"},
			Created: time.Date(2030, 12, 31, 23, 59, 59, 0, time.FixedZone("x", 3600)),
			Packages: []inventory.Package{
				{Name: "", Version: "", Ecosystem: "npm"},
				{Name: "ünïcode/@name with spaces", Version: "1", Ecosystem: "npm", PURL: "pkg:npm/x@1", Licenses: []string{"", "  ", "MIT AND (", "LicenseRef-Foo", "DocumentRef-x:LicenseRef-y", "Apache-2.0 WITH LLVM-exception"}},
				{Name: "dup", Version: "1", Ecosystem: "npm", PURL: "pkg:npm/dup@1"},
				{Name: "dup", Version: "1", Ecosystem: "npm", PURL: "pkg:npm/dup@1"},
			},
		},
	}
	for name, doc := range docs {
		if err := validate(t, schemas["cdx"], render(t, "cdx", doc)); err != nil {
			t.Errorf("%s cdx is not valid: %v", name, err)
		}
		spdxDoc := render(t, "spdx", doc)
		if err := validate(t, schemas["spdx"], spdxDoc); err != nil {
			t.Errorf("%s spdx is not valid against the SPDX 2.3 schema: %v", name, err)
		}
		if err := validateSPDX(spdxDoc); err != nil {
			t.Errorf("%s spdx is not valid: %v", name, err)
		}
	}

	// The schemas must be able to fail.
	cdxBad := bytes.Replace(render(t, "cdx", fixtureDocument()), []byte(`"type": "library"`), []byte(`"type": "librarian"`), 1)
	if validate(t, schemas["cdx"], cdxBad) == nil {
		t.Error("CycloneDX schema accepted a component type of librarian")
	}
	spdxBad := bytes.Replace(render(t, "spdx", fixtureDocument()), []byte(`"SPDXID": "SPDXRef-Package-`), []byte(`"SPDXID": "SPDXRef-Package_`), 1)
	if validateSPDX(spdxBad) == nil {
		t.Error("SPDX check accepted an SPDXID with an underscore")
	}
	spdxNoName := bytes.Replace(render(t, "spdx", fixtureDocument()), []byte(`"spdxVersion"`), []byte(`"spdxVersionX"`), 1)
	if validate(t, schemas["spdx"], spdxNoName) == nil {
		t.Error("SPDX schema accepted a document without spdxVersion")
	}
}

// TestLicenses checks how each format states each kind of license.
func TestLicenses(t *testing.T) {
	tests := []struct {
		in       []string
		cdx      string // JSON of the licenses
		declared string
	}{
		{[]string{"MIT"}, `[{"license":{"id":"MIT","acknowledgement":"declared"}}]`, "MIT"},
		{[]string{"mit"}, `[{"license":{"id":"MIT","acknowledgement":"declared"}}]`, "MIT"},
		{[]string{"GPL-2.0"}, `[{"license":{"id":"GPL-2.0","acknowledgement":"declared"}}]`, "GPL-2.0"},
		{[]string{"MIT OR Apache-2.0"}, `[{"expression":"MIT OR Apache-2.0","acknowledgement":"declared"}]`, "MIT OR Apache-2.0"},
		{[]string{"BSD-3-Clause", "MIT OR Apache-2.0"}, `[{"expression":"BSD-3-Clause AND (MIT OR Apache-2.0)","acknowledgement":"declared"}]`, "BSD-3-Clause AND (MIT OR Apache-2.0)"},
		{[]string{"Custom: see COPYING", "MIT"}, `[{"license":{"name":"Custom: see COPYING","acknowledgement":"declared"}},{"license":{"id":"MIT","acknowledgement":"declared"}}]`, licenseRef("Custom: see COPYING") + " AND MIT"},
		{[]string{"MIT OR Apache-2.0", "Public Domain"}, `[{"license":{"name":"MIT OR Apache-2.0","acknowledgement":"declared"}},{"license":{"name":"Public Domain","acknowledgement":"declared"}}]`, "(MIT OR Apache-2.0) AND " + licenseRef("Public Domain")},
		{nil, `null`, "NOASSERTION"},
	}
	for _, tt := range tests {
		got, err := json.Marshal(cycloneDXLicenses(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.cdx {
			t.Errorf("CycloneDX licenses of %q = %s, want %s", tt.in, got, tt.cdx)
		}
		refs := map[string]string{}
		if d := spdxDeclared(tt.in, refs); d != tt.declared {
			t.Errorf("licenseDeclared of %q = %q, want %q", tt.in, d, tt.declared)
		}
	}
	if got := licenseRef("Custom: see COPYING"); !regexp.MustCompile(`^LicenseRef-Custom-see-COPYING-[0-9a-f]{8}$`).MatchString(got) {
		t.Errorf("licenseRef = %q", got)
	}
}

func sha1Sum(b []byte) []byte {
	h := sha1.Sum(b)
	return h[:]
}

// spdxIDPattern is the SPDX 2.3 rule for element ids (clause 7.2, 3.2).
var spdxIDPattern = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

// validateSPDX checks what the SPDX 2.3 JSON schema cannot: the document
// must decode with spdx/tools-golang's reader as version SPDX-2.3, pass
// tools-golang's document validation (every relationship names an element
// that exists, the document describes something), and meet the required
// fields and id patterns of the specification.
func validateSPDX(data []byte) error {
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXIdentifier != "DOCUMENT" {
		return fmt.Errorf("header: version %q, data license %q, id %q", doc.SPDXVersion, doc.DataLicense, doc.SPDXIdentifier)
	}
	if doc.DocumentName == "" || doc.DocumentNamespace == "" || doc.CreationInfo == nil || doc.CreationInfo.Created == "" || len(doc.CreationInfo.Creators) == 0 {
		return fmt.Errorf("missing name, namespace or creation info")
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		return err
	}
	for _, p := range doc.Packages {
		if !spdxIDPattern.MatchString("SPDXRef-" + string(p.PackageSPDXIdentifier)) {
			return fmt.Errorf("package SPDXID %q", p.PackageSPDXIdentifier)
		}
		if p.PackageName == "" || p.PackageDownloadLocation == "" {
			return fmt.Errorf("package %s: missing name or downloadLocation", p.PackageSPDXIdentifier)
		}
	}
	return nil
}
