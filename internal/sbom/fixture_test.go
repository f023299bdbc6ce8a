package sbom

import (
	"time"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

const (
	layerBase = "sha256:1f2e0a8b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"
	layerApp  = "sha256:9a8b7c6d5e4f30211203f4e5d6c7b8a9a8b7c6d5e4f30211203f4e5d6c7b8a9a"
)

// fixturePackages is an inventory with every field the writers carry: OS
// packages with source packages and layers, Go modules with a platform,
// the standard library, dev npm packages, Maven, licenses of every kind.
func fixturePackages() []inventory.Package {
	return inventory.Merge([]inventory.Package{
		{
			Name: "libc6", Version: "2.36-9+deb12u4", Ecosystem: "Debian:12",
			PURL:       "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
			Locations:  []finding.Location{{Path: "var/lib/dpkg/status", Line: 120, Layer: layerBase, CreatedBy: "/bin/sh -c #(nop) ADD file:abc in / "}},
			Catalogers: []string{"dpkg"}, SourceName: "glibc", SourceVersion: "2.36-9+deb12u4",
			Licenses: []string{"GPL-2.0-or-later", "LGPL-2.1-or-later"},
		},
		{
			Name: "musl", Version: "1.2.4-r2", Ecosystem: "Alpine:v3.18",
			PURL:       "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4",
			Locations:  []finding.Location{{Path: "lib/apk/db/installed", Line: 1, Layer: layerBase}},
			Catalogers: []string{"apk"}, Licenses: []string{"MIT"},
		},
		{
			Name: "github.com/BurntSushi/toml", Version: "v1.3.2", Ecosystem: "Go",
			PURL:       "pkg:golang/github.com/burntsushi/toml@v1.3.2",
			Locations:  []finding.Location{{Path: "usr/local/bin/app", Layer: layerApp, CreatedBy: `COPY app /usr/local/bin/app # buildkit`}},
			Catalogers: []string{"go-binary"}, GOOS: "linux", GOARCH: "amd64",
		},
		{
			Name: "stdlib", Version: "1.21.3", Ecosystem: "Go",
			PURL:       "pkg:golang/stdlib@v1.21.3",
			Locations:  []finding.Location{{Path: "usr/local/bin/app", Layer: layerApp}},
			Catalogers: []string{"go-binary"}, GOOS: "linux", GOARCH: "amd64",
			Licenses: []string{"BSD-3-Clause"},
		},
		{
			Name: "@babel/core", Version: "7.22.0", Ecosystem: "npm",
			PURL: "pkg:npm/%40babel/core@7.22.0",
			Locations: []finding.Location{
				{Path: "app/package-lock.json", Line: 31},
				{Path: "app/node_modules/@babel/core/package.json"},
			},
			Catalogers: []string{"npm-installed", "package-lock"}, Dev: true,
			Licenses: []string{"MIT"},
		},
		{
			Name: "requests", Version: "2.31.0", Ecosystem: "PyPI",
			PURL:       "pkg:pypi/requests@2.31.0",
			Locations:  []finding.Location{{Path: "requirements.txt", Line: 3}},
			Catalogers: []string{"requirements"},
			Licenses:   []string{"Apache 2.0 <see LICENSE> & co"},
		},
		{
			Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven",
			PURL:       "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
			Locations:  []finding.Location{{Path: "app/lib/log4j-core-2.14.1.jar"}},
			Catalogers: []string{"java-archive"}, Licenses: []string{"Apache-2.0"},
		},
		{
			Name: "serde", Version: "1.0.188", Ecosystem: "crates.io",
			PURL:       "pkg:cargo/serde@1.0.188",
			Locations:  []finding.Location{{Path: "Cargo.lock", Line: 40}},
			Catalogers: []string{"cargo-lock"}, Licenses: []string{"MIT OR Apache-2.0"},
		},
		{
			Name: "legacy", Version: "0.1.0", Ecosystem: "crates.io",
			PURL:       "pkg:cargo/legacy@0.1.0",
			Locations:  []finding.Location{{Path: "Cargo.lock", Line: 52}},
			Catalogers: []string{"cargo-lock"}, Licenses: []string{"Custom: see COPYING", "GPL-2.0"},
		},
	})
}

func fixtureDocument() *Document {
	return &Document{
		Tool:     Tool{Name: "redline", Version: "0.3.0"},
		Target:   finding.Target{Kind: "image", Name: "registry.example/app:1.0", Digest: "sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"},
		Packages: fixturePackages(),
		OS:       &OS{Name: "debian", Version: "12"},
		Created:  time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}
