package store

import (
	"context"
	"testing"
)

// TestMigrationNamesReleaseTargets replays migration 0009 over targets
// written the old way: a product's model target is named after the release
// of the model it saw last; other targets keep their names.
func TestMigrationNamesReleaseTargets(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		ms, err := migrations(d.engine)
		if err != nil {
			t.Fatal(err)
		}
		var sql string
		for _, m := range ms {
			if m.version == 9 {
				sql = m.sql
			}
		}
		if sql == "" {
			t.Fatal("no migration 9")
		}
		err = d.inTx(ctx, func(t2 *tx) error {
			for _, q := range []struct {
				query string
				args  []any
			}{
				{"INSERT INTO products (name, created_at) VALUES (?, 1), (?, 1)", []any{"shop", "till"}},
				{`INSERT INTO targets (product_id, kind, name, created_at, last_scan_id) VALUES
					((SELECT id FROM products WHERE name = 'shop'), 'model', 'shop', 1, 'review-0a1b'),
					((SELECT id FROM products WHERE name = 'till'), 'model', 'till', 1, 'scan-7'),
					((SELECT id FROM products WHERE name = 'shop'), 'image', 'shop', 1, 'review-0a1b')`, nil},
				{`INSERT INTO reviews (product, release_name, model_hash, standard, standard_hash, state, submitted_by, submitted_at, risks, findings, model_yaml)
					VALUES ('shop', '2026.06', 'sha256:0a1b', 's', 'h', 'superseded', 'x', 1, '{}', '[]', ''),
					       ('shop', '2026.12', 'sha256:0a1b', 's', 'h', 'draft', 'x', 2, '{}', '[]', '')`, nil},
			} {
				if _, err := t2.exec(ctx, q.query, q.args...); err != nil {
					return err
				}
			}
			_, err := t2.exec(ctx, sql)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		targets, err := d.Targets(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			got[tg.Product+" "+tg.Kind] = tg.Name
		}
		want := map[string]string{"shop model": "shop@2026.12", "till model": "till", "shop image": "shop"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s target named %q, want %q", k, got[k], v)
			}
		}
	})
}
