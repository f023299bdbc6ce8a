package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func testStandard(version, hash string, content string) StandardVersion {
	return StandardVersion{Name: "corp-baseline", Version: version, Title: "Corporate baseline", From: "2026-01-01",
		Hash: hash, Content: []byte(content), PublishedBy: "sec@example.com"}
}

const (
	hashA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hashB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestPublishStandard(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, clk *clock) {
		ctx := context.Background()
		// Bytes that are not valid UTF-8 are kept as they are.
		content := "apiVersion: redline.dev/v1\n# \xff\x00\n"
		rec, created, err := d.PublishStandard(ctx, testStandard("2026H1", hashA, content))
		if err != nil || !created {
			t.Fatalf("publish: %v %v", created, err)
		}
		if rec.Ref() != "corp-baseline@2026H1" || rec.Hash != hashA || !bytes.Equal(rec.Content, []byte(content)) ||
			!rec.PublishedAt.Equal(clk.Now().Truncate(time.Second)) || rec.PublishedBy != "sec@example.com" {
			t.Fatalf("record %+v", rec)
		}
		// The same hash again (another layout of the same content) is a no-op
		// that keeps the first file and publisher.
		clk.Advance(time.Hour)
		again := testStandard("2026H1", hashA, "other layout")
		again.PublishedBy = "other@example.com"
		rec2, created, err := d.PublishStandard(ctx, again)
		if err != nil || created || string(rec2.Content) != content || rec2.PublishedBy != "sec@example.com" || !rec2.PublishedAt.Equal(rec.PublishedAt) {
			t.Fatalf("republish: %+v %v %v", rec2, created, err)
		}
		// Changed content under the same version is refused.
		_, _, err = d.PublishStandard(ctx, testStandard("2026H1", hashB, "changed"))
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "publish a new version") {
			t.Fatalf("changed content: %v", err)
		}
		if _, _, err := d.PublishStandard(ctx, testStandard("2026H2", hashB, "changed")); err != nil {
			t.Fatalf("new version: %v", err)
		}
		got, err := d.PublishedStandard(ctx, "corp-baseline@2026H1")
		if err != nil || got.Hash != hashA || string(got.Content) != content {
			t.Fatalf("get: %+v %v", got, err)
		}
		for _, ref := range []string{"corp-baseline@2027H1", "corp-baseline", "nope@1"} {
			if _, err := d.PublishedStandard(ctx, ref); !errors.Is(err, ErrNotFound) {
				t.Errorf("get %s: %v", ref, err)
			}
		}
		list, err := d.PublishedStandards(ctx)
		if err != nil || len(list) != 2 || list[0].Version != "2026H1" || list[1].Version != "2026H2" || list[0].Content != nil {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}

func TestPublishStandardInvalid(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		for name, edit := range map[string]func(*StandardVersion){
			"no name":      func(s *StandardVersion) { s.Name = "" },
			"at in name":   func(s *StandardVersion) { s.Name = "a@b" },
			"bad hash":     func(s *StandardVersion) { s.Hash = "md5:x" },
			"no content":   func(s *StandardVersion) { s.Content = nil },
			"too large":    func(s *StandardVersion) { s.Content = make([]byte, MaxStandardSize+1) },
			"no publisher": func(s *StandardVersion) { s.PublishedBy = " " },
		} {
			s := testStandard("1", hashA, "x")
			edit(&s)
			if _, _, err := d.PublishStandard(ctx, s); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if list, err := d.PublishedStandards(ctx); err != nil || len(list) != 0 {
			t.Fatalf("list after refused publishes: %v %v", list, err)
		}
	})
}

// TestPublishStandardRace publishes one version from many goroutines: one
// creates it, the others find it, and a different hash loses.
func TestPublishStandardRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *DB, _ *clock) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		createdN, conflicts := 0, 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := hashA
				if i == 7 {
					h = hashB
				}
				_, created, err := d.PublishStandard(ctx, testStandard("1", h, "x"))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, ErrConflict):
					conflicts++
				case err != nil:
					t.Errorf("publish: %v", err)
				case created:
					createdN++
				}
			}()
		}
		wg.Wait()
		if createdN != 1 {
			t.Fatalf("created %d, conflicts %d", createdN, conflicts)
		}
		rec, err := d.PublishedStandard(ctx, "corp-baseline@1")
		if err != nil {
			t.Fatal(err)
		}
		want := 7 // the hashB publisher won: every other one lost
		if rec.Hash == hashA {
			want = 1 // the hashB publisher lost
		}
		if conflicts != want {
			t.Fatalf("stored %s with %d conflicts, want %d", rec.Hash, conflicts, want)
		}
	})
}
