// Package threagile imports Threagile models (threagile.yaml) into Redline
// architecture models: data assets, technical assets, trust boundaries,
// communication links, shared runtimes and risk tracking, with
// confidentiality mapped by rank and accepted risks carried over as
// time-boxed exceptions.
package threagile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// The Threagile model as documented in its schema (support/schema.json)
// and example models. Only what the import maps is read; other keys
// (diagram tweaks, report texts) are accepted and ignored, as Threagile
// itself does.

type file struct {
	ThreagileVersion     string                    `yaml:"threagile_version"`
	Includes             []string                  `yaml:"includes"`
	Title                string                    `yaml:"title"`
	Date                 string                    `yaml:"date"`
	Author               author                    `yaml:"author"`
	ManagementSummary    string                    `yaml:"management_summary_comment"`
	BusinessCriticality  string                    `yaml:"business_criticality"`
	BusinessOverview     overview                  `yaml:"business_overview"`
	Questions            map[string]string         `yaml:"questions"`
	AbuseCases           map[string]string         `yaml:"abuse_cases"`
	SecurityRequirements map[string]string         `yaml:"security_requirements"`
	DataAssets           map[string]dataAsset      `yaml:"data_assets"`
	TechnicalAssets      map[string]technicalAsset `yaml:"technical_assets"`
	TrustBoundaries      map[string]trustBoundary  `yaml:"trust_boundaries"`
	SharedRuntimes       map[string]sharedRuntime  `yaml:"shared_runtimes"`
	RiskTracking         map[string]riskTracking   `yaml:"risk_tracking"`
	// Both spellings of custom risk categories exist in the wild: the
	// legacy map and the newer list. Neither is imported (they are not
	// rules Redline can evaluate); their presence is reported.
	IndividualRiskCategories yaml.Node `yaml:"individual_risk_categories"`
	CustomRiskCategories     yaml.Node `yaml:"custom_risk_categories"`
}

type author struct {
	Name     string `yaml:"name"`
	Homepage string `yaml:"homepage"`
}

type overview struct {
	Description string `yaml:"description"`
}

type dataAsset struct {
	ID              string   `yaml:"id"`
	Description     string   `yaml:"description"`
	Usage           string   `yaml:"usage"`
	Tags            []string `yaml:"tags"`
	Origin          string   `yaml:"origin"`
	Owner           string   `yaml:"owner"`
	Quantity        string   `yaml:"quantity"`
	Confidentiality string   `yaml:"confidentiality"`
	Integrity       string   `yaml:"integrity"`
	Availability    string   `yaml:"availability"`
}

type technicalAsset struct {
	ID                   string                       `yaml:"id"`
	Description          string                       `yaml:"description"`
	Type                 string                       `yaml:"type"`
	Usage                string                       `yaml:"usage"`
	UsedAsClientByHuman  bool                         `yaml:"used_as_client_by_human"`
	OutOfScope           bool                         `yaml:"out_of_scope"`
	Size                 string                       `yaml:"size"`
	Technology           string                       `yaml:"technology"`
	Technologies         []string                     `yaml:"technologies"`
	Tags                 []string                     `yaml:"tags"`
	Internet             bool                         `yaml:"internet"`
	Machine              string                       `yaml:"machine"`
	Encryption           string                       `yaml:"encryption"`
	Owner                string                       `yaml:"owner"`
	Confidentiality      string                       `yaml:"confidentiality"`
	Integrity            string                       `yaml:"integrity"`
	Availability         string                       `yaml:"availability"`
	MultiTenant          bool                         `yaml:"multi_tenant"`
	Redundant            bool                         `yaml:"redundant"`
	CustomDevelopedParts bool                         `yaml:"custom_developed_parts"`
	DataAssetsProcessed  []string                     `yaml:"data_assets_processed"`
	DataAssetsStored     []string                     `yaml:"data_assets_stored"`
	DataFormatsAccepted  []string                     `yaml:"data_formats_accepted"`
	CommunicationLinks   map[string]communicationLink `yaml:"communication_links"`
}

type communicationLink struct {
	Target             string   `yaml:"target"`
	Description        string   `yaml:"description"`
	Protocol           string   `yaml:"protocol"`
	Authentication     string   `yaml:"authentication"`
	Authorization      string   `yaml:"authorization"`
	Tags               []string `yaml:"tags"`
	VPN                bool     `yaml:"vpn"`
	IPFiltered         bool     `yaml:"ip_filtered"`
	ReadOnly           bool     `yaml:"readonly"`
	Usage              string   `yaml:"usage"`
	DataAssetsSent     []string `yaml:"data_assets_sent"`
	DataAssetsReceived []string `yaml:"data_assets_received"`
}

type trustBoundary struct {
	ID                    string   `yaml:"id"`
	Description           string   `yaml:"description"`
	Type                  string   `yaml:"type"`
	Tags                  []string `yaml:"tags"`
	TechnicalAssetsInside []string `yaml:"technical_assets_inside"`
	TrustBoundariesNested []string `yaml:"trust_boundaries_nested"`
}

type sharedRuntime struct {
	ID                     string   `yaml:"id"`
	Description            string   `yaml:"description"`
	Tags                   []string `yaml:"tags"`
	TechnicalAssetsRunning []string `yaml:"technical_assets_running"`
}

