package store

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// bigScan makes a scan of n findings on target name.
func bigScan(id, name string, n int) *Scan {
	tg := finding.Target{Kind: "image", Name: name}
	fs := make([]finding.Finding, n)
	for i := range fs {
		fs[i] = vulnIn(tg, fmt.Sprintf("GHSA-%06d", i), fmt.Sprintf("pkg-%d", i%500), finding.Severity(i%5))
		fs[i].Description = "A long enough description of the vulnerability to be realistic in size."
		fs[i].References = []string{"https://osv.dev/vulnerability/" + fs[i].RuleID}
	}
	return &Scan{ID: id, Product: "bench", Actor: "ci", Target: tg, Findings: fs, FailOn: "none"}
}

// BenchmarkIngest10k measures ingesting a 10,000-finding report: into a new
// target (every finding new) and again into the same target with 10% of
// the findings changed (seen, fixed and new ones).
func BenchmarkIngest10k(b *testing.B) {
	for _, be := range []backend{sqliteBackend(), postgresBackend()} {
		b.Run(be.name, func(b *testing.B) {
			d, _ := be.open(b, Options{})
			ctx := context.Background()
			b.Run("new", func(b *testing.B) {
				run := strconv.FormatInt(time.Now().UnixNano(), 36) // -count runs share the store
				scans := make([]*Scan, b.N)
				for i := range scans {
					scans[i] = bigScan("new-"+run+"-"+strconv.Itoa(i), "img-"+run+"-"+strconv.Itoa(i), 10_000)
				}
				b.ResetTimer()
				for i := range b.N {
					if res, err := d.Ingest(ctx, scans[i]); err != nil || res.New != 10_000 {
						b.Fatalf("%+v %v", res, err)
					}
				}
			})
			b.Run("rescan", func(b *testing.B) {
				run := strconv.FormatInt(time.Now().UnixNano(), 36)
				base := bigScan("base-"+run, "rescan-"+run, 11_000)
				first := *base
				first.Findings = base.Findings[:10_000]
				if _, err := d.Ingest(ctx, &first); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := range b.N {
					s := *base
					s.ID = fmt.Sprintf("re-%s-%d", run, i)
					off := ((i + 1) % 2) * 1000 // alternate: 1,000 fixed and 1,000 new or reopened each time
					s.Findings = base.Findings[off : off+10_000]
					if res, err := d.Ingest(ctx, &s); err != nil || res.Duplicate || res.Fixed != 1000 {
						b.Fatalf("%+v %v", res, err)
					}
				}
			})
		})
	}
}

// benchFindings is how many findings BenchmarkQueries stores:
// REDLINE_BENCH_FINDINGS, default 1,000,000.
func benchFindings(b *testing.B) int {
	if s := os.Getenv("REDLINE_BENCH_FINDINGS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("REDLINE_BENCH_FINDINGS=%q: want a number of at least 1000", s)
		}
		return n
	}
	return 1_000_000
}

// fill stores n synthetic findings over 200 targets in 4 products, with
// bulk INSERT … SELECT (a recursive CTE on SQLite, generate_series on
// PostgreSQL): states 60% open, 10% in triage, 20% fixed, 5% accepted, 5%
// false positive; severities even; first seen spread over 400 days.
func fill(b *testing.B, d *DB, n int) { fillT(b, d, n) }

