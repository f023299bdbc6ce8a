package scan

import (
	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// visiblePackages keeps the packages an image still contains: the walk reads
// every layer, so a lockfile or binary that a later layer replaced or deleted
// was cataloged too. A package keeps only its locations in the squashed tree
// and is dropped when it has none. Artifacts without layers keep everything.
func visiblePackages(a artifact.Artifact, pkgs []inventory.Package) []inventory.Package {
	layered, ok := a.(artifact.Layered)
	if !ok {
		return pkgs
	}
	out := pkgs[:0]
	for _, p := range pkgs {
		var locs []finding.Location
		for _, l := range p.Locations {
			if layered.Visible(l.Path, l.Layer) {
				locs = append(locs, l)
			}
		}
		if len(locs) == 0 {
			continue
		}
		p.Locations = locs
		out = append(out, p)
	}
	return out
}

// visibleFindings keeps the findings about files still in an image's
// squashed tree: a misconfigured manifest that a later layer deleted ships
// no more. (Secrets are different: a deleted file's content is still in its
// layer, so the secret analyzer's findings are kept whatever Visible says.)
func visibleFindings(a artifact.Artifact, fs []finding.Finding) []finding.Finding {
	layered, ok := a.(artifact.Layered)
	if !ok {
		return fs
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Kind == finding.KindSecret || layered.Visible(f.Location.Path, f.Location.Layer) {
			out = append(out, f)
		}
	}
	return out
}
