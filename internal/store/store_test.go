package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

var testTarget = finding.Target{Kind: "image", Name: "registry.example/shop/web:1.0"}

// vuln makes a vulnerability finding in a package of the test target.
func vuln(id, pkg string, sev finding.Severity) finding.Finding {
	return vulnIn(testTarget, id, pkg, sev)
}

func vulnIn(tg finding.Target, id, pkg string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		Kind: finding.KindVulnerability, RuleID: id, Title: id + " in " + pkg, Severity: sev, Target: tg,
		Location: finding.Location{Path: "app/go.mod"},
		Package:  &finding.Package{Name: pkg, Version: "1.0.0", Ecosystem: "Go"},
		Fix:      &finding.Fix{FixedVersions: []string{"1.0.1"}, Upgrade: "1.0.1"},
	}
	f.SetFingerprint()
	return f
}

func scanOf(id string, fs ...finding.Finding) *Scan {
	return &Scan{ID: id, Product: "shop", Actor: "ci", Target: testTarget, ToolVersion: "test", Findings: fs, FailOn: "none"}
}

func mustIngest(t *testing.T, d *DB, s *Scan) IngestResult {
	t.Helper()
	res, err := d.Ingest(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// states returns rule id → state of every finding of the store.
func states(t *testing.T, d *DB) map[string]State {
	t.Helper()
	out := map[string]State{}
	page, err := d.Findings(context.Background(), FindingQuery{Limit: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range page.Findings {
		out[f.RuleID] = f.State
	}
	return out
}

func findingID(t *testing.T, d *DB, rule string) int64 {
	t.Helper()
	page, err := d.Findings(context.Background(), FindingQuery{Text: rule, Limit: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range page.Findings {
		if f.RuleID == rule {
			return f.ID
		}
	}
	t.Fatalf("no finding %s", rule)
	return 0
}

func TestMigrations(t *testing.T) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) {
			d, reopen := b.open(t, Options{})
			var v int
			if err := d.queryRow(context.Background(), "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != SchemaVersion() || v < 1 {
				t.Fatalf("schema version %d, want %d", v, SchemaVersion())
			}
			// Replicas starting together: every open succeeds and the
			// migrations are recorded once.
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d2, err := reopen(Options{})
					if err == nil {
						d2.Close()
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := d.queryRow(context.Background(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != SchemaVersion() {
				t.Fatalf("%d migration rows, want %d", n, SchemaVersion())
			}
			// A database newer than the binary is refused.
			if _, err := d.write.Exec(d.q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"), 999, "future", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := reopen(Options{}); err == nil {
				t.Fatal("opened a database with a newer schema")
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		a, b, c := vuln("GO-A", "a", finding.SeverityCritical), vuln("GO-B", "b", finding.SeverityHigh), vuln("GO-C", "c", finding.SeverityLow)

		res := mustIngest(t, d, scanOf("s1", a, b, c))
		if res.New != 3 || res.Fixed != 0 || res.Product != "shop" || res.Duplicate {
			t.Fatalf("first scan: %+v", res)
		}
		clk.Advance(24 * time.Hour)
		res = mustIngest(t, d, scanOf("s2", a, b))
		if res.New != 0 || res.Fixed != 1 || res.Reopened != 0 {
			t.Fatalf("second scan: %+v", res)
		}
		if got := states(t, d); got["GO-C"] != StateFixed || got["GO-A"] != StateOpen {
			t.Fatalf("after second scan: %v", got)
		}
		// The same scan id again changes nothing.
		res = mustIngest(t, d, scanOf("s2", a))
		if !res.Duplicate || res.Fixed != 1 {
			t.Fatalf("duplicate: %+v", res)
		}
		if got := states(t, d); got["GO-B"] != StateOpen {
			t.Fatalf("a duplicate scan changed state: %v", got)
		}
		clk.Advance(24 * time.Hour)
		res = mustIngest(t, d, scanOf("s3", a, b, c))
		if res.Reopened != 1 || res.New != 0 {
			t.Fatalf("third scan: %+v", res)
		}
		det, err := d.Finding(ctx, findingID(t, d, "GO-C"))
		if err != nil {
			t.Fatal(err)
		}
		var moves []string
		for _, e := range det.History {
			moves = append(moves, fmt.Sprintf("%s>%s@%s", e.From, e.To, e.ScanID))
		}
		if want := []string{">open@s1", "open>fixed@s2", "fixed>open@s3"}; !slices.Equal(moves, want) {
			t.Fatalf("history %v, want %v", moves, want)
		}
		if det.FixedAt != nil || det.State != StateOpen || det.Raw.RuleID != "GO-C" || det.Package.Name != "c" {
			t.Fatalf("detail: %+v", det)
		}
		if !det.FirstSeen.Equal(newClock().Now()) || !det.LastSeen.Equal(clk.Now()) {
			t.Fatalf("first/last seen %v %v", det.FirstSeen, det.LastSeen)
		}
		// A changed finding (new severity) updates the record, not a new one.
		b2 := b
		b2.Severity = finding.SeverityCritical
		mustIngest(t, d, scanOf("s4", a, b2, c))
		page, _ := d.Findings(ctx, FindingQuery{})
		if len(page.Findings) != 3 {
			t.Fatalf("%d findings, want 3", len(page.Findings))
		}
		det, _ = d.Finding(ctx, findingID(t, d, "GO-B"))
		if det.Severity != finding.SeverityCritical {
			t.Fatalf("severity not updated: %v", det.Severity)
		}
		// False positives stay false positives when no longer seen.
		if _, err := d.Transition(ctx, det.ID, Change{To: StateFalsePositive, Actor: "alice", Reason: "not reachable"}); err != nil {
			t.Fatal(err)
		}
		mustIngest(t, d, scanOf("s5", a, c))
		if got := states(t, d); got["GO-B"] != StateFalsePositive {
			t.Fatalf("false positive became %s", got["GO-B"])
		}
	})
}

func TestTransitions(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		mustIngest(t, d, scanOf("s1", vuln("GO-A", "a", finding.SeverityHigh)))
		id := findingID(t, d, "GO-A")
		future := clk.Now().Add(48 * time.Hour)
		steps := []struct {
			name string
			c    Change
			ok   bool
		}{
			{"no reason", Change{To: StateInTriage, Actor: "alice"}, false},
			{"no actor", Change{To: StateInTriage, Reason: "x"}, false},
			{"fixed by hand", Change{To: StateFixed, Actor: "alice", Reason: "x"}, false},
			{"unknown state", Change{To: "closed", Actor: "alice", Reason: "x"}, false},
			{"triage", Change{To: StateInTriage, Actor: "alice", Reason: "looking"}, true},
			{"accept without owner", Change{To: StateAccepted, Actor: "alice", Reason: "x", Until: future}, false},
			{"accept without expiry", Change{To: StateAccepted, Actor: "alice", Reason: "x", Owner: "bob"}, false},
			{"accept in the past", Change{To: StateAccepted, Actor: "alice", Reason: "x", Owner: "bob", Until: clk.Now().Add(-time.Hour)}, false},
			{"accept", Change{To: StateAccepted, Actor: "alice", Reason: "behind a WAF", Owner: "bob@example.com", Until: future}, true},
			{"renew", Change{To: StateAccepted, Actor: "alice", Reason: "still behind a WAF", Owner: "bob@example.com", Until: future.Add(time.Hour)}, true},
			{"reopen", Change{To: StateOpen, Actor: "carol", Reason: "WAF removed"}, true},
			{"false positive", Change{To: StateFalsePositive, Actor: "carol", Reason: "not our code"}, true},
			{"false positive to accepted", Change{To: StateAccepted, Actor: "carol", Reason: "x", Owner: "bob", Until: future}, false},
			{"reopen false positive", Change{To: StateOpen, Actor: "carol", Reason: "it is ours"}, true},
		}
		for _, s := range steps {
			f, err := d.Transition(ctx, id, s.c)
			if s.ok != (err == nil) {
				t.Fatalf("%s: err %v", s.name, err)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s: error %v does not wrap ErrInvalid", s.name, err)
			}
			if err == nil && f.State != s.c.To {
				t.Fatalf("%s: state %s", s.name, f.State)
			}
		}
		if _, err := d.Transition(ctx, 999999, Change{To: StateOpen, Actor: "a", Reason: "b"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown finding: %v", err)
		}
		det, err := d.Finding(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(det.Exceptions) != 2 || det.Exceptions[0].EndedWhy != "replaced by a new acceptance" || det.Exceptions[1].EndedAt == nil {
			t.Fatalf("exceptions: %+v", det.Exceptions)
		}
		if len(det.History) != 7 || det.History[6].Actor != "carol" || det.History[6].Reason != "it is ours" {
			t.Fatalf("history: %+v", det.History)
		}
	})
}

func TestAcceptanceExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		a, b := vuln("GO-A", "a", finding.SeverityHigh), vuln("GO-B", "b", finding.SeverityHigh)
		s := scanOf("s1", a)
		s.Suppressed = []Suppressed{{Finding: b, Owner: "dave", Reason: "vendor fix pending", Expires: clk.Now().Add(72 * time.Hour)}}
		mustIngest(t, d, s)
		if got := states(t, d); got["GO-B"] != StateAccepted || got["GO-A"] != StateOpen {
			t.Fatalf("suppressed finding: %v", got)
		}
		if _, err := d.Transition(ctx, findingID(t, d, "GO-A"), Change{To: StateAccepted, Actor: "alice", Reason: "r", Owner: "bob", Until: clk.Now().Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(25 * time.Hour)
		n, err := d.SweepExpired(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		if got := states(t, d); got["GO-A"] != StateOpen || got["GO-B"] != StateAccepted {
			t.Fatalf("after first sweep: %v", got)
		}
		// An ingest sweeps too.
		clk.Advance(48 * time.Hour)
		mustIngest(t, d, scanOf("s2", a, b))
		if got := states(t, d); got["GO-B"] != StateOpen {
			t.Fatalf("after ingest sweep: %v", got)
		}
		det, _ := d.Finding(ctx, findingID(t, d, "GO-B"))
		last := det.History[len(det.History)-1]
		if last.Actor != SystemActor || last.From != StateAccepted || last.To != StateOpen || det.Exceptions[0].EndedWhy != "expired" {
			t.Fatalf("expiry not recorded: %+v %+v", last, det.Exceptions)
		}
		if n, _ := d.SweepExpired(ctx); n != 0 {
			t.Fatalf("second sweep reopened %d", n)
		}
	})
}

func TestIngestRejects(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		nofp := vuln("GO-A", "a", finding.SeverityHigh)
		nofp.Fingerprint = ""
		for name, s := range map[string]*Scan{
			"no id":          {Target: testTarget},
			"no target":      {ID: "x"},
			"no fingerprint": scanOf("x", vuln("GO-B", "b", finding.SeverityLow), nofp),
		} {
			if _, err := d.Ingest(context.Background(), s); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		assertEmpty(t, d)
	})
}

// assertEmpty checks that nothing of a scan was written.
func assertEmpty(t *testing.T, d *DB) {
	t.Helper()
	for _, table := range []string{"products", "targets", "scans", "findings", "finding_events", "blocked_builds"} {
		var n int
		if err := d.queryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after a failed ingest", table, n)
		}
	}
}

// TestIngestAtomic makes the database fail half way through an ingest (a
// trigger refuses the blocked-build row, written after every finding) and
// checks that nothing was kept, then that the same upload succeeds later.
func TestIngestAtomic(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		create := []string{"CREATE TRIGGER fail_blocked BEFORE INSERT ON blocked_builds BEGIN SELECT RAISE(ABORT, 'injected failure'); END"}
		drop := "DROP TRIGGER fail_blocked"
		if d.engine == enginePostgres {
			create = []string{
				"CREATE FUNCTION fail_blocked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END; $$",
				"CREATE TRIGGER fail_blocked BEFORE INSERT ON blocked_builds FOR EACH ROW EXECUTE FUNCTION fail_blocked()",
			}
			drop = "DROP TRIGGER fail_blocked ON blocked_builds"
		}
		for _, c := range create {
			if _, err := d.write.Exec(c); err != nil {
				t.Fatal(err)
			}
		}
		var fs []finding.Finding
		for i := range 1000 {
			fs = append(fs, vuln(fmt.Sprintf("GO-%04d", i), "p", finding.SeverityHigh))
		}
		s := scanOf("s1", fs...)
		s.Blocked, s.FailOn, s.Blocking = true, "high", []string{fs[0].Fingerprint}
		if _, err := d.Ingest(ctx, s); err == nil {
			t.Fatal("ingest succeeded through the injected failure")
		}
		assertEmpty(t, d)
		if _, err := d.write.Exec(drop); err != nil {
			t.Fatal(err)
		}
		res := mustIngest(t, d, s)
		if res.New != 1000 || !res.Blocked {
			t.Fatalf("retry: %+v", res)
		}
		bb, err := d.BlockedBuilds(ctx, BlockedQuery{})
		if err != nil || len(bb) != 1 || len(bb[0].Findings) != 1 || bb[0].ScanID != "s1" {
			t.Fatalf("blocked builds %+v, %v", bb, err)
		}
	})
}

// TestConcurrentIngest uploads scans of one target from many goroutines,
// some with the same scan id, and checks the store is what some serial
// order of those uploads gives.
func TestConcurrentIngest(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		var all []finding.Finding
		for i := range 60 {
			all = append(all, vuln(fmt.Sprintf("GO-%03d", i), fmt.Sprintf("p%d", i%7), finding.Severity(i%5)))
		}
		// Scan k sees findings i with i%4 != k%4: each scan differs.
		scanFindings := func(k int) []finding.Finding {
			var out []finding.Finding
			for i, f := range all {
				if i%4 != k%4 {
					out = append(out, f)
				}
			}
			return out
		}
		const workers, perWorker = 6, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perWorker {
					k := w*perWorker + j
					id := fmt.Sprintf("scan-%d", k%(workers*perWorker/2)) // every id twice
					_, err := d.Ingest(ctx, scanOf(id, scanFindings(k%(workers*perWorker/2))...))
					errs <- err
					clk.Advance(time.Second)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var scans, rows, distinct int
		if err := d.queryRow(ctx, "SELECT COUNT(*) FROM scans").Scan(&scans); err != nil {
			t.Fatal(err)
		}
		if err := d.queryRow(ctx, "SELECT COUNT(*), COUNT(DISTINCT fingerprint) FROM findings").Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if scans != workers*perWorker/2 || rows != len(all) || distinct != len(all) {
			t.Fatalf("%d scans, %d findings (%d distinct); want %d scans, %d findings", scans, rows, distinct, workers*perWorker/2, len(all))
		}
		// The state is what the last committed scan says.
		var last string
		if err := d.queryRow(ctx, "SELECT last_scan_id FROM targets").Scan(&last); err != nil {
			t.Fatal(err)
		}
		var k int
		fmt.Sscanf(last, "scan-%d", &k)
		seen := map[string]bool{}
		for _, f := range scanFindings(k) {
			seen[f.RuleID] = true
		}
		for rule, st := range states(t, d) {
			if want := map[bool]State{true: StateOpen, false: StateFixed}[seen[rule]]; st != want {
				t.Errorf("%s is %s after last scan %s, want %s", rule, st, last, want)
			}
		}
		checkRollup(t, d)
		// Every finding's history alternates consistently: each event starts
		// where the previous one ended.
		rs, err := d.query(ctx, "SELECT finding_id, from_state, to_state FROM finding_events ORDER BY finding_id, id")
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		prev := map[int64]string{}
		for rs.Next() {
			var id int64
			var from, to string
			if err := rs.Scan(&id, &from, &to); err != nil {
				t.Fatal(err)
			}
			if prev[id] != from {
				t.Fatalf("finding %d: event from %q after state %q", id, from, prev[id])
			}
			prev[id] = to
		}
	})
}

func TestFindingsQuery(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		var fs []finding.Finding
		for i := range 250 {
			fs = append(fs, vuln(fmt.Sprintf("GO-%03d", i), fmt.Sprintf("pkg%d", i%10), finding.Severity(i%5)))
		}
		secret := finding.Finding{Kind: finding.KindSecret, RuleID: "aws-access-key", Title: "AWS key 100%_sure", Severity: finding.SeverityCritical,
			Target: testTarget, Location: finding.Location{Path: ".env", Line: 3}}
		secret.SetFingerprint()
		fs = append(fs, secret)
		mustIngest(t, d, scanOf("s1", fs...))
		other := finding.Target{Kind: "filesystem", Name: "repo"}
		mustIngest(t, d, &Scan{ID: "s2", Product: "billing", Target: other, Findings: []finding.Finding{vulnIn(other, "GO-900", "x", finding.SeverityHigh)}})

		// Paging walks every finding once, most severe first.
		var got []Finding
		cursor := ""
		for {
			page, err := d.Findings(ctx, FindingQuery{Limit: 37, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Findings...)
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
		if len(got) != 252 {
			t.Fatalf("paged %d findings, want 252", len(got))
		}
		ids := map[int64]bool{}
		for i, f := range got {
			if ids[f.ID] {
				t.Fatalf("finding %d twice", f.ID)
			}
			ids[f.ID] = true
			if i > 0 && (f.Severity > got[i-1].Severity || f.Severity == got[i-1].Severity && f.ID > got[i-1].ID) {
				t.Fatalf("order broken at %d", i)
			}
		}
		count := func(q FindingQuery) int {
			q.Limit = MaxPageSize
			page, err := d.Findings(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Findings)
		}
		cases := []struct {
			name string
			q    FindingQuery
			want int
		}{
			{"product", FindingQuery{Product: "billing"}, 1},
			{"no such product", FindingQuery{Product: "nope"}, 0},
			{"severity", FindingQuery{Severities: []finding.Severity{finding.SeverityCritical}}, 51},
			{"kind", FindingQuery{Kinds: []finding.Kind{finding.KindSecret}}, 1},
			{"state", FindingQuery{States: []State{StateFixed}}, 0},
			{"text rule", FindingQuery{Text: "go-00"}, 10},
			{"text package", FindingQuery{Text: "pkg3"}, 25},
			{"text like chars are literal", FindingQuery{Text: "100%_"}, 1},
			{"text percent alone", FindingQuery{Text: "%"}, 1},
			{"fingerprint", FindingQuery{Text: secret.Fingerprint}, 1},
			{"combined", FindingQuery{Product: "shop", Severities: []finding.Severity{finding.SeverityHigh}, Text: "pkg3"}, 25},
			{"combined none", FindingQuery{Severities: []finding.Severity{finding.SeverityCritical}, Text: "pkg3"}, 0},
		}
		for _, c := range cases {
			if n := count(c.q); n != c.want {
				t.Errorf("%s: %d findings, want %d", c.name, n, c.want)
			}
		}
		for _, bad := range []FindingQuery{{Cursor: "!!"}, {Cursor: "OS45"}, {Limit: -1}, {Limit: MaxPageSize + 1}} {
			if _, err := d.Findings(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("query %+v: %v", bad, err)
			}
		}
		ps, err := d.Products(ctx)
		if err != nil || len(ps) != 2 || ps[0].Name != "billing" || ps[1].OpenFindings != 251 || ps[1].Targets != 1 {
			t.Fatalf("products %+v %v", ps, err)
		}
		ts, err := d.Targets(ctx, "shop")
		if err != nil || len(ts) != 1 || ts[0].Name != testTarget.Name || ts[0].LastScanID != "s1" || ts[0].OpenFindings != 251 {
			t.Fatalf("targets %+v %v", ts, err)
		}
		// A later upload naming no product keeps the target's product.
		mustIngest(t, d, &Scan{ID: "s3", Target: other})
		ts, _ = d.Targets(ctx, "billing")
		if len(ts) != 1 {
			t.Fatalf("target left its product: %+v", ts)
		}
	})
}

func TestTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		boot, err := d.BootstrapToken(ctx)
		if err != nil || boot == "" {
			t.Fatalf("bootstrap: %q %v", boot, err)
		}
		if again, err := d.BootstrapToken(ctx); err != nil || again != "" {
			t.Fatalf("second bootstrap: %q %v", again, err)
		}
		admin, err := d.Authenticate(ctx, boot)
		if err != nil || !admin.Has(ScopeUpload) || admin.Name != BootstrapTokenName {
			t.Fatalf("bootstrap token: %+v %v", admin, err)
		}
		secret, tok, err := d.CreateToken(ctx, NewToken{Name: "ci", Scopes: []string{"upload", "read", "upload"}, CreatedBy: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tok.Scopes, []string{"read", "upload"}) {
			t.Fatalf("scopes %v", tok.Scopes)
		}
		got, err := d.Authenticate(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Has(ScopeAdmin) || !got.Has(ScopeRead) {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		if _, _, err := d.CreateToken(ctx, NewToken{Name: "ci", Scopes: []string{"read"}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("duplicate name: %v", err)
		}
		if _, _, err := d.CreateToken(ctx, NewToken{Name: "x", Scopes: []string{"root"}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad scope: %v", err)
		}
		for _, bad := range []string{"", "rl_nope", "Bearer " + secret, secret + "x"} {
			if _, err := d.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("authenticate %q: %v", bad, err)
			}
		}
		if err := d.RevokeToken(ctx, tok.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeToken(ctx, tok.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := d.RevokeToken(ctx, 12345, "admin"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
		toks, err := d.Tokens(ctx)
		if err != nil || len(toks) != 2 || toks[1].RevokedAt == nil {
			t.Fatalf("tokens %+v %v", toks, err)
		}
		var hash string
		if err := d.queryRow(ctx, "SELECT hash FROM api_tokens WHERE id = ?", tok.ID).Scan(&hash); err != nil || hash == secret || len(hash) != 64 {
			t.Fatalf("stored hash %q %v", hash, err)
		}
	})
}

func TestAuditLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		for i := range 5 {
			if err := d.AppendAudit(ctx, AuditEntry{Actor: "ci", Action: "POST /api/v1/scans", Object: fmt.Sprint(i), Remote: "127.0.0.1:1", Status: 201}); err != nil {
				t.Fatal(err)
			}
		}
		es, err := d.Audit(ctx, AuditQuery{After: 2, Limit: 2})
		if err != nil || len(es) != 2 || es[0].ID != 3 || es[1].Object != "3" {
			t.Fatalf("audit %+v %v", es, err)
		}
		if _, err := d.write.Exec("UPDATE audit_log SET actor = 'mallory'"); err == nil {
			t.Fatal("audit log rows could be changed")
		}
		if _, err := d.write.Exec("DELETE FROM audit_log"); err == nil {
			t.Fatal("audit log rows could be deleted")
		}
	})
}

func TestBackup(t *testing.T) {
	clk := newClock()
	d, _ := sqliteBackend().open(t, Options{Now: clk.Now})
	mustIngest(t, d, scanOf("s1", vuln("GO-A", "a", finding.SeverityHigh)))
	if err := d.Backup(context.Background(), filepath.Join(t.TempDir(), "missing", SQLiteFile)); err == nil {
		t.Fatal("backup into a missing directory succeeded")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, SQLiteFile)
	if err := d.Backup(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if err := d.Backup(context.Background(), out); err == nil {
		t.Fatal("backup overwrote a file")
	}
	c, err := OpenSQLite(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := states(t, c); got["GO-A"] != StateOpen {
		t.Fatalf("backup holds %v", got)
	}
}

func TestParseSLA(t *testing.T) {
	for in, want := range map[string]SLA{
		"":                                 DefaultSLA(),
		"critical=3":                       {3, 30, 90, 180},
		"high=14, low=365":                 {7, 14, 90, 365},
		"critical=1,high=2,medium=3,low=4": {1, 2, 3, 4},
	} {
		got, err := ParseSLA(in)
		if err != nil || got != want {
			t.Errorf("ParseSLA(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"critical", "critical=0", "urgent=3", "high=3x", "high=-1", "low=99999"} {
		if _, err := ParseSLA(bad); err == nil {
			t.Errorf("ParseSLA(%q) accepted", bad)
		}
	}
}

func TestHostileText(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		f := vuln("GO-\x00NUL", "bad\xffutf8", finding.SeverityHigh)
		f.Title = "title with \x00 and \xfe"
		s := scanOf("s\x00", f)
		s.Product = "prod\x00uct"
		mustIngest(t, d, s)
		page, err := d.Findings(context.Background(), FindingQuery{Text: "\x00"})
		if err != nil || len(page.Findings) != 1 {
			t.Fatalf("%+v %v", page, err)
		}
		if got := page.Findings[0].Title; got != "title with \uFFFD and \uFFFD" {
			t.Fatalf("title %q", got)
		}
		if err := d.AppendAudit(context.Background(), AuditEntry{Actor: "\x00", Action: "\xff"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReplicas runs two store handles on one database, as two server
// replicas (or two processes on one SQLite file) would, uploading scans of
// the same target and accepting findings at once.
func TestReplicas(t *testing.T) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) {
			clk := newClock()
			d1, reopen := b.open(t, Options{Now: clk.Now})
			d2, err := reopen(Options{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer d2.Close()
			ctx := context.Background()
			var all []finding.Finding
			for i := range 40 {
				all = append(all, vuln(fmt.Sprintf("GO-%03d", i), "p", finding.SeverityHigh))
			}
			mustIngest(t, d1, scanOf("seed", all...))
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for r, d := range []*DB{d1, d2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 8 {
						fs := all[(i+r)%2*20:]
						if _, err := d.Ingest(ctx, scanOf(fmt.Sprintf("r%d-%d", r, i), fs...)); err != nil {
							errs <- err
						}
						if _, err := d.SweepExpired(ctx); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			var rows int
			if err := d2.queryRow(ctx, "SELECT COUNT(*) FROM findings").Scan(&rows); err != nil || rows != 40 {
				t.Fatalf("%d findings, %v", rows, err)
			}
			var scans int
			if err := d1.queryRow(ctx, "SELECT COUNT(*) FROM scans").Scan(&scans); err != nil || scans != 17 {
				t.Fatalf("%d scans, %v", scans, err)
			}
			checkRollup(t, d1)
		})
	}
}