type riskTracking struct {
	Status        string `yaml:"status"`
	Justification string `yaml:"justification"`
	Ticket        string `yaml:"ticket"`
	Date          string `yaml:"date"`
	CheckedBy     string `yaml:"checked_by"`
}

// Limits bound the cost of reading a Threagile model.
type Limits struct {
	MaxFileSize int64 // bytes per file (default 16 MiB)
	MaxFiles    int   // files, includes counted (default 64)
	MaxNodes    int   // YAML nodes per file with aliases expanded (default 1,000,000)
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = 16 << 20
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 64
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = 1_000_000
	}
	return l
}

// read decodes a Threagile model and its includes from fsys. Included
// files are merged into the including one; an element defined twice is an
// error, as is an include cycle.
func read(ctx context.Context, fsys fs.FS, name string, limits Limits) (*file, error) {
	r := &reader{fsys: fsys, limits: limits.withDefaults(), seen: make(map[string]bool)}
	return r.read(ctx, name, nil)
}

type reader struct {
	fsys   fs.FS
	limits Limits
	seen   map[string]bool
}

func (r *reader) read(ctx context.Context, name string, chain []string) (*file, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, c := range chain {
		if c == name {
			return nil, fmt.Errorf("include cycle: %s -> %s", strings.Join(chain, " -> "), name)
		}
	}
	if len(r.seen) >= r.limits.MaxFiles {
		return nil, fmt.Errorf("%s: model has more than %d files", name, r.limits.MaxFiles)
	}
	r.seen[name] = true
	f, err := r.fsys.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > r.limits.MaxFileSize {
		return nil, fmt.Errorf("%s: file is %d bytes, larger than the %d-byte limit", name, st.Size(), r.limits.MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, r.limits.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > r.limits.MaxFileSize {
		return nil, fmt.Errorf("%s: file is larger than the %d-byte limit", name, r.limits.MaxFileSize)
	}
	m, err := decode(name, data, r.limits.MaxNodes)
	if err != nil {
		return nil, err
	}
	next := append(append([]string(nil), chain...), name)
	for _, inc := range m.Includes {
		if inc == "" || path.IsAbs(inc) || strings.Contains(inc, `\`) {
			return nil, fmt.Errorf("%s: include %q: want a relative path with forward slashes", name, inc)
		}
		target := path.Join(path.Dir(name), inc)
		if !fs.ValidPath(target) {
			return nil, fmt.Errorf("%s: include %q leaves the model's directory", name, inc)
		}
		sub, err := r.read(ctx, target, next)
		if err != nil {
			return nil, err
		}
		if err := merge(m, sub, target); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// decode parses one file. The YAML is read into nodes first, without
// expanding aliases, and refused when expanding them would give more than
// maxNodes nodes (an alias bomb), before yaml.v3 decodes it into structs. A
// panic inside the parser becomes an error.
func decode(name string, data []byte, maxNodes int) (m *file, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s: YAML parser failed: %v", name, r)
		}
	}()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if n := expandedSize(&doc, make(map[*yaml.Node]int), maxNodes); n > maxNodes {
		return nil, fmt.Errorf("%s: YAML aliases expand to more than %d nodes (an alias bomb?)", name, maxNodes)
	}
	var f file
	if err := doc.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &f, nil
}

// expandedSize counts the nodes of n with aliases expanded, memoised per
// node so the count itself stays linear; it stops early past limit.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, limit int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = limit + 1 // an alias cycle counts as too big
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, memo, limit)
	}
	for _, c := range n.Content {
		if size > limit {
			break
		}
		size += expandedSize(c, memo, limit)
	}
	memo[n] = size
	return size
}

// merge adds an included file's elements to m.
func merge(m, sub *file, subName string) error {
	if err := mergeMap(&m.DataAssets, sub.DataAssets, "data asset", subName); err != nil {
		return err
	}
	if err := mergeMap(&m.TechnicalAssets, sub.TechnicalAssets, "technical asset", subName); err != nil {
		return err
	}
	if err := mergeMap(&m.TrustBoundaries, sub.TrustBoundaries, "trust boundary", subName); err != nil {
		return err
	}
	if err := mergeMap(&m.SharedRuntimes, sub.SharedRuntimes, "shared runtime", subName); err != nil {
		return err
	}
	if err := mergeMap(&m.RiskTracking, sub.RiskTracking, "risk tracking entry", subName); err != nil {
		return err
	}
	for _, p := range []struct {
		dst *map[string]string
		src map[string]string
	}{
		{&m.Questions, sub.Questions}, {&m.AbuseCases, sub.AbuseCases}, {&m.SecurityRequirements, sub.SecurityRequirements},
	} {
		if err := mergeMap(p.dst, p.src, "entry", subName); err != nil {
			return err
		}
	}
	return nil
}

func mergeMap[T any](dst *map[string]T, src map[string]T, what, subName string) error {
	if len(src) == 0 {
		return nil
	}
	if *dst == nil {
		*dst = make(map[string]T, len(src))
	}
	for k, v := range src {
		if _, dup := (*dst)[k]; dup {
			return fmt.Errorf("%s: %s %q is already defined", subName, what, k)
		}
		(*dst)[k] = v
	}
	return nil
}
