package match

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/vulndb"
)

// osvRecord is the part of an OSV record the tests convert. The real
// conversion is vulndb's; this one is deliberately minimal.
type osvRecord struct {
	ID        string   `json:"id"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Aliases   []string `json:"aliases"`
	Related   []string `json:"related"`
	Upstream  []string `json:"upstream"`
	Withdrawn string   `json:"withdrawn"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges            []vulndb.Range `json:"ranges"`
		Versions          []string       `json:"versions"`
		EcosystemSpecific struct {
			Imports  []vulndb.GoImport `json:"imports"`
			Severity string            `json:"severity"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		Severity string   `json:"severity"`
		CWEIDs   []string `json:"cwe_ids"`
	} `json:"database_specific"`
}

// memSource is an in-memory Source that counts its queries. Like
// vulndb.DB, Affected matches the ecosystem exactly, release included.
type memSource struct {
	mu       sync.Mutex
	affected map[queryKey][]vulndb.Affected
	vulns    map[string]*vulndb.Vuln
	queries  map[queryKey]int
	fetches  map[string]int
}

func newMemSource() *memSource {
	return &memSource{
		affected: make(map[queryKey][]vulndb.Affected),
		vulns:    make(map[string]*vulndb.Vuln),
		queries:  make(map[queryKey]int),
		fetches:  make(map[string]int),
	}
}

func (s *memSource) Affected(ctx context.Context, ecosystem, name string) ([]vulndb.Affected, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := queryKey{ecosystem, name}
	s.queries[k]++
	return s.affected[k], nil
}

func (s *memSource) Vuln(ctx context.Context, id string) (*vulndb.Vuln, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches[id]++
	v, ok := s.vulns[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", vulndb.ErrNotFound, id)
	}
	return v, nil
}

// add stores a record the way vulndb would: one Affected per affected
// entry under its (ecosystem, name), and the record for reports.
func (s *memSource) add(r *osvRecord) {
	sev, _ := finding.ParseSeverity(r.DatabaseSpecific.Severity)
	v := &vulndb.Vuln{
		ID: r.ID, Summary: r.Summary, Details: r.Details,
		Aliases: r.Aliases, Related: r.Related, Upstream: r.Upstream,
		Severity: sev, CWEs: r.DatabaseSpecific.CWEIDs,
	}
	for _, sv := range r.Severity {
		if ver, ok := strings.CutPrefix(sv.Score, "CVSS:"); ok && len(ver) >= 3 {
			v.CVSS = append(v.CVSS, finding.CVSS{Version: ver[:3], Vector: sv.Score})
		}
	}
	for _, ref := range r.References {
		v.References = append(v.References, ref.URL)
	}
	s.vulns[r.ID] = v
	for _, a := range r.Affected {
		if a.Package.Name == "" {
			continue
		}
		k := queryKey{a.Package.Ecosystem, a.Package.Name}
		s.affected[k] = append(s.affected[k], vulndb.Affected{
			ID: r.ID, Ecosystem: a.Package.Ecosystem, Package: a.Package.Name,
			Ranges: a.Ranges, Versions: a.Versions,
			Imports: a.EcosystemSpecific.Imports, Severity: a.EcosystemSpecific.Severity,
		})
	}
}

// loadSource reads every record under testdata/osv/<dir> for each dir,
// skipping withdrawn ones as vulndb does.
func loadSource(t testing.TB, dirs ...string) *memSource {
	t.Helper()
	s := newMemSource()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join("testdata", "osv", dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no records in testdata/osv/%s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var r osvRecord
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if r.Withdrawn == "" {
				s.add(&r)
			}
		}
	}
	return s
}
