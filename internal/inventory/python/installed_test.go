package python

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/walk"
)

func TestInstalledFiles(t *testing.T) {
	const (
		debian = "installed/usr/lib/python3/dist-packages/"
		pyenv  = "installed/root/.pyenv/versions/"
	)
	tests := []struct {
		path     string
		want     pkg
		purl     string
		licenses []string
	}{
		{debian + "PyYAML-6.0.dist-info/METADATA", pkg{"pyyaml", "6.0", 2, false}, "pkg:pypi/pyyaml@6.0", []string{"MIT"}},
		{debian + "Jinja2-3.1.2.egg-info/PKG-INFO", pkg{"jinja2", "3.1.2", 2, false}, "pkg:pypi/jinja2@3.1.2", []string{"BSD-3-Clause"}},
		{debian + "requests-2.28.1.egg-info/PKG-INFO", pkg{"requests", "2.28.1", 2, false}, "pkg:pypi/requests@2.28.1", []string{"Apache 2.0"}},
		{debian + "urllib3-1.26.12.egg-info/PKG-INFO", pkg{"urllib3", "1.26.12", 2, false}, "pkg:pypi/urllib3@1.26.12", []string{"MIT"}},
		{debian + "cryptography-38.0.4.dist-info/METADATA", pkg{"cryptography", "38.0.4", 2, false}, "pkg:pypi/cryptography@38.0.4", []string{"BSD-3-Clause OR Apache-2.0"}},
		// Debian ships a second, version-less egg-info for cryptography.
		{debian + "cryptography.egg-info/PKG-INFO", pkg{"cryptography", "38.0.4", 2, false}, "pkg:pypi/cryptography@38.0.4", []string{"BSD-3-Clause OR Apache-2.0"}},
		{pyenv + "3.6.15/lib/python3.6/site-packages/pip-18.1.dist-info/METADATA", pkg{"pip", "18.1", 2, false}, "pkg:pypi/pip@18.1", []string{"MIT"}},
		{pyenv + "3.6.15/lib/python3.6/site-packages/setuptools-40.6.2.dist-info/METADATA", pkg{"setuptools", "40.6.2", 2, false}, "pkg:pypi/setuptools@40.6.2", []string{"MIT"}},
		// Metadata 2.4, with License-Expression.
		{pyenv + "3.11.7/lib/python3.11/site-packages/urllib3-2.7.0.dist-info/METADATA", pkg{"urllib3", "2.7.0", 2, false}, "pkg:pypi/urllib3@2.7.0", []string{"MIT"}},
		// distutils' single-file egg-info, Metadata 1.0 and 1.1.
		{pyenv + "2.7.18/lib/python2.7/wsgiref.egg-info", pkg{"wsgiref", "0.1.2", 2, false}, "pkg:pypi/wsgiref@0.1.2", []string{"PSF or ZPL"}},
		{pyenv + "2.7.18/lib/python2.7/lib-dynload/Python-2.7.18-py2.7.egg-info", pkg{"python", "2.7.18", 2, false}, "pkg:pypi/python@2.7.18", []string{"PSF license"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			pkgs, err := catalogFile(t, installedCataloger{}, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			assertPackages(t, pkgs, []pkg{tt.want})
			if pkgs[0].PURL != tt.purl || pkgs[0].Catalogers[0] != "python-installed" {
				t.Errorf("purl %q, catalogers %v; want %q", pkgs[0].PURL, pkgs[0].Catalogers, tt.purl)
			}
			if !slices.Equal(pkgs[0].Licenses, tt.licenses) {
				t.Errorf("licenses %q, want %q", pkgs[0].Licenses, tt.licenses)
			}
		})
	}
}

func TestParseMetadata(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    pkg
		errLine int
		errText string
	}{
		{
			name: "headers in any order and case",
			in:   "Metadata-Version: 2.1\r\nversion: 1.0\r\nsummary: x\r\nNAME:  Foo_Bar \r\n\r\nbody\n",
			want: pkg{"foo-bar", "1.0", 4, false},
		},
		{
			name: "folded description before the version",
			in:   "Metadata-Version: 1.1\nName: foo\nDescription: first\n        \n        second: not a header\nVersion: 2.0\n",
			want: pkg{"foo", "2.0", 2, false},
		},
		{
			name: "first value wins",
			in:   "Name: foo\nVersion: 1.0\nName: bar\nVersion: 2.0\n",
			want: pkg{"foo", "1.0", 1, false},
		},
		{
			name: "no final newline",
			in:   "Name: foo\nVersion: 1.0",
			want: pkg{"foo", "1.0", 1, false},
		},
		{
			name:    "version in the body is not read",
			in:      "Metadata-Version: 2.1\nName: foo\n\nVersion: 1.0\n",
			errText: "no Version header for foo",
		},
		{
			name:    "a line that is not a header ends the headers",
			in:      "Metadata-Version: 2.1\nName: foo\nthis is prose\nVersion: 1.0\n",
			errText: "no Version header for foo",
		},
		{
			name:    "no name",
			in:      "Metadata-Version: 2.1\nVersion: 1.0\n",
			errText: "no Name header",
		},
		{
			name:    "invalid name",
			in:      "Metadata-Version: 2.1\nName: foo bar\nVersion: 1.0\n",
			errLine: 2,
			errText: `invalid package name "foo bar"`,
		},
		{
			name:    "invalid version",
			in:      "Name: foo\nVersion: 1.0 final\n",
			errText: `invalid version "1.0 final" for foo`,
		},
		{
			name:    "empty file",
			in:      "",
			errText: "no Name header",
		},
		{
			name:    "headers beyond the size limit are not read",
			in:      "Name: foo\nDescription: " + strings.Repeat("x", maxHeaderBytes) + "\nVersion: 1.0\n",
			errText: "no Version header for foo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := (installedCataloger{}).Catalog(context.Background(), walk.BytesFile("x.dist-info/METADATA", []byte(tt.in)))
			if tt.errText != "" {
				if len(pkgs) != 0 {
					t.Errorf("packages %v with error", pkgs)
				}
				assertParseError(t, err, "x.dist-info/METADATA", tt.errLine, tt.errText)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertPackages(t, pkgs, []pkg{tt.want})
		})
	}
}