func fillT(b testing.TB, d *DB, n int) {
	ctx := context.Background()
	now := unix(d.now())
	err := d.inTx(ctx, func(t *tx) error {
		for p := range 4 {
			if _, err := t.exec(ctx, "INSERT INTO products (name, created_at) VALUES (?, ?)", fmt.Sprintf("product-%d", p), now); err != nil {
				return err
			}
		}
		for i := range 200 {
			if _, err := t.exec(ctx, "INSERT INTO targets (product_id, kind, name, created_at) VALUES ((SELECT id FROM products WHERE name = ?), 'image', ?, ?)",
				fmt.Sprintf("product-%d", i%4), fmt.Sprintf("registry.example/app-%d:1", i), now); err != nil {
				return err
			}
		}
		fp, series := "printf('%032x', x)", "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c) s"
		if d.engine == enginePostgres {
			fp, series = "lpad(to_hex(x), 32, '0')", "generate_series(1, ?::bigint) AS s(x)"
		}
		// State, severity and target come from independent digits of x, so
		// every filter combination has matches.
		stateExpr := `CASE WHEN (x / 4) % 20 < 12 THEN 'open' WHEN (x / 4) % 20 < 14 THEN 'in_triage' WHEN (x / 4) % 20 < 18 THEN 'fixed' WHEN (x / 4) % 20 < 19 THEN 'accepted' ELSE 'false_positive' END`
		first := "(? - (x % 400) * 86400 - x % 86400)"
		_, err := t.exec(ctx, `INSERT INTO findings (target_id, fingerprint, kind, rule_id, title, severity, risk,
			package_name, package_version, package_ecosystem, location, fix, raw, content_hash,
			state, first_seen, last_seen, state_changed_at, fixed_at, accepted_until, last_scan_id)
			SELECT (x % 200) + 1, `+fp+`, CASE WHEN x % 7 = 0 THEN 'secret' ELSE 'vulnerability' END,
				'GHSA-' || (x % 50000), 'Vulnerability number ' || x, (x / 80) % 5, ((x / 80) % 5) * 2.0,
				'pkg-' || (x % 3000), '1.0.' || (x % 10), 'Go', '{"path":"go.mod"}', 'null', '{}', 'h',
				`+stateExpr+`, `+first+`, ?, ?,
				CASE WHEN (x / 4) % 20 >= 14 AND (x / 4) % 20 < 18 THEN `+first+` + (x % 90) * 86400 ELSE NULL END,
				CASE WHEN (x / 4) % 20 = 18 THEN ? + 86400 * 30 ELSE NULL END, 'bench'
			FROM `+series, now, now, now, now, now, n)
		if err != nil {
			return fmt.Errorf("bulk insert: %w", err)
		}
		_, err = t.exec(ctx, `INSERT INTO scans (id, target_id, received_at, uploaded_by, digest, tool_version, report_sha256,
			findings, new_findings, fixed_findings, reopened, blocked, fail_on)
			SELECT 'b' || x, (x % 200) + 1, ? - (x % 90) * 86400, 'ci', '', '', '', 0, 0, 0, 0, 1, 'high' FROM `+series, now, 2000)
		if err != nil {
			return fmt.Errorf("bulk insert scans: %w", err)
		}
		_, err = t.exec(ctx, `INSERT INTO blocked_builds (scan_id, target_id, at, fail_on)
			SELECT 'b' || x, (x % 200) + 1, ? - (x % 90) * 86400, 'high' FROM `+series, now, 2000)
		if err != nil {
			return fmt.Errorf("bulk insert blocked builds: %w", err)
		}
		_, err = t.exec(ctx, `INSERT INTO blocked_build_findings (blocked_build_id, finding_id)
			SELECT x, (x * 37) % ? + 1 FROM `+series, n, 2000)
		if err != nil {
			return fmt.Errorf("bulk insert blocking findings: %w", err)
		}
		// The bulk rows bypass ingest: build the open-finding counts the way
		// migration 0002 does.
		_, err = t.exec(ctx, `INSERT INTO open_rollup (product_id, severity, first_day, n, risk10)
			SELECT t.product_id, f.severity, f.first_seen / 86400, COUNT(*), SUM(CAST(ROUND(f.risk * 10) AS BIGINT))
			FROM findings f JOIN targets t ON t.id = f.target_id WHERE f.state IN ('open', 'in_triage')
			GROUP BY t.product_id, f.severity, f.first_seen / 86400`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.write.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	// The bulk insert is one transaction of hundreds of megabytes; the
	// server's uploads are bounded and checkpointed as they commit. Fold
	// the write-ahead log into the database so the queries measure the
	// store, not a WAL no real server carries.
	if d.engine == engineSQLite {
		if _, err := d.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueries measures KPI and finding-list queries with (by default)
// 1,000,000 findings stored, and reports the 95th percentile latency.
func BenchmarkQueries(b *testing.B) {
	for _, be := range []backend{sqliteBackend(), postgresBackend()} {
		b.Run(be.name, func(b *testing.B) {
			d, _ := be.open(b, Options{})
			n := benchFindings(b)
			start := time.Now()
			fill(b, d, n)
			b.Logf("%s: stored %d findings in %v", be.name, n, time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			page, err := d.Findings(ctx, FindingQuery{States: []State{StateOpen}, Limit: 100})
			if err != nil {
				b.Fatal(err)
			}
			page2, err := d.Findings(ctx, FindingQuery{States: []State{StateOpen}, Limit: 100, Cursor: page.Next})
			if err != nil || page2.Prev == "" {
				b.Fatalf("second page: prev %q, %v", page2.Prev, err)
			}
			queries := []struct {
				name string
				run  func() error
			}{
				{"kpis-all", func() error { _, err := d.KPIs(ctx, KPIQuery{}); return err }},
				{"kpis-product", func() error { _, err := d.KPIs(ctx, KPIQuery{Product: "product-1"}); return err }},
				{"list-open", func() error {
					_, err := d.Findings(ctx, FindingQuery{States: []State{StateOpen, StateInTriage}, Limit: 100})
					return err
				}},
				{"list-next-page", func() error {
					_, err := d.Findings(ctx, FindingQuery{States: []State{StateOpen}, Limit: 100, Cursor: page.Next})
					return err
				}},
				{"list-prev-page", func() error {
					_, err := d.Findings(ctx, FindingQuery{States: []State{StateOpen}, Limit: 100, Cursor: page2.Prev})
					return err
				}},
				{"list-product-critical", func() error {
					_, err := d.Findings(ctx, FindingQuery{Product: "product-2", Severities: []finding.Severity{finding.SeverityCritical}, States: []State{StateOpen}, Limit: 100})
					return err
				}},
				{"list-target", func() error {
					_, err := d.Findings(ctx, FindingQuery{TargetID: 17, Limit: 100})
					return err
				}},
				{"list-search", func() error {
					_, err := d.Findings(ctx, FindingQuery{Text: "GHSA-4242", Limit: 100})
					return err
				}},
				{"detail", func() error { _, err := d.Finding(ctx, page.Findings[0].ID); return err }},
			}
			for _, q := range queries {
				b.Run(q.name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					for range b.N {
						t0 := time.Now()
						if err := q.run(); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[(len(lat)*95+99)/100-1].Microseconds())/1000, "p95-ms")
				})
			}
		})
	}
}
