// Package version orders version strings the way each ecosystem does.
//
// It is a thin adapter over osv-scalibr's semantic package, which implements
// the orderings OSV itself uses for its ecosystems (Go and crates.io semver,
// npm semver, PEP 440, Maven, RubyGems, Packagist, NuGet, Debian, Alpine,
// RPM-based distributions, …).
package version
