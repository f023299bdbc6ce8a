package kustomize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// kustomizationNames are the file names kustomize recognises, in the order
// it looks for them.
var kustomizationNames = [...]string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// errRemote marks a reference kustomize would fetch over the network.
var errRemote = errors.New("remote reference refused: redline never fetches remote bases or files")

// userAt matches the "user@" of an scp-style git URL (git@github.com:org/repo).
var userAt = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// remote reports whether kustomize would treat ref as a URL or git
// repository: an http(s), ssh or file URL, an scp-style git address or a
// github.com path. It errs towards refusing.
func remote(ref string) bool {
	s := strings.ToLower(strings.TrimSpace(ref))
	s = strings.TrimPrefix(s, "git::")
	return strings.Contains(s, "://") ||
		strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "github.com:") ||
		userAt.MatchString(s)
}

// kustomization holds the fields of a kustomization file that name other
// files or directories.
type kustomization struct {
	Resources             []string          `yaml:"resources"`
	Bases                 []string          `yaml:"bases"`
	Components            []string          `yaml:"components"`
	CRDs                  []string          `yaml:"crds"`
	Configurations        []string          `yaml:"configurations"`
	Generators            []string          `yaml:"generators"`
	Transformers          []string          `yaml:"transformers"`
	Validators            []string          `yaml:"validators"`
	PatchesStrategicMerge []string          `yaml:"patchesStrategicMerge"`
	Patches               []pathRef         `yaml:"patches"`
	PatchesJSON6902       []pathRef         `yaml:"patchesJson6902"`
	Replacements          []pathRef         `yaml:"replacements"`
	OpenAPI               map[string]string `yaml:"openapi"`
	ConfigMapGenerator    []generatorArgs   `yaml:"configMapGenerator"`
	SecretGenerator       []generatorArgs   `yaml:"secretGenerator"`
	HelmCharts            []yaml.Node       `yaml:"helmCharts"`
	HelmChartInflation    []yaml.Node       `yaml:"helmChartInflationGenerator"`
}

type pathRef struct {
	Path string `yaml:"path"`
}

type generatorArgs struct {
	Files []string `yaml:"files"`
	Envs  []string `yaml:"envs"`
	Env   string   `yaml:"env"`
}

// refChecker follows a kustomization and every local base it names, and
// refuses what kustomize must not be asked to build: remote references,
// absolute paths, paths leaving the scanned root and Helm charts.
type refChecker struct {
	root    string          // scan root, absolute, symlinks resolved
	visited map[string]bool // kustomization directories already checked
}

// checkRefs checks the kustomization in dir (an absolute path inside root)
// and its bases, recursively.
func checkRefs(root, dir string) error {
	rc := &refChecker{root: root, visited: map[string]bool{}}
	return rc.dir(dir, 0)
}

// findKustomization returns the path of the kustomization file in dir, or ""
// if there is none.
func findKustomization(dir string) string {
	for _, n := range kustomizationNames {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// rel names p in messages: slash-separated and relative to the scan root,
// so that errors do not depend on where the target was on disk.
func (rc *refChecker) rel(p string) string {
	if r, err := filepath.Rel(rc.root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func (rc *refChecker) dir(dir string, depth int) error {
	real, err := resolve(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", rc.rel(dir), err)
	}
	if rc.visited[real] {
		return nil
	}
	rc.visited[real] = true
	if depth > maxDepth || len(rc.visited) > maxKustomizations {
		return fmt.Errorf("%s: more than %d nested or %d kustomizations", rc.rel(dir), maxDepth, maxKustomizations)
	}
	file := findKustomization(dir)
	if file == "" {
		return nil // a plain directory of resources: kustomize reports it
	}
	name := rc.rel(file)
	if !within(rc.root, file) {
		return fmt.Errorf("%s: %w", name, errOutside)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if fi.Size() > maxKustomizationBytes {
		return fmt.Errorf("%s: %d bytes is over the %d-byte limit for a kustomization", name, fi.Size(), maxKustomizationBytes)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflation) > 0 {
		return fmt.Errorf("%s: helm charts are not supported (they need the helm binary and may fetch charts)", name)
	}
	// Directories and files kustomize may load as bases.
	for _, list := range [][]string{k.Resources, k.Bases, k.Components} {
		for _, ref := range list {
			if err := rc.base(name, dir, ref, depth); err != nil {
				return err
			}
		}
	}
	// References to single files.
	var files []string
	for _, list := range [][]string{k.CRDs, k.Configurations, k.Generators, k.Transformers, k.Validators, k.PatchesStrategicMerge} {
		for _, ref := range list {
			if !strings.Contains(ref, "\n") { // not an inline document
				files = append(files, ref)
			}
		}
	}
	for _, list := range [][]pathRef{k.Patches, k.PatchesJSON6902, k.Replacements} {
		for _, r := range list {
			files = append(files, r.Path)
		}
	}
	files = append(files, k.OpenAPI["path"])
	for _, g := range append(k.ConfigMapGenerator, k.SecretGenerator...) {
		for _, f := range g.Files {
			if _, p, ok := strings.Cut(f, "="); ok {
				f = p
			}
			files = append(files, f)
		}
		files = append(files, g.Envs...)
		files = append(files, g.Env)
	}
	for _, ref := range files {
		if ref == "" {
			continue
		}
		if err := rc.local(name, dir, ref); err != nil {
			return err
		}
	}
	return nil
}

// local checks that ref is a relative path that stays inside the root.
func (rc *refChecker) local(file, dir, ref string) error {
	switch {
	case remote(ref):
		return fmt.Errorf("%s: %q: %w", file, ref, errRemote)
	case filepath.IsAbs(ref):
		return fmt.Errorf("%s: %q: absolute paths are refused", file, ref)
	case !within(rc.root, filepath.Join(dir, ref)):
		return fmt.Errorf("%s: %q: %w", file, ref, errOutside)
	}
	return nil
}

// base checks a resource, base or component and follows it when it is a
// directory.
func (rc *refChecker) base(file, dir, ref string, depth int) error {
	if err := rc.local(file, dir, ref); err != nil {
		return err
	}
	p := filepath.Join(dir, ref)
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("%s: %q: not found in the scanned directory", file, ref)
	}
	if fi.IsDir() {
		return rc.dir(p, depth+1)
	}
	return nil
}
