// Package kustomize builds Kustomize directories with the kustomize API and
// checks the objects they render with the Kubernetes manifest checks.
//
// Only directory targets are supported: the build reads the scanned
// directory on disk, confined to it, and never fetches anything. Remote
// bases and files (URLs, git repositories), Helm charts, plugins and paths
// that leave the scanned directory are refused before the build starts.
package kustomize

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/misconfig/kubernetes"
	"github.com/redline-sec/redline/internal/walk"
)

// Limits on one build.
const (
	maxKustomizationBytes = 1 << 20 // one kustomization file
	maxFileBytes          = 8 << 20 // any one file the build reads
	maxKustomizations     = 200     // kustomizations reachable from one root
	maxDepth              = 20      // nesting of bases
	maxResources          = 5000    // objects one build renders
	maxOutputBytes        = 8 << 20 // rendered YAML, the manifest checks' limit
	defaultTimeout        = 30 * time.Second
)

// Options configure an Analyzer.
type Options struct {
	// Root is the scanned directory on disk. Paths the walk hands over are
	// relative to it. Without a Root the analyzer wants nothing.
	Root string
	// Timeout bounds one build; 0 means 30 seconds.
	Timeout time.Duration
}

// Analyzer builds every kustomization of a directory target and reports
// the misconfigurations of the rendered objects at the kustomization file.
type Analyzer struct {
	c    *finding.Collector
	opts Options
}

// NewAnalyzer returns an Analyzer that adds its findings to c.
func NewAnalyzer(c *finding.Collector, opts Options) *Analyzer {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	return &Analyzer{c: c, opts: opts}
}

// Name identifies the analyzer in logs and warnings.
func (a *Analyzer) Name() string { return "kustomize" }

// Wants reports whether p is a kustomization file (kustomization.yaml,
// kustomization.yml or Kustomization) of a directory target.
func (a *Analyzer) Wants(p string, info fs.FileInfo) bool {
	if a.opts.Root == "" {
		return false
	}
	base := path.Base(p)
	for _, n := range kustomizationNames {
		if base == n {
			return info == nil || info.Mode().IsRegular()
		}
	}
	return false
}

// Analyze builds the kustomization's directory and checks what it renders.
// A kustomization that is refused or fails to build is returned as an
// error naming the file.
func (a *Analyzer) Analyze(ctx context.Context, f *walk.File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	findings, err := a.build(ctx, f)
	if err != nil {
		return fmt.Errorf("kustomize build %s: %w", f.Path, err)
	}
	a.c.Add(findings...)
	return nil
}

// build renders the directory of f and checks the result.
func (a *Analyzer) build(ctx context.Context, f *walk.File) ([]finding.Finding, error) {
	rel := path.Clean(f.Path)
	if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("path %q leaves the scanned directory", f.Path)
	}
	fsys, err := newConfinedFS(a.opts.Root)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(fsys.root, filepath.FromSlash(path.Dir(rel)))
	if !within(fsys.root, dir) {
		return nil, fmt.Errorf("%s: %w", dir, errOutside)
	}
	// kustomize builds the first recognised file of a directory; build
	// each directory once, from that file.
	if filepath.Base(findKustomization(dir)) != path.Base(rel) {
		return nil, nil
	}
	if err := checkRefs(fsys.root, dir); err != nil {
		return nil, err
	}
	out, err := run(ctx, fsys, dir, a.opts.Timeout)
	if err != nil {
		return nil, err
	}
	findings, err := kubernetes.Check(f.Path, out, f.Layer, f.CreatedBy)
	if err != nil {
		return findings, fmt.Errorf("check rendered objects: %w", err)
	}
	for i := range findings {
		// Lines of the rendered stream mean nothing in the kustomization.
		findings[i].Location.Line = 0
		findings[i].Description = "rendered by kustomize: " + findings[i].Description
	}
	return findings, nil
}

// run builds dir with plugins, Helm and loads outside each kustomization's
// own directory disabled, and returns the rendered YAML stream. A build that
// outlives the timeout is abandoned; it has no network access to wait on.
func run(ctx context.Context, fsys *confinedFS, dir string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		// kustomize panics on some inputs it does not expect; a panic in
		// this goroutine would end the whole scan.
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: fmt.Errorf("kustomize failed on this input: %v", v)}
			}
		}()
		out, err := render(fsys, dir)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("build: %w", ctx.Err())
	}
}

func render(fsys *confinedFS, dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	m, err := krusty.MakeKustomizer(opts).Run(fsys, dir)
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), fsys.root+string(filepath.Separator), ""))
	}
	if n := m.Size(); n > maxResources {
		return nil, fmt.Errorf("renders %d objects, over the limit of %d", n, maxResources)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if len(out) > maxOutputBytes {
		return nil, fmt.Errorf("renders %d bytes, over the limit of %d", len(out), maxOutputBytes)
	}
	return out, nil
}
