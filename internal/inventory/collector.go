package inventory

import (
	"context"
	"io/fs"
	"sync"

	"github.com/redline-sec/redline/internal/walk"
)

// Cataloger reads one file format and reports the packages it lists.
type Cataloger interface {
	// Name is a short id such as "package-lock" or "go-binary".
	Name() string
	// Wants reports whether the file at path is of this cataloger's format.
	// It is called for every file of a target and must be cheap; decide by
	// path and info only.
	Wants(path string, info fs.FileInfo) bool
	// Catalog parses the file. It returns what it could read even when it
	// also returns an error; errors should be *ParseError where the line is
	// known. Catalog must bound its memory use and never panic on bad input.
	Catalog(ctx context.Context, f *walk.File) ([]Package, error)
}

// Collector runs catalogers inside the single walk and gathers their packages.
// It implements walk.Analyzer and is safe for concurrent use.
type Collector struct {
	catalogers []Cataloger

	mu   sync.Mutex
	pkgs []Package
}

// NewCollector returns a collector over the given catalogers.
func NewCollector(cs ...Cataloger) *Collector { return &Collector{catalogers: cs} }

// Name identifies the collector in warnings.
func (c *Collector) Name() string { return "inventory" }

// Wants reports whether any cataloger wants the file.
func (c *Collector) Wants(path string, info fs.FileInfo) bool {
	for _, cat := range c.catalogers {
		if cat.Wants(path, info) {
			return true
		}
	}
	return false
}

// Analyze runs every cataloger that wants the file. Packages read before an
// error are kept; the first error is returned as the file's warning.
func (c *Collector) Analyze(ctx context.Context, f *walk.File) error {
	var firstErr error
	for _, cat := range c.catalogers {
		if !cat.Wants(f.Path, f.Info) {
			continue
		}
		pkgs, err := cat.Catalog(ctx, f)
		for i := range pkgs {
			if len(pkgs[i].Catalogers) == 0 {
				pkgs[i].Catalogers = []string{cat.Name()}
			}
			for j := range pkgs[i].Locations {
				if pkgs[i].Locations[j].Layer == "" {
					pkgs[i].Locations[j].Layer = f.Layer
					pkgs[i].Locations[j].CreatedBy = f.CreatedBy
				}
			}
		}
		if len(pkgs) > 0 {
			c.mu.Lock()
			c.pkgs = append(c.pkgs, pkgs...)
			c.mu.Unlock()
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// Packages returns everything collected so far, merged and sorted.
func (c *Collector) Packages() []Package {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Merge(c.pkgs)
}