func TestMetadataLicenses(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		want    []string
	}{
		{"expression wins", "License-Expression: MIT OR Apache-2.0\nLicense: BSD\nClassifier: License :: OSI Approved :: ISC License (ISCL)\n", []string{"MIT OR Apache-2.0"}},
		{"license over classifiers", "License: Apache 2.0\nClassifier: License :: OSI Approved :: Apache Software License\n", []string{"Apache 2.0"}},
		{"UNKNOWN falls back", "License: unknown\nClassifier: License :: OSI Approved :: MIT License\n", []string{"MIT"}},
		{"folded license text falls back", "License: Copyright (c) 2020 Someone\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: BSD License\n", []string{"BSD License"}},
		{"long license falls back", "License: " + strings.Repeat("x", maxLicenseFieldLen+1) + "\nClassifier: License :: Public Domain\n", []string{"Public Domain"}},
		{"classifiers mapped, kept, sorted", "Classifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved :: ISC License (ISCL)\nClassifier: License :: OSI Approved\nClassifier: Programming Language :: Python\nClassifier: License :: OSI Approved :: GNU General Public License v2 (GPLv2)\nClassifier: License :: OSI Approved :: ISC License (ISCL)\n", []string{"Apache Software License", "GNU General Public License v2 (GPLv2)", "ISC"}},
		{"folded classifier keeps its first line", "Classifier: License :: OSI Approved :: MIT License\n  more\n", []string{"MIT"}},
		{"empty expression is no expression", "License-Expression:\nLicense: MIT\n", []string{"MIT"}},
		{"none", "Summary: x\n", nil},
		{"in the body is not read", "\nLicense: MIT\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "Metadata-Version: 2.4\nName: foo\nVersion: 1.0\n" + tt.headers
			pkg, err := parseMetadata(context.Background(), "METADATA", strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pkg.Licenses, tt.want) {
				t.Errorf("licenses %q, want %q", pkg.Licenses, tt.want)
			}
		})
	}
}

func TestMetadataLicenseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name: foo\nVersion: 1.0\n")
	for i := range 2 * inventory.MaxLicenses {
		fmt.Fprintf(&b, "Classifier: License :: L%03d\n", i)
	}
	pkg, err := parseMetadata(context.Background(), "METADATA", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Licenses) != inventory.MaxLicenses || pkg.Licenses[0] != "L000" || pkg.Licenses[inventory.MaxLicenses-1] != fmt.Sprintf("L%03d", inventory.MaxLicenses-1) {
		t.Errorf("licenses %q", pkg.Licenses)
	}
}

func FuzzMetadata(f *testing.F) {
	addSeeds(f, "installed")
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "foo-1.0.dist-info/METADATA"
		pkgs, err := (installedCataloger{}).Catalog(context.Background(), walk.BytesFile(path, data))
		checkInvariants(t, path, data, pkgs, err)
		if (err == nil) != (len(pkgs) == 1) {
			t.Fatalf("%d packages and error %v", len(pkgs), err)
		}
		for _, p := range pkgs {
			if len(p.Licenses) > inventory.MaxLicenses {
				t.Fatalf("%d licenses", len(p.Licenses))
			}
			for i, l := range p.Licenses {
				if l == "" || len(l) > inventory.MaxLicenseLen || l != strings.TrimSpace(l) || i > 0 && l <= p.Licenses[i-1] {
					t.Fatalf("licenses not clean, sorted and unique: %q", p.Licenses)
				}
			}
		}
	})
}

// BenchmarkParseMetadata reads a real 46 KB PKG-INFO whose long description
// follows the headers; images hold thousands of these.
func BenchmarkParseMetadata(b *testing.B) {
	data, err := os.ReadFile("testdata/installed/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMetadata(context.Background(), "PKG-INFO", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
