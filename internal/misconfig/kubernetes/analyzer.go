// Package kubernetes checks Kubernetes manifests for misconfiguration: every
// control of the Pod Security Standards (baseline and restricted, as
// Kubernetes v1.35 defines them) and hardening checks beyond them.
//
// Manifests are read with gopkg.in/yaml.v3 into yaml.Node trees rather than
// decoded into k8s.io/api types: the node tree keeps the line of every field,
// so a finding points at the line to change, and it avoids a large dependency.
// Kustomize directories are out of scope here; they are built elsewhere and
// their output is checked like any manifest.
package kubernetes

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// Analyzer finds misconfigured Kubernetes objects in YAML and JSON files.
type Analyzer struct {
	c *finding.Collector
}

// NewAnalyzer returns an Analyzer that adds its findings to c.
func NewAnalyzer(c *finding.Collector) *Analyzer { return &Analyzer{c: c} }

// Name identifies the analyzer in logs and warnings.
func (a *Analyzer) Name() string { return "kubernetes" }

// Wants reports whether the file may be a manifest: a .yaml, .yml or .json
// file of at most maxFileSize bytes.
func (a *Analyzer) Wants(p string, info fs.FileInfo) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
	default:
		return false
	}
	return info == nil || (info.Mode().IsRegular() && info.Size() <= maxFileSize)
}

// Analyze checks every Kubernetes object in the file. Files that hold no
// Kubernetes object are ignored; an object that does not decode is reported
// as an error naming the file and line, and the file's other objects are
// still checked.
func (a *Analyzer) Analyze(ctx context.Context, f *walk.File) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := f.ReadAll(maxFileSize)
	if err != nil {
		return err
	}
	findings, err := analyze(f, data)
	a.c.Add(findings...)
	return err
}

// analyze decodes and checks one file's contents.
func analyze(f *walk.File, data []byte) ([]finding.Finding, error) {
	if !sniff(data) {
		return nil, nil
	}
	objs, decErr := decode(data)
	findings, chkErr := check(f, objs)
	if decErr != nil {
		decErr = fmt.Errorf("parse %s: %w", f.Path, decErr)
	}
	switch {
	case decErr != nil && chkErr != nil:
		return findings, fmt.Errorf("%w\n%w", decErr, chkErr)
	case decErr != nil:
		return findings, decErr
	}
	return findings, chkErr
}

// Check checks the Kubernetes objects of an in-memory manifest (a YAML
// stream or a JSON document) as Analyze checks a file. The findings are
// located at path, layer and createdBy; lines are lines of data. Rendered
// manifests, such as the output of a kustomize build, are checked this way.
func Check(path string, data []byte, layer, createdBy string) ([]finding.Finding, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit for a manifest", path, len(data), maxFileSize)
	}
	f := walk.BytesFile(path, data)
	f.Layer, f.CreatedBy = layer, createdBy
	return analyze(f, data)
}
